using Emulator.Core.Cpu;
using static Emulator.Tests.CpuTests.Paging.PagingFixture;

namespace Emulator.Tests.CpuTests.Paging;

/// <summary>32-bit paging with 4 KiB pages (SDM Vol. 3 §4.3): address split, A/D bits, #PF error codes.</summary>
public class TwoLevelPagingTests
{
    // linear 0x00403123: directory index 1, table index 3, offset 0x123.
    private const uint Linear = 0x00403123;
    private const uint Frame = 0x00234000;

    private static PagingFixture Build(uint pdeFlags = P | RW | US, uint pteFlags = P | RW | US, bool wp = false)
    {
        var f = new PagingFixture();
        f.Pde32(Pd, 1, Pt1 | pdeFlags);
        f.Pte32(Pt1, 3, Frame | pteFlags);
        f.Enable32(wp: wp);
        return f;
    }

    [Fact]
    public void TranslatesThroughDirectoryAndTable()
    {
        var f = Build();
        Assert.Equal(Frame + 0x123, f.Ok(Linear));
        Assert.Equal(Frame + 0xFFF, f.Ok((Linear & ~0xFFFu) | 0xFFF));
    }

    [Fact]
    public void ReadSetsAccessedOnBothLevelsButNotDirty()
    {
        var f = Build();
        f.Ok(Linear);
        Assert.Equal(Pt1 | P | RW | US | A, f.Read32(Pd + 4));
        Assert.Equal(Frame | P | RW | US | A, f.Read32(Pt1 + 12));
    }

    [Fact]
    public void WriteSetsDirtyOnlyOnThePte()
    {
        var f = Build();
        f.Ok(Linear, AccessKind.Write);
        Assert.Equal(Pt1 | P | RW | US | A, f.Read32(Pd + 4));
        Assert.Equal(Frame | P | RW | US | A | D, f.Read32(Pt1 + 12));
    }

    [Fact]
    public void FirstWriteAfterACachedReadStillSetsDirty()
    {
        var f = Build();
        f.Ok(Linear);                       // caches the translation, page clean
        Assert.Equal(0u, f.Read32(Pt1 + 12) & D);
        f.Ok(Linear + 4, AccessKind.Write); // same page: must still set D
        Assert.Equal(D, f.Read32(Pt1 + 12) & D);
    }

    [Fact]
    public void NotPresentPdeFaultsWithErrorCodeZeroForSupervisorRead()
    {
        var f = Build();
        f.Fault(0x00800000, AccessKind.Read, false, 0);
    }

    [Fact]
    public void NotPresentPteErrorCodeCarriesWriteAndUser()
    {
        var f = Build();
        f.Fault(Linear + 0x1000, AccessKind.Write, true, EcW | EcU);
    }

    [Fact]
    public void FetchFaultHasNoInstructionBitWithoutPae()
    {
        // I/D is only reported with PAE and EFER.NXE (SDM §4.7): 32-bit paging never sets it.
        var f = Build();
        f.C.Efer = Cpu.EferNXE;
        f.Fault(Linear + 0x1000, AccessKind.Execute, false, 0);
    }

    [Fact]
    public void FaultingAccessSetsNoAccessedBits()
    {
        var f = Build(pteFlags: P | RW); // supervisor page
        f.Fault(Linear, AccessKind.Read, true, EcP | EcU);
        Assert.Equal(0u, f.Read32(Pd + 4) & A);
        Assert.Equal(0u, f.Read32(Pt1 + 12) & A);
    }

    [Fact]
    public void PageFaultLeavesTheMmuUsableAndCr2Set()
    {
        var f = Build();
        f.Fault(0x00C00000, AccessKind.Write, false, EcW);
        Assert.Equal(Frame + 0x123, f.Ok(Linear));
    }

    [Fact]
    public void PagingOffIsIdentity()
    {
        var f = new PagingFixture();
        Assert.True(f.C.Mmu.Translate(0x00345678, AccessKind.Write, true, out uint phys));
        Assert.Equal(0x00345678u, phys);
    }

    [Fact]
    public void ProbeTranslatesWithoutSettingAccessedOrFaulting()
    {
        var f = Build();
        Assert.True(f.C.Mmu.Probe(Linear, out uint phys));
        Assert.Equal(Frame + 0x123, phys);
        Assert.Equal(0u, f.Read32(Pt1 + 12) & A);
        Assert.Equal(0u, f.Read32(Pd + 4) & A);
        Assert.False(f.C.Mmu.Probe(0x00800000, out _));
        Assert.False(f.C.Faulted);
        Assert.Equal(0u, f.C.Cr2);
    }

    [Fact]
    public void ReadWriteAcrossPageBoundaryThroughTheCpu()
    {
        // A 4-byte write straddling two pages mapped to non-adjacent frames lands in both frames.
        var f = new PagingFixture();
        f.Pde32(Pd, 1, Pt1 | P | RW);
        f.Pte32(Pt1, 0, 0x00300000 | P | RW);
        f.Pte32(Pt1, 1, 0x00500000 | P | RW);
        f.Enable32();
        f.C.WriteLinear(0x00400FFE, 4, 0xAABBCCDD);
        Assert.False(f.C.Faulted);
        Assert.Equal((ushort)0xCCDD, f.H.Memory.Read16(0x00300FFE));
        Assert.Equal((ushort)0xAABB, f.H.Memory.Read16(0x00500000));
        Assert.Equal(0xAABBCCDDu, f.C.ReadLinear(0x00400FFE, 4));
    }
}
