using Emulator.Core.Cpu;
using Emulator.Tests.CpuTests.Paging;
using Emulator.Tests.Support;
using static Emulator.Tests.CpuTests.Paging.PagingFixture;
using static Emulator.Tests.CpuTests.SystemInstructions.SystemTestSupport;
using static Iced.Intel.AssemblerRegisters;
using Cpu = Emulator.Core.Cpu.Cpu;

namespace Emulator.Tests.CpuTests.SystemInstructions;

/// <summary>INVLPG, INVD, WBINVD (SDM Vol. 2), and the page-fault path through real instructions.</summary>
public class TlbAndCacheInstructionTests
{
    private static PagingFixture Paged(bool pge = false, uint pteFlags = P | RW)
    {
        var f = new PagingFixture();
        f.IdentityMapLow4M();
        f.Pde32(Pd, 1, Pt1 | P | RW);
        f.Pte32(Pt1, 0, 0x00900000 | pteFlags);
        f.Enable32(pge: pge);
        return f;
    }

    [Fact]
    public void InvlpgDropsTheStaleTranslation()
    {
        var f = Paged(pge: true, pteFlags: P | RW | G);
        Assert.Equal(0x00900010u, f.Ok(0x00400010));
        f.Pte32(Pt1, 0, 0x00A00000 | P | RW | G);
        f.C.Regs[Cpu.EBX] = 0x00400000;
        f.H.Load(a => { a.invlpg(__[ebx + 0xFF0]); a.hlt(); });
        f.H.Run();
        Assert.Equal(0x00A00010u, f.Ok(0x00400010));
    }

    [Fact]
    public void InvlpgUsesTheSegmentBase()
    {
        var f = Paged();
        f.Ok(0x00400010);
        f.Pte32(Pt1, 0, 0x00A00000 | P | RW);
        f.C.Segs[Cpu.FS].Base = 0x00300000;
        f.C.Regs[Cpu.EBX] = 0x00100000;
        f.H.Load(a => { a.invlpg(__.fs[ebx]); a.hlt(); });
        f.H.Run();
        Assert.Equal(0x00A00010u, f.Ok(0x00400010));
    }

    [Fact]
    public void InvlpgDoesNotCheckTheOperand()
    {
        // An unmapped page and an address beyond the segment limit: no fault, the operand is not accessed.
        var f = Paged();
        f.C.Segs[Cpu.DS].Limit = 0xFFFF;
        f.C.Regs[Cpu.EBX] = 0x00C00000;
        f.H.Load(a => a.invlpg(__[ebx]));
        ExecOk(f.H);
    }

    [Fact]
    public void InvlpgAtCpl3IsGp()
    {
        var h = CpuHarness.Flat32();
        EnterRing3(h);
        h.Load(a => a.invlpg(__[ebx]));
        ExecExpectFault(h, Vector.GP, 0);
    }

    [Fact]
    public void InvdAndWbinvdArePrivileged()
    {
        var h = CpuHarness.Flat32();
        h.Load(a => { a.invd(); a.wbinvd(); });
        ExecOk(h);
        ExecOk(h);
        EnterRing3(h);
        h.Load(a => a.invd());
        ExecExpectFault(h, Vector.GP, 0);
        h.Load(a => a.wbinvd());
        ExecExpectFault(h, Vector.GP, 0);
    }

    [Fact]
    public void InstructionFetchFromAnUnmappedPageIsAPageFault()
    {
        var f = Paged();
        f.C.Eip = 0x00401000; // PTE 1 of Pt1 is not present
        ExecExpectFault(f.H, Vector.PF, 0);
        Assert.Equal(0x00401000u, f.C.Cr2);
    }

    [Fact]
    public void UserStoreToASupervisorPageIsAPageFaultWithUserAndWriteBits()
    {
        var f = Paged(pteFlags: P | RW);
        f.Pde32(Pd, 0, Pt0 | P | RW | US);
        for (uint k = 0; k < 1024; k++) f.Pte32(Pt0, k, (k << 12) | P | RW | US); // low 4 MiB user
        f.Pde32(Pd, 1, Pt1 | P | RW | US);
        f.C.Mmu.FlushAll();
        EnterRing3(f.H);
        f.C.Regs[Cpu.EBX] = 0x00400040;
        f.H.Load(a => a.smsw(__word_ptr[ebx]));
        ExecExpectFault(f.H, Vector.PF, EcP | EcW | EcU);
        Assert.Equal(0x00400040u, f.C.Cr2);
        Assert.Equal(0u, f.Read32(Pt1) & (A | D));
    }

    [Fact]
    public void FetchFromAnExecuteDisabledPageReportsInstructionFetch()
    {
        var f = new PagingFixture();
        f.Entry64(Pdpt, 0, PaePd0 | P);
        f.Entry64(PaePd0, 0, 0x00000000 | PS | P | RW | XD); // low 2 MiB: data only
        f.EnablePae(nxe: true);
        f.C.Eip = CpuHarness.CodeBase;
        ExecExpectFault(f.H, Vector.PF, EcP | EcId);
        Assert.Equal(CpuHarness.CodeBase, f.C.Cr2);
    }

    [Fact]
    public void TurningPagingOffAndOnFlushesTheTlb()
    {
        var f = Paged();
        Assert.Equal(0x00900010u, f.Ok(0x00400010));
        f.Pte32(Pt1, 0, 0x00A00000 | P | RW);
        uint on = f.C.Cr0, off = f.C.Cr0 & ~0x80000000u;
        f.C.Regs[Cpu.EAX] = off;
        f.C.Regs[Cpu.ECX] = on;
        f.H.Load(a => { a.mov(cr0, eax); a.mov(cr0, ecx); a.hlt(); });
        f.H.Run();
        Assert.True(f.C.PagingEnabled);
        Assert.Equal(0x00A00010u, f.Ok(0x00400010));
    }
}
