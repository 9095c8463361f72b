using Emulator.Core.Hypervisor;
using Emulator.Host.Cli;
using Emulator.Tests.Support;
using static Emulator.Tests.Hypervisor.PvGuest;

namespace Emulator.Tests.Hypervisor;

/// <summary>The auditor recounts the PV MMU from scratch: clean on honest state, loud on every kind of corruption.</summary>
public sealed class PvMmuAuditorTests
{
    private const ulong P = 1, RW = 2, A = 0x20, PSE = 0x80;
    private readonly PvGuest _g = new(a => a.hlt());
    private PvMmu Mmu => _g.Hv.Mmu;

    private uint FreeFrame(uint k) => _g.FreeFrame(k);
    private uint MfnOf(uint va) => _g.MfnOf(va);
    private (uint L1, uint EntryMa) L1Entry(uint va) => _g.L1EntryOf(va);

    private IReadOnlyList<PvMmuViolation> Audit() => PvMmuAuditor.Audit(_g.Hv);

    [Fact]
    public void AFreshDomainAndOneChangedThroughTheHypercallPathsAuditClean()
    {
        Assert.Empty(Audit());
        uint f = FreeFrame(0), g = FreeFrame(1);
        _g.Hv.Memory.Write64((f << 12) + 8, ((ulong)g << 12) | P | RW);
        Assert.Equal(0, Mmu.Pin(f, PageType.L1));
        Assert.Equal(0, Mmu.UpdateVaMapping(Scratch, ((ulong)MfnOf(Code) << 12) | P | A));
        Assert.Empty(Audit());
        Assert.Equal(0, Mmu.Unpin(f));
        Assert.Empty(Audit());
    }

    [Fact]
    public void AWritableMappingOfAPageTableWrittenBehindTheMmusBackIsReported()
    {
        var (_, ma) = L1Entry(Scratch);
        _g.Hv.Memory.Write64(ma, ((ulong)_g.Info.L3Mfn << 12) | P | RW | A);
        var v = Audit();
        Assert.Contains(v, x => x.Mfn == _g.Info.L3Mfn && x.What.Contains("a page-table frame mapped writable"));
    }

    [Fact]
    public void AMappingOfHypervisorMemoryIsReported()
    {
        var (l1, ma) = L1Entry(Scratch);
        _g.Hv.Memory.Write64(ma, ((ulong)XenMachineLayout.GdtFrame << 12) | P | A);
        var v = Audit();
        Assert.Contains(v, x => x.Mfn == l1 && x.What.Contains("which the domain does not own (Xen)"));
        _g.Hv.Memory.Write64(ma, ((ulong)(Mmu.FrameCount + 3) << 12) | P | A);
        Assert.Contains(Audit(), x => x.Mfn == l1 && x.What.Contains("beyond RAM"));
    }

    [Fact]
    public void ACountThatNoLongerMatchesTheEntriesIsReported()
    {
        // Drop the scratch page's entry without telling the MMU: its writable type and general count are stale.
        var (_, ma) = L1Entry(Scratch);
        _g.Hv.Memory.Write64(ma, 0);
        var v = Audit();
        uint scratch = MfnOf(Scratch);
        Assert.Contains(v, x => x.Mfn == scratch && x.What == "general count 1, recounted 0");
        Assert.Contains(v, x => x.Mfn == scratch && x.What.StartsWith("type count 1 (Writable), recounted 0"));
    }

    [Fact]
    public void ForbiddenFlagsAndAChangedHypervisorSlotAreReported()
    {
        var mem = _g.Hv.Memory;
        uint l3 = _g.Info.L3Mfn;
        ulong slot0 = mem.Read64(l3 << 12);
        uint l2 = (uint)((slot0 & PvMmu.AddressMask) >> 12);
        ulong l2e = mem.Read64(l2 << 12); // maps the first 2 MiB, the kernel included
        mem.Write64(l2 << 12, l2e | PSE);
        Assert.Contains(Audit(), x => x.Mfn == l2 && x.What.Contains("has flags a L2 entry may not carry"));
        mem.Write64(l2 << 12, l2e);

        uint l2xen = (uint)((mem.Read64((l3 << 12) + 24) & PvMmu.AddressMask) >> 12);
        mem.Write64((l2xen << 12) + PvMmu.XenL2FirstSlot * 8, 0); // the M2P's first L1
        Assert.Contains(Audit(), x => x.Mfn == l2xen && x.What == "hypervisor slot 428 of a pae_xen_l2 differs from the hypervisor's entry");
    }

    [Fact]
    public void TheToyKernelsDomainAuditsCleanAfterItsWholeSuite()
    {
        var r = CapturedRun.Execute(new RunOptions
        {
            Kernel = GuestImages.ToyKernel, Append = "pv=ops", MachineType = "xen", MemoryMiB = 16, P2mSeed = 3, MaxInstructions = 50_000_000,
        });
        Assert.Equal(0, r.Status);
        var violations = PvMmuAuditor.Audit(r.Outcome.Hypervisor!);
        Assert.True(violations.Count == 0, string.Join("\n", violations));
    }
}
