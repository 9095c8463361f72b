using Emulator.Core.Cpu;
using static Emulator.Tests.CpuTests.Paging.PagingFixture;

namespace Emulator.Tests.CpuTests.Paging;

/// <summary>U/S and R/W combined over the levels, and CR0.WP (SDM Vol. 3 §4.6).</summary>
public class AccessRightsTests
{
    private const uint Linear = 0x00401000;
    private const uint Frame = 0x00345000;

    private static PagingFixture Build(uint pdeFlags, uint pteFlags, bool wp = false)
    {
        var f = new PagingFixture();
        f.Pde32(Pd, 1, Pt1 | pdeFlags);
        f.Pte32(Pt1, 1, Frame | pteFlags);
        f.Enable32(wp: wp);
        return f;
    }

    [Fact]
    public void UserCanReadAndWriteAUserWritablePage()
    {
        var f = Build(P | RW | US, P | RW | US);
        Assert.Equal(Frame, f.Ok(Linear, AccessKind.Read, user: true));
        Assert.Equal(Frame, f.Ok(Linear, AccessKind.Write, user: true));
        Assert.Equal(Frame, f.Ok(Linear, AccessKind.Execute, user: true));
    }

    [Fact]
    public void SupervisorPteDeniesUser()
    {
        var f = Build(P | RW | US, P | RW);
        f.Fault(Linear, AccessKind.Read, true, EcP | EcU);
        f.Fault(Linear, AccessKind.Execute, true, EcP | EcU);
        Assert.Equal(Frame, f.Ok(Linear, AccessKind.Write, user: false));
    }

    [Fact]
    public void SupervisorPdeDeniesUserEvenIfPteIsUser()
    {
        var f = Build(P | RW, P | RW | US);
        f.Fault(Linear, AccessKind.Read, true, EcP | EcU);
    }

    [Fact]
    public void ReadOnlyPdeDeniesUserWritesEvenIfPteIsWritable()
    {
        var f = Build(P | US, P | RW | US);
        Assert.Equal(Frame, f.Ok(Linear, AccessKind.Read, user: true));
        f.Fault(Linear, AccessKind.Write, true, EcP | EcW | EcU);
    }

    [Fact]
    public void ReadOnlyPteDeniesUserWrites()
    {
        var f = Build(P | RW | US, P | US);
        f.Fault(Linear, AccessKind.Write, true, EcP | EcW | EcU);
    }

    [Fact]
    public void SupervisorWritesToReadOnlyPagesSucceedWhenWpIsClear()
    {
        var f = Build(P | US, P | US, wp: false);
        Assert.Equal(Frame + 8, f.Ok(Linear + 8, AccessKind.Write));
        Assert.Equal(D, f.Read32(Pt1 + 4) & D);
    }

    [Fact]
    public void SupervisorWritesToReadOnlyPagesFaultWhenWpIsSet()
    {
        var f = Build(P | RW, P, wp: true);
        f.Fault(Linear, AccessKind.Write, false, EcP | EcW);
        Assert.Equal(0u, f.Read32(Pt1 + 4) & D);
        // Reads still work.
        Assert.Equal(Frame, f.Ok(Linear));
    }

    [Fact]
    public void WpAlsoAppliesWhenOnlyThePdeIsReadOnly()
    {
        var f = Build(P, P | RW, wp: true);
        f.Fault(Linear, AccessKind.Write, false, EcP | EcW);
    }

    [Fact]
    public void CachedUserTranslationDoesNotGrantAccessToAnotherPrivilege()
    {
        // A translation cached by a supervisor access must still deny a user access.
        var f = Build(P | RW | US, P | RW);
        f.Ok(Linear, AccessKind.Write);
        f.Fault(Linear, AccessKind.Read, true, EcP | EcU);
    }

    [Fact]
    public void CachedReadDoesNotGrantWriteWithWp()
    {
        var f = Build(P | RW, P, wp: true);
        f.Ok(Linear);
        f.Fault(Linear, AccessKind.Write, false, EcP | EcW);
    }
}
