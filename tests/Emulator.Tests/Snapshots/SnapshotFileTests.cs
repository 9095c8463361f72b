using Emulator.Core.Machine;
using Emulator.Core.Snapshots;
using Emulator.Tests.Support;

namespace Emulator.Tests.Snapshots;

/// <summary>
/// emu run -snapshot-save / -snapshot-load: a run split at a snapshot is the same run, on bare
/// hardware and under the hypervisor; every way a snapshot can be wrong is a clear error (exit 2).
/// </summary>
public sealed class SnapshotFileTests
{
    [Theory]
    [InlineData("pc", "pv=flag", "1500000")]
    [InlineData("xen", "pv=ops", "3000000")]
    public void ARunSplitAtASnapshotPrintsAndEndsExactlyLikeTheWholeRun(string machine, string append, string split)
    {
        using var temp = new TempFiles();
        string snap = temp.PathOf("split.snap");
        var whole = CapturedCli.Emu("run", "-machine", machine, "-append", append, "-m", "32");
        var first = CapturedCli.Emu("run", "-machine", machine, "-append", append, "-m", "32", "--max-instructions", split, "-snapshot-save", snap);
        Assert.Equal(124, first.Status);
        Assert.Contains($"saved to {snap}", first.Stderr);
        var second = CapturedCli.Emu("run", "-machine", machine, "-append", append, "-m", "32", "-snapshot-load", snap, "--stats");
        Assert.Equal(whole.Status, second.Status);
        Assert.Equal(0, second.Status);
        Assert.Contains("resuming from", second.Stderr);
        Assert.Equal(whole.Stdout, first.Stdout + second.Stdout);
        Assert.Contains("0 of 29 self-tests failed", second.Stdout);
    }

    [Fact]
    public void SavingAndLoadingInProcessRestoresEverySectionByteForByte()
    {
        var (machine, _) = TestMachines.Xen(GuestImages.ToyKernel, "pv=ops");
        machine.Run(2_000_000);
        var before = MachineState.Capture(machine);
        var file = new MemoryStream();
        SnapshotFile.Save(machine, "test", file);
        byte[] ram = (byte[])machine.Memory.Ram.Clone();

        var (other, _) = TestMachines.Xen(GuestImages.ToyKernel, "pv=ops");
        file.Position = 0;
        Assert.Equal(before.Tick, SnapshotFile.Load(other, "test", file));
        var after = MachineState.Capture(other);
        Assert.Equal(before.Layout, after.Layout);
        for (int i = 0; i < before.Sections.Count; i++)
            Assert.True(before.Sections[i].Data.AsSpan().SequenceEqual(after.Sections[i].Data), $"section {before.Sections[i].Name} differs");
        Assert.True(ram.AsSpan().SequenceEqual(other.Memory.Ram), "RAM differs");

        // And both machines go on identically.
        var a = machine.Run(500_000);
        var b = other.Run(500_000);
        Assert.Equal(a, b);
        Assert.True(machine.Memory.Ram.AsSpan().SequenceEqual(other.Memory.Ram));
        Assert.Equal(machine.Cpu.Eip, other.Cpu.Eip);
    }

    [Fact]
    public void EveryKindOfBadSnapshotIsAClearErrorAndExitStatus2()
    {
        using var temp = new TempFiles();
        string good = temp.PathOf("good.snap");
        Assert.Equal(124, CapturedCli.Emu("run", "-m", "32", "--max-instructions", "200000", "-snapshot-save", good).Status);
        byte[] bytes = File.ReadAllBytes(good);

        byte[] Flipped(int at) { var b = (byte[])bytes.Clone(); b[at] ^= 0x5A; return b; }
        byte[] Version(int v) { var b = (byte[])bytes.Clone(); BitConverter.GetBytes(v).CopyTo(b, 8); return b; }
        var cases = new (string Name, byte[] Data, string[] Args, string Expected)[]
        {
            ("empty", Array.Empty<byte>(), Array.Empty<string>(), "not an emu snapshot"),
            ("text", "hello, world\n"u8.ToArray(), Array.Empty<string>(), "not an emu snapshot"),
            ("version", Version(7), Array.Empty<string>(), "snapshot format version 7; this emu reads version 1"),
            ("flipped-payload", Flipped(bytes.Length / 2), Array.Empty<string>(), "corrupt"),
            ("flipped-hash", Flipped(20), Array.Empty<string>(), "corrupt (checksum mismatch)"),
            ("truncated", bytes[..(bytes.Length / 3)], Array.Empty<string>(), "corrupt"),
            ("header-only", bytes[..44], Array.Empty<string>(), "corrupt"),
            ("other-machine", bytes, new[] { "-machine", "xen" }, "taken on another machine (-machine pc -m 32); this one is -machine xen -m 32"),
            ("other-memory", bytes, new[] { "-m", "64" }, "taken on another machine (-machine pc -m 32); this one is -machine pc -m 64"),
        };
        foreach (var (name, data, args, expected) in cases)
        {
            string path = temp.Write(name + ".snap", data);
            var r = CapturedCli.Emu(new[] { "run", "-m", "32" }.Concat(args).Concat(new[] { "-snapshot-load", path }).ToArray());
            Assert.True(r.Status == 2, $"{name}: exit {r.Status}\n{r.Stderr}");
            Assert.Contains($"cannot load the snapshot {path}: ", r.Stderr);
            Assert.Contains(expected, r.Stderr);
        }
        var missing = CapturedCli.Emu("run", "-snapshot-load", temp.PathOf("nope.snap"));
        Assert.Equal(2, missing.Status);
        Assert.Contains("cannot load the snapshot", missing.Stderr);
    }

    [Fact]
    public void ASectionOfAnotherLayoutIsRefusedBeforeAnythingIsLoaded()
    {
        var machine = TestMachines.Pc(GuestImages.Loop, "n=10");
        var state = MachineState.Capture(machine);
        var withoutPic = new MachineState(state.Tick, state.Sections.Where(s => s.Name != "pic").ToList());
        var e = Assert.Throws<SnapshotFormatException>(() => withoutPic.Restore(machine));
        Assert.Contains("another machine", e.Message);
        var shortCpu = new MachineState(state.Tick, state.Sections.Select(s => s.Name == "cpu" ? (s.Name, s.Data[..10]) : s).ToList());
        Assert.Contains("'cpu' is truncated", Assert.Throws<SnapshotFormatException>(() => shortCpu.Restore(machine)).Message);
        var longPit = new MachineState(state.Tick, state.Sections.Select(s => s.Name == "pit" ? (s.Name, s.Data.Concat(new byte[3]).ToArray()) : s).ToList());
        Assert.Contains("'pit' has 3 unexpected trailing bytes", Assert.Throws<SnapshotFormatException>(() => longPit.Restore(machine)).Message);
    }
}
