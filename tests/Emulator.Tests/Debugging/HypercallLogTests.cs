using System.Text.Json.Nodes;
using Emulator.Core.Debugging;
using Emulator.Tests.Support;

namespace Emulator.Tests.Debugging;

/// <summary>The debugger's hypercall log: decoded entries with their context, in a bounded ring.</summary>
public sealed class HypercallLogTests
{
    [Fact]
    public void TheToyKernelsFirstHypercallsAreLoggedDecodedAndTheRingKeepsTheLatest()
    {
        var (machine, hv) = TestMachines.Xen(GuestImages.ToyKernel, "pv=ops");
        var full = new HypercallLog(hv, machine);
        var small = new HypercallLog(hv, machine, capacity: 4);
        long added = 0;
        small.Added += _ => added++;
        machine.Run(2_000_000);

        Assert.True(full.Count > 12);
        Assert.Equal(full.Count, small.Count);
        Assert.Equal(full.Count, added);
        // The first mmu_update: one normal page-table update, done (see the browser test's page for the same call).
        var mmu = full.Since(0).First(e => e.Name == "mmu_update");
        Assert.Equal(0, mmu.Call.Result);
        Assert.Null(mmu.ErrorName);
        var request = mmu.Arguments["entries"]!.AsArray()[0]!.AsObject();
        Assert.Equal("normal_pt_update", (string?)request["cmd"]);
        Assert.Matches("^0x[0-9a-f]{16}$", (string)request["val"]!);
        Assert.Equal($"mmu_update(reqs=0x{mmu.Call.Arg1:x8}, count=1, foreigndom=0x7ff0, entries=[{{ptr={request["ptr"]}, cmd=normal_pt_update, val={request["val"]}}}]) = 0", mmu.Summary());
        Assert.Equal(1, mmu.Context.Cpl);                       // back in the ring-1 kernel
        Assert.NotNull(mmu.Context.ReturnAddress);
        Assert.Same(mmu, full.Find(mmu.Sequence));

        // The small ring holds the last four, oldest first; older ones are gone.
        var last = small.Recent(10);
        Assert.Equal(Enumerable.Range((int)small.Count - 4, 4).Select(n => (long)n), last.Select(e => e.Sequence));
        Assert.Equal(full.Find(small.Count - 1)!.Call, last[^1].Call);
        Assert.Null(small.Find(0));
        Assert.Equal(2, small.Since(small.Count - 2).Count);
        Assert.Equal(4, small.Since(0).Count);
        Assert.Single(small.Recent(1));
        Assert.Empty(small.Since(small.Count));
    }

    [Fact]
    public void AFailedCallIsNamedByItsErrno()
    {
        var e = new Emulator.Core.Hypervisor.HypercallEvent(5, 1, 0, 1, 0, 0x7FF0, 0, -22, false);
        var entry = new HypercallLogEntry(0, e, new JsonObject { ["count"] = 1 }, new HypercallContext(0, 0, null, 0, 1));
        Assert.Equal("EINVAL", entry.ErrorName);
        Assert.Equal("mmu_update(count=1) = -22 (EINVAL)", entry.Summary());
    }
}
