using System.Text;
using Emulator.Core.Machine;
using Emulator.Host.Cli;
using Emulator.Host.Commands;
using Emulator.Tests.Support;

namespace Emulator.Tests.Host;

/// <summary>
/// `emu run` in-process: the guest's console is captured from an in-memory stdout. The tests that
/// boot a guest need the full CPU instruction set (the alu/datamove/protmode branches).
/// </summary>
public sealed class RunCommandTests : IDisposable
{
    private readonly TempFiles _files = new();

    public void Dispose() => _files.Dispose();

    private static CapturedRun Run(RunOptions options, Func<string, string?>? env = null, string? baseDirectory = null) =>
        CapturedRun.Execute(options, env, baseDirectory);

    private static CapturedRun RunArgs(params string[] args) =>
        Run(Assert.IsType<RunRequest>(CommandLineParser.Parse(args.Prepend("run").ToArray())).Options);

    /// <summary>The loop guest's checksum recomputed from its C source (guests/loop/loop.c), with xorshift32 (Marsaglia 2003).</summary>
    private static uint LoopChecksum(uint iterations)
    {
        var table = new uint[256];
        uint x = 0x12345678, sum = 0;
        for (uint i = 0; i < iterations; i++)
        {
            x ^= x << 13;
            x ^= x >> 17;
            x ^= x << 5;
            uint idx = x & 0xFF;
            table[idx] += x;
            sum += table[(idx + 1) & 0xFF] ^ i;
            if ((x & 1) != 0) sum ^= 0x5A5A5A5A;
            else sum += 3;
        }
        return sum;
    }

    [Fact]
    public void LoopChecksumModelMatchesTheGuestOnQemu()
    {
        // Printed by `qemu-system-i386 -kernel guests/build/loop.elf -append n=1000` (and n=2000000).
        Assert.Equal(0x459303C6u, LoopChecksum(1000));
        Assert.Equal(0x69F4BD66u, LoopChecksum(2000000));
    }

    // ---- Errors (no guest code runs) ------------------------------------------------------------

    [Fact]
    public void MissingKernelIsOneLineWithStatus2()
    {
        string path = _files.PathOf("missing.elf");
        var r = RunArgs("-kernel", path);
        Assert.Equal(2, r.Status);
        Assert.Equal("", r.Stdout);
        Assert.Equal($"emu: {path}: no such file\n", r.Stderr.Replace("\r\n", "\n"));
    }

    [Fact]
    public void NotAKernelIsStatus2()
    {
        string path = _files.Write("notes.txt", Encoding.ASCII.GetBytes("just text"));
        var r = RunArgs("-kernel", path);
        Assert.Equal(2, r.Status);
        Assert.Contains("not a multiboot kernel", r.Stderr);
        Assert.Single(r.Stderr.TrimEnd('\n').Split('\n'));
    }

    [Fact]
    public void BadRomIsStatus2()
    {
        var r = RunArgs("-bios", _files.Write("bios.bin", new byte[1000]));
        Assert.Equal(2, r.Status);
        Assert.Contains("multiple of 4 KiB", r.Stderr);
    }

    [Fact]
    public void XenMachineBootsTheDefaultToyKernel()
    {
        // The toy kernel carries the Xen notes, so it is the default guest of both profiles.
        var r = RunArgs("-machine", "xen");
        Assert.True(r.Status == 0, $"status {r.Status}, stderr: {r.Stderr}");
        Assert.Contains("toykernel: pv=ops backend=xen", r.Stdout);
        Assert.Contains("toykernel: xen_version hypercall: Xen 4.17\n", r.Stdout);
        Assert.Contains("emu: xen: domain of 128 MiB, p2m seed 1 (--p2m-seed)", r.Stderr);
    }

    [Fact]
    public void XenMachineRefusesAKernelWithoutXenNotes()
    {
        var elf = new Elf32Builder { Entry = 0x100000 };
        elf.AddLoad(0x100000, new byte[] { 0xF4 });
        string path = _files.Write("plain.elf", elf.Build());
        var r = RunArgs("-machine", "xen", "-kernel", path);
        Assert.Equal(2, r.Status);
        Assert.Contains("no Xen ELF notes", r.Stderr);
    }

    [Fact]
    public void XenMachineRefusesAKernelMissingOneNote()
    {
        var notes = Emulator.Tests.Hypervisor.PvGuest.DefaultNotes();
        notes.RemoveAll(n => n.Item2 == Emulator.Core.Hypervisor.XenAbi.NoteHypercallPage);
        string path = _files.Write("nohc.elf", Emulator.Tests.Hypervisor.PvGuest.BuildImage(a => a.hlt(), notes));
        var r = RunArgs("-machine", "xen", "-kernel", path);
        Assert.Equal(2, r.Status);
        Assert.Contains("HYPERCALL_PAGE", r.Stderr);
    }

    [Fact]
    public void XenMachineBootsAPvKernelWhoseConsoleGoesToStdout()
    {
        string path = _files.Write("pv.elf", Emulator.Tests.Hypervisor.PvGuest.BuildImage(a =>
        {
            a.mov(Iced.Intel.AssemblerRegisters.__dword_ptr[Emulator.Tests.Hypervisor.PvGuest.Scratch], 0x0A6B6Fu); // "ok\n"
            a.mov(Iced.Intel.AssemblerRegisters.ebx, 0);
            a.mov(Iced.Intel.AssemblerRegisters.ecx, 3);
            a.mov(Iced.Intel.AssemblerRegisters.edx, Emulator.Tests.Hypervisor.PvGuest.Scratch);
            Emulator.Tests.Hypervisor.PvGuest.Hcall(a, Emulator.Core.Hypervisor.XenAbi.ConsoleIo);
            Emulator.Tests.Hypervisor.PvGuest.Shutdown(a, 0);
        }));
        var r = RunArgs("-machine", "xen", "-m", "16", "--p2m-seed", "7", "-kernel", path);
        Assert.Equal(0, r.Status);
        Assert.Equal("ok\n", r.Stdout);
    }

    [Fact]
    public void DefaultGuestMissingFromEmuGuestsIsStatus2()
    {
        var r = Run(new RunOptions(), env: name => name == "EMU_GUESTS" ? _files.Directory : null);
        Assert.Equal(2, r.Status);
        Assert.Contains("toykernel.elf is not in EMU_GUESTS=", r.Stderr);
    }

    [Fact]
    public void DefaultGuestWithoutRepositoryIsStatus2()
    {
        var r = Run(new RunOptions(), baseDirectory: _files.Directory);
        Assert.Equal(2, r.Status);
        Assert.Contains("cannot find the default guest", r.Stderr);
    }

    [Fact]
    public void DefaultGuestIsFoundAboveTheExecutable()
    {
        string found = DefaultGuest.Locate(new HostConsole { Stdout = Stream.Null, Stderr = TextWriter.Null, GetEnvironmentVariable = _ => null });
        Assert.Equal(Path.GetFullPath(GuestImages.ToyKernel), Path.GetFullPath(found));
    }

    [Fact]
    public void UnwritableSerialFileIsStatus2()
    {
        var r = RunArgs("-kernel", GuestImages.Hello, "-serial", "file:" + Path.Combine(_files.Directory, "no", "such", "dir", "out.txt"));
        Assert.Equal(2, r.Status);
        Assert.Contains("cannot open an output file", r.Stderr);
    }

    /// <summary>A multiboot ELF at 1 MiB whose entry runs <paramref name="code"/> (hand-assembled bytes).</summary>
    private string TinyKernel(string name, params byte[] code)
    {
        var header = Elf32Builder.MultibootHeader(0x3);
        var b = new Elf32Builder { Entry = 0x100000 + (uint)header.Length };
        b.AddLoad(0x100000, header.Concat(code).ToArray(), memorySize: 0x1000);
        return _files.Write(name, b.Build());
    }

    [Fact]
    public void InstructionLimitIsStatus124()
    {
        string k = TinyKernel("nops.elf", Enumerable.Repeat((byte)0x90, 64).ToArray()); // NOP x 64
        var r = RunArgs("-kernel", k, "--max-instructions", "10", "--stats");
        Assert.Equal(124, r.Status);
        Assert.Equal(ExitKind.InstructionLimit, r.Outcome.Exit?.Kind);
        Assert.Equal(10ul, r.Outcome.Instructions);
        Assert.Contains("emu: instruction limit reached after 10 instructions", r.Stderr);
        Assert.Contains("emu: 10 instructions in ", r.Stderr);
    }

    [Fact]
    public void HaltWithInterruptsOffIsStatus4()
    {
        string k = TinyKernel("halt.elf", 0xFA, 0xF4); // CLI; HLT
        var r = RunArgs("-kernel", k);
        Assert.Equal(4, r.Status);
        Assert.Equal(ExitKind.HaltedForever, r.Outcome.Exit?.Kind);
        Assert.Contains("halted", r.Stderr);
    }

    [Fact]
    public void CrashingGuestIsStatus4()
    {
        // UD2 raises #UD; the loader leaves the IDT empty (limit 0), so delivery faults into a triple fault.
        string k = TinyKernel("crash.elf", 0x0F, 0x0B);
        var r = RunArgs("-kernel", k, "-no-reboot");
        Assert.Equal(4, r.Status);
        Assert.Equal(ExitKind.GuestCrash, r.Outcome.Exit?.Kind);
        Assert.Contains("triple fault", r.Stderr);
    }

    // ---- End to end (need the merged CPU) ------------------------------------------------------

    [Fact]
    public void HelloPrintsItsCommandLineAndExitsThroughIsaDebugExit()
    {
        var r = RunArgs("-kernel", GuestImages.Hello, "-append", "exit=5 hi");
        Assert.True(r.Status == 11, $"status {r.Status}, stderr: {r.Stderr}");
        Assert.Contains("hello: Hello from a multiboot guest!\n", r.Stdout);
        Assert.Contains("hello: command line: hello.elf exit=5 hi\n", r.Stdout); // the file name, not the path
        Assert.Contains("hello: exiting with status 5\n", r.Stdout);
        Assert.Equal(ExitKind.DebugExit, r.Outcome.Exit?.Kind);
    }

    [Fact]
    public void HelloWithoutArgumentsExitsWithStatus1()
    {
        // hello with no arguments: exit=0 → isa-debug-exit status (0 << 1) | 1.
        var r = RunArgs("-kernel", GuestImages.Hello);
        Assert.True(r.Status == 1, $"status {r.Status}, stderr: {r.Stderr}");
        Assert.Contains("hello: Hello from a multiboot guest!", r.Stdout);
    }

    [Fact]
    public void DefaultGuestIsTheToyKernelAndPowersOffWithStatus0()
    {
        // With no -kernel the toy kernel runs its self-tests with the ops strategy and powers off.
        var r = Run(new RunOptions());
        Assert.True(r.Status == 0, $"status {r.Status}, stderr: {r.Stderr}");
        Assert.Equal(ExitKind.PowerOff, r.Outcome.Exit?.Kind);
        Assert.Contains("toykernel: pv=ops backend=native\n", r.Stdout);
        Assert.DoesNotContain("not ok", r.Stdout);
    }

    [Fact]
    public void DefaultGuestTakesTheAppendText()
    {
        var r = RunArgs("-append", "pv=patch");
        Assert.True(r.Status == 0, $"status {r.Status}, stderr: {r.Stderr}");
        Assert.Contains("toykernel: pv=patch backend=native\n", r.Stdout);
        Assert.Matches(@"toykernel: patched [1-9]\d* sites", r.Stdout);
    }

    [Fact]
    public void RunsAreDeterministic()
    {
        var a = RunArgs("-kernel", GuestImages.Hello, "-append", "exit=3 same every time");
        var b = RunArgs("-kernel", GuestImages.Hello, "-append", "exit=3 same every time");
        Assert.Equal(7, a.Status);
        Assert.Equal(a.Status, b.Status);
        Assert.Equal(a.Stdout, b.Stdout);
        Assert.True(a.Outcome.Instructions > 100);
        Assert.Equal(a.Outcome.Instructions, b.Outcome.Instructions);
    }

    [Fact]
    public void DebugConsoleCarriesTheSameText()
    {
        string debugcon = _files.PathOf("e9.txt");
        var r = RunArgs("-kernel", GuestImages.Hello, "-append", "exit=2", "-serial", "none", "-debugcon", "file:" + debugcon);
        Assert.Equal(5, r.Status);
        Assert.Equal("", r.Stdout);
        string text = File.ReadAllText(debugcon);
        Assert.Contains("hello: Hello from a multiboot guest!\n", text);
        Assert.Contains("exit=2\n", text);
    }

    [Fact]
    public void LoopGuestComputesTheChecksum()
    {
        var r = RunArgs("-kernel", GuestImages.Loop, "-append", "n=1000", "--stats");
        Assert.True(r.Status == 1, $"status {r.Status}, stderr: {r.Stderr}");
        Assert.Contains("loop: iterations=1000\n", r.Stdout);
        Assert.Contains($"loop: checksum=0x{LoopChecksum(1000):x8}\n", r.Stdout);
        Assert.Matches(@"emu: \d+ instructions in \d+\.\d{3} s: \d+\.\d{2} MIPS", r.Stderr);
    }
}
