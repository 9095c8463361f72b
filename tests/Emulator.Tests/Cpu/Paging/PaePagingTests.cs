using Emulator.Core.Cpu;
using static Emulator.Tests.CpuTests.Paging.PagingFixture;

namespace Emulator.Tests.CpuTests.Paging;

/// <summary>PAE paging (SDM Vol. 3 §4.4): PDPTE registers, 4 KiB and 2 MiB pages, execute-disable, reserved bits.</summary>
public class PaePagingTests
{
    // linear 0xC0654321: PDPTE 3, PDE (bits 29:21) = 3, PTE (bits 20:12) = 0x54, offset 0x321.
    private const uint Linear = 0xC0654321;
    private const uint Frame = 0x00ABC000;

    private static PagingFixture Build(ulong pdeFlags = P | RW | US, ulong pteFlags = P | RW | US, bool nxe = false)
    {
        var f = new PagingFixture();
        f.Entry64(Pdpt, 3, PaePd3 | P);
        f.Entry64(PaePd3, 3, Pt1 | pdeFlags);
        f.Entry64(Pt1, 0x54, Frame | pteFlags);
        f.EnablePae(nxe: nxe);
        return f;
    }

    [Fact]
    public void TranslatesThroughThreeLevels()
    {
        var f = Build();
        Assert.Equal(Frame + 0x321, f.Ok(Linear));
    }

    [Fact]
    public void AccessedAndDirtyAreSetInPdeAndPte()
    {
        var f = Build();
        f.Ok(Linear, AccessKind.Write);
        Assert.Equal((ulong)(Pt1 | P | RW | US | A), f.Read64(PaePd3 + 3 * 8));
        Assert.Equal((ulong)(Frame | P | RW | US | A | D), f.Read64(Pt1 + 0x54 * 8));
        // PDPTEs have no accessed flag in PAE paging (bit 5 is reserved).
        Assert.Equal((ulong)(PaePd3 | P), f.Read64(Pdpt + 3 * 8));
    }

    [Fact]
    public void TwoMegabytePage()
    {
        var f = new PagingFixture();
        f.Entry64(Pdpt, 0, PaePd0 | P);
        f.Entry64(PaePd0, 5, 0x00600000 | PS | P | RW); // linear 0x00A00000-0x00BFFFFF
        f.EnablePae();
        Assert.Equal(0x00600000u + 0x1ABCDE, f.Ok(0x00A00000 + 0x1ABCDE, AccessKind.Write));
        Assert.Equal((ulong)(0x00600000 | PS | P | RW | A | D), f.Read64(PaePd0 + 5 * 8));
    }

    [Fact]
    public void TwoMegabytePageReservedBits20To13()
    {
        var f = new PagingFixture();
        f.Entry64(Pdpt, 0, PaePd0 | P);
        f.Entry64(PaePd0, 5, 0x00600000 | (1u << 13) | PS | P | RW);
        f.EnablePae();
        f.Fault(0x00A00000, AccessKind.Read, false, EcP | EcRsvd);
    }

    [Fact]
    public void NotPresentPdpteFaults()
    {
        var f = Build();
        f.Fault(0x40000000, AccessKind.Write, true, EcW | EcU);
    }

    [Fact]
    public void ExecuteDisableBlocksFetchesWithNxe()
    {
        var f = Build(pteFlags: P | RW | US | XD, nxe: true);
        Assert.Equal(Frame + 0x321, f.Ok(Linear, AccessKind.Read));
        Assert.Equal(Frame + 0x321, f.Ok(Linear, AccessKind.Write, user: true));
        f.Fault(Linear, AccessKind.Execute, false, EcP | EcId);
        f.Fault(Linear, AccessKind.Execute, true, EcP | EcId | EcU);
    }

    [Fact]
    public void ExecuteDisableInThePdeCoversTheTable()
    {
        var f = Build(pdeFlags: P | RW | US | XD, nxe: true);
        f.Fault(Linear, AccessKind.Execute, false, EcP | EcId);
    }

    [Fact]
    public void NotPresentFetchWithNxeReportsInstructionFetch()
    {
        var f = Build(nxe: true);
        f.Fault(Linear + 0x1000, AccessKind.Execute, false, EcId);
        Assert.Equal(Frame + 0x321, f.Ok(Linear, AccessKind.Execute));
    }

    [Fact]
    public void XdBitIsReservedWithoutNxe()
    {
        var f = Build(pteFlags: P | RW | US | XD, nxe: false);
        f.Fault(Linear, AccessKind.Read, false, EcP | EcRsvd);
        // Without NXE the I/D bit is never reported.
        f.Fault(Linear, AccessKind.Execute, false, EcP | EcRsvd);
    }

    [Fact]
    public void PhysicalAddressBitsAbove32AreReserved()
    {
        // MAXPHYADDR is 32 (CPUID 80000008H), so bit 32 of a PTE is reserved.
        var f = Build(pteFlags: P | RW | (1ul << 32));
        f.Fault(Linear, AccessKind.Read, false, EcP | EcRsvd);
    }

    [Fact]
    public void ReservedBitInPdeFaultsEvenIfThePteIsNotPresent()
    {
        var f = new PagingFixture();
        f.Entry64(Pdpt, 3, PaePd3 | P);
        f.Entry64(PaePd3, 3, Pt1 | P | RW | (1ul << 40));
        f.EnablePae();
        f.Fault(Linear, AccessKind.Read, false, EcP | EcRsvd);
    }

    [Fact]
    public void PdpteWithReservedBitsFailsToLoadWithGp()
    {
        var f = new PagingFixture();
        f.Entry64(Pdpt, 0, PaePd0 | P);
        f.Entry64(Pdpt, 2, PaePd0 | P | RW); // bit 1 is reserved in a PDPTE
        f.C.Cr3 = Pdpt;
        Assert.False(f.C.Mmu.LoadPdptes());
        Assert.True(f.C.Faulted);
        Assert.Equal(Vector.GP, f.C.FaultVector);
        Assert.Equal(0u, f.C.FaultErrorCode);
    }

    [Fact]
    public void NotPresentPdpteMayHoldAnything()
    {
        var f = new PagingFixture();
        f.Entry64(Pdpt, 1, 0xFFFF_FFFF_FFFF_FFFEul); // P = 0: not checked
        f.C.Cr3 = Pdpt;
        Assert.True(f.C.Mmu.LoadPdptes());
        Assert.False(f.C.Faulted);
    }

    [Fact]
    public void PdptesAreRegistersNotReReadFromMemory()
    {
        var f = Build();
        // Point PDPTE 3 elsewhere in memory without reloading CR3: the old register value stays in use.
        f.Entry64(PaePd0, 3, Pt0 | P | RW);
        f.Entry64(Pt0, 0x54, 0x00DEF000 | P | RW);
        f.Entry64(Pdpt, 3, PaePd0 | P);
        f.C.Mmu.FlushAll();
        Assert.Equal(Frame + 0x321, f.Ok(Linear));
        Assert.True(f.C.Mmu.LoadPdptes());
        f.C.Mmu.FlushAll();
        Assert.Equal(0x00DEF321u, f.Ok(Linear));
    }
}
