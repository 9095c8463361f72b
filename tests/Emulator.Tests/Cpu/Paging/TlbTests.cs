using Emulator.Core.Cpu;
using static Emulator.Tests.CpuTests.Paging.PagingFixture;

namespace Emulator.Tests.CpuTests.Paging;

/// <summary>
/// TLB semantics (SDM Vol. 3 §4.10): stale translations stay in use until INVLPG or a CR3 load,
/// global pages survive CR3 loads, INVLPG drops global pages and whole large pages.
/// </summary>
public class TlbTests
{
    private const uint Linear = 0x00401234;

    private static PagingFixture Build(uint pteFlags = P | RW, bool pge = false)
    {
        var f = new PagingFixture();
        f.Pde32(Pd, 1, Pt1 | P | RW);
        f.Pte32(Pt1, 1, 0x00300000 | pteFlags);
        f.Enable32(pge: pge);
        return f;
    }

    [Fact]
    public void ChangedPteIsNotSeenUntilInvlpg()
    {
        var f = Build();
        Assert.Equal(0x00300234u, f.Ok(Linear));
        f.Pte32(Pt1, 1, 0x00500000 | P | RW);
        Assert.Equal(0x00300234u, f.Ok(Linear)); // stale, as on hardware
        f.C.Mmu.FlushPage(Linear + 0x500);      // any address in the page
        Assert.Equal(0x00500234u, f.Ok(Linear));
    }

    [Fact]
    public void ChangedPteIsSeenAfterCr3Reload()
    {
        var f = Build();
        f.Ok(Linear);
        f.Pte32(Pt1, 1, 0x00500000 | P | RW);
        f.C.Mmu.FlushNonGlobal();
        Assert.Equal(0x00500234u, f.Ok(Linear));
    }

    [Fact]
    public void ClearedPresentBitStillTranslatesUntilInvalidated()
    {
        var f = Build();
        f.Ok(Linear);
        f.Pte32(Pt1, 1, 0);
        Assert.Equal(0x00300234u, f.Ok(Linear));
        f.C.Mmu.FlushPage(Linear);
        f.Fault(Linear, AccessKind.Read, false, 0);
    }

    [Fact]
    public void InvlpgOnlyDropsItsOwnPage()
    {
        var f = Build();
        f.Pte32(Pt1, 2, 0x00310000 | P | RW);
        f.Ok(Linear);
        f.Ok(Linear + 0x1000);
        f.Pte32(Pt1, 1, 0x00500000 | P | RW);
        f.Pte32(Pt1, 2, 0x00510000 | P | RW);
        f.C.Mmu.FlushPage(Linear);
        Assert.Equal(0x00500234u, f.Ok(Linear));
        Assert.Equal(0x00310234u, f.Ok(Linear + 0x1000));
    }

    [Fact]
    public void GlobalPagesSurviveCr3LoadsWithPge()
    {
        var f = Build(P | RW | G, pge: true);
        f.Ok(Linear);
        f.Pte32(Pt1, 1, 0x00500000 | P | RW | G);
        f.C.Mmu.FlushNonGlobal();
        Assert.Equal(0x00300234u, f.Ok(Linear));
        // INVLPG drops global entries too.
        f.C.Mmu.FlushPage(Linear);
        Assert.Equal(0x00500234u, f.Ok(Linear));
    }

    [Fact]
    public void GlobalBitIsIgnoredWithoutPge()
    {
        var f = Build(P | RW | G, pge: false);
        f.Ok(Linear);
        f.Pte32(Pt1, 1, 0x00500000 | P | RW | G);
        f.C.Mmu.FlushNonGlobal();
        Assert.Equal(0x00500234u, f.Ok(Linear));
    }

    [Fact]
    public void FlushAllDropsGlobalPages()
    {
        var f = Build(P | RW | G, pge: true);
        f.Ok(Linear);
        f.Pte32(Pt1, 1, 0x00500000 | P | RW | G);
        f.C.Mmu.FlushAll();
        Assert.Equal(0x00500234u, f.Ok(Linear));
    }

    [Fact]
    public void NonGlobalEntriesGoWhileGlobalOnesStay()
    {
        var f = Build(P | RW | G, pge: true);
        f.Pte32(Pt1, 2, 0x00310000 | P | RW); // not global
        f.Ok(Linear);
        f.Ok(Linear + 0x1000);
        f.Pte32(Pt1, 1, 0x00500000 | P | RW | G);
        f.Pte32(Pt1, 2, 0x00510000 | P | RW);
        f.C.Mmu.FlushNonGlobal();
        Assert.Equal(0x00300234u, f.Ok(Linear));
        Assert.Equal(0x00510234u, f.Ok(Linear + 0x1000));
    }

    [Fact]
    public void InvlpgDropsEveryPieceOfALargePage()
    {
        var f = new PagingFixture();
        f.Pde32(Pd, 2, 0x00C00000 | PS | P | RW);
        f.Enable32(pse: true);
        Assert.Equal(0x00C00010u, f.Ok(0x00800010));
        Assert.Equal(0x00F45010u, f.Ok(0x00B45010));
        f.Pde32(Pd, 2, 0x00400000 | PS | P | RW);
        f.C.Mmu.FlushPage(0x00800000);
        Assert.Equal(0x00400010u, f.Ok(0x00800010));
        Assert.Equal(0x00745010u, f.Ok(0x00B45010));
    }

    [Fact]
    public void PageFaultDropsTheStaleEntry()
    {
        // A cached read-only translation; the PTE is made not-present; a write re-walks (no write right
        // is cached), faults, and the fault removes the stale entry for reads as well (SDM §4.10.4.1).
        var f = Build(P);
        f.C.Cr0 |= Cpu.Cr0WP;
        f.C.Mmu.FlushAll();
        f.Ok(Linear);
        f.Pte32(Pt1, 1, 0);
        f.Fault(Linear, AccessKind.Write, false, EcW);
        f.Fault(Linear, AccessKind.Read, false, 0);
    }

    [Fact]
    public void ManyPagesMapCorrectlyDespiteIndexCollisions()
    {
        // Pages 16 MiB apart share a direct-mapped slot; each must still translate to its own frame.
        var f = new PagingFixture();
        for (uint dir = 0; dir < 4; dir++)
        {
            uint pt = 0x00110000 + dir * 0x1000;
            f.Pde32(Pd, dir * 4, pt | P | RW);
            f.Pte32(pt, 7, (0x00200000 + dir * 0x1000) | P | RW);
        }
        f.Enable32();
        for (int round = 0; round < 2; round++)
            for (uint dir = 0; dir < 4; dir++)
                Assert.Equal(0x00200000 + dir * 0x1000 + 0x44, f.Ok((dir * 4) << 22 | 0x7044));
    }
}
