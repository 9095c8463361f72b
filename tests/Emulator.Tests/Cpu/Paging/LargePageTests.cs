using Emulator.Core.Cpu;
using static Emulator.Tests.CpuTests.Paging.PagingFixture;

namespace Emulator.Tests.CpuTests.Paging;

/// <summary>4 MiB pages with CR4.PSE in 32-bit paging (SDM Vol. 3 §4.3, Table 4-4).</summary>
public class LargePageTests
{
    [Fact]
    public void FourMegabytePageMapsTheLow22Bits()
    {
        var f = new PagingFixture();
        f.Pde32(Pd, 2, 0x00C00000 | PS | P | RW); // linear 0x00800000-0x00BFFFFF -> phys 0x00C00000
        f.Enable32(pse: true);
        Assert.Equal(0x00C00000u + 0x2ABCDE, f.Ok(0x00800000 + 0x2ABCDE));
        Assert.Equal(0x00C00000u + 0x3FFFFF, f.Ok(0x00BFFFFF));
    }

    [Fact]
    public void WriteSetsAccessedAndDirtyInTheLargePde()
    {
        var f = new PagingFixture();
        f.Pde32(Pd, 2, 0x00C00000 | PS | P | RW);
        f.Enable32(pse: true);
        f.Ok(0x00812345, AccessKind.Write);
        Assert.Equal(0x00C00000u | PS | P | RW | A | D, f.Read32(Pd + 8));
    }

    [Fact]
    public void PsIsIgnoredWithoutCr4Pse()
    {
        // Without CR4.PSE the PDE points to a page table even if PS is set.
        var f = new PagingFixture();
        f.Pde32(Pd, 2, Pt1 | PS | P | RW);
        f.Pte32(Pt1, 5, 0x00777000 | P | RW);
        f.Enable32(pse: false);
        Assert.Equal(0x00777ABCu, f.Ok(0x00805ABC));
    }

    [Fact]
    public void ReservedBitsInALargePdeFaultWithRsvd()
    {
        // Bits 21:13 of a 4 MiB PDE are reserved without PSE-36.
        var f = new PagingFixture();
        f.Pde32(Pd, 2, 0x00C00000 | (1u << 13) | PS | P | RW);
        f.Pde32(Pd, 3, 0x00C00000 | (1u << 21) | PS | P | RW | US);
        f.Enable32(pse: true);
        f.Fault(0x00800000, AccessKind.Read, false, EcP | EcRsvd);
        f.Fault(0x00C00010, AccessKind.Write, true, EcP | EcRsvd | EcW | EcU);
        Assert.Equal(0u, f.Read32(Pd + 8) & A);
    }

    [Fact]
    public void LargePageUserAndWriteRights()
    {
        var f = new PagingFixture();
        f.Pde32(Pd, 2, 0x00C00000 | PS | P | US); // user, read-only
        f.Enable32(pse: true, wp: true);
        Assert.Equal(0x00C00004u, f.Ok(0x00800004, AccessKind.Read, user: true));
        f.Fault(0x00800004, AccessKind.Write, true, EcP | EcW | EcU);
        f.Fault(0x00800004, AccessKind.Write, false, EcP | EcW);
    }
}
