using Emulator.Core.Cpu;
using Emulator.Tests.CpuTests.Paging;
using Emulator.Tests.Support;
using static Emulator.Tests.CpuTests.Paging.PagingFixture;
using static Emulator.Tests.CpuTests.SystemInstructions.SystemTestSupport;
using static Iced.Intel.AssemblerRegisters;
using Cpu = Emulator.Core.Cpu.Cpu;

namespace Emulator.Tests.CpuTests.SystemInstructions;

/// <summary>MOV to/from CR0/CR2/CR3/CR4, CLTS, LMSW, SMSW (SDM Vol. 2; Vol. 3 §2.5, §4.10.4).</summary>
public class ControlRegisterTests
{
    // CR0 bits from SDM Vol. 3 Figure 2-7.
    private const uint PE = 1, MP = 2, EM = 4, TS = 8, ET = 0x10, NE = 0x20, WP = 0x10000, CD = 0x40000000, NW = 0x20000000, PG = 0x80000000;
    // CR4 bits from SDM Vol. 3 Figure 2-8.
    private const uint VME = 1, TSD = 4, DE = 8, PSE = 0x10, PAE = 0x20, MCE = 0x40, PGE = 0x80, PCE = 0x100;

    [Fact]
    public void MovCr0EnablesPagingAndExecutionContinuesThroughIt()
    {
        var f = new PagingFixture();
        f.IdentityMapLow4M();
        f.Pde32(Pd, 1, Pt1 | P | RW);
        f.Pte32(Pt1, 0, 0x00900000 | P | RW);
        f.C.Cr3 = Pd;
        f.C.Regs[Cpu.EAX] = PE | PG; // ET not given: it reads back as 1 anyway
        f.H.Load(a => { a.mov(cr0, eax); a.mov(ebx, cr0); a.hlt(); });
        f.H.Run();
        Assert.Equal(PE | PG | ET, f.C.Cr0);
        Assert.Equal(PE | PG | ET, f.H.Ebx);
        Assert.Equal(0x00900010u, f.Ok(0x00400010));
    }

    [Fact]
    public void ReservedCr0BitsAreIgnored()
    {
        var h = CpuHarness.Flat32();
        // Reserved: bits 6-15, 17 and 19-28 (SDM Vol. 3 Figure 2-7).
        h.Cpu.Regs[Cpu.EAX] = PE | 0x0000FFC0 | 0x00020000 | 0x1FF80000;
        h.Load(a => { a.mov(cr0, eax); a.hlt(); });
        h.Run();
        Assert.Equal(PE | ET, h.Cpu.Cr0);
    }

    [Fact]
    public void PagingWithoutProtectionIsGp()
    {
        var h = CpuHarness.Real16();
        uint before = h.Cpu.Cr0;
        h.Cpu.Regs[Cpu.EAX] = PG | ET;
        h.Load(a => a.mov(cr0, eax));
        ExecExpectFault(h, Vector.GP, 0);
        Assert.Equal(before, h.Cpu.Cr0);
    }

    [Fact]
    public void NotWriteThroughWithoutCacheDisableIsGp()
    {
        var h = CpuHarness.Flat32();
        h.Cpu.Regs[Cpu.EAX] = PE | ET | NW;
        h.Load(a => a.mov(cr0, eax));
        ExecExpectFault(h, Vector.GP, 0);
    }

    [Fact]
    public void ClearingPeKeepsTheSegmentCaches()
    {
        var h = CpuHarness.Flat32();
        var dsBefore = h.Cpu.Segs[Cpu.DS];
        h.Cpu.Regs[Cpu.EAX] = ET;
        h.Load(a => a.mov(cr0, eax));
        ExecOk(h);
        Assert.False(h.Cpu.ProtectedMode);
        Assert.Equal(dsBefore.Base, h.Cpu.Segs[Cpu.DS].Base);
        Assert.Equal(dsBefore.Limit, h.Cpu.Segs[Cpu.DS].Limit);
        Assert.Equal(dsBefore.Attributes, h.Cpu.Segs[Cpu.DS].Attributes);
        Assert.Equal(0x08, h.Cpu.Segs[Cpu.CS].Selector);
    }

    [Fact]
    public void Cr2AndCr3RoundTrip()
    {
        var h = CpuHarness.Flat32();
        h.Cpu.Regs[Cpu.EAX] = 0x12345678;
        h.Cpu.Regs[Cpu.ECX] = 0x00ABC018;
        h.Load(a => { a.mov(cr2, eax); a.mov(cr3, ecx); a.mov(edx, cr2); a.mov(esi, cr3); a.hlt(); });
        h.Run();
        Assert.Equal(0x12345678u, h.Edx);
        Assert.Equal(0x00ABC018u, h.Esi);
    }

    [Fact]
    public void MovCr3FlushesNonGlobalTranslations()
    {
        var f = new PagingFixture();
        f.IdentityMapLow4M();
        f.Pde32(Pd, 1, Pt1 | P | RW);
        f.Pte32(Pt1, 0, 0x00900000 | P | RW);
        f.Pte32(Pt1, 1, 0x00910000 | P | RW | G);
        f.Enable32(pge: true);
        Assert.Equal(0x00900000u, f.Ok(0x00400000));
        Assert.Equal(0x00910000u, f.Ok(0x00401000));
        f.Pte32(Pt1, 0, 0x00A00000 | P | RW);
        f.Pte32(Pt1, 1, 0x00A10000 | P | RW | G);
        f.C.Regs[Cpu.EAX] = Pd;
        f.H.Load(a => { a.mov(cr3, eax); a.hlt(); });
        f.H.Run();
        Assert.Equal(0x00A00000u, f.Ok(0x00400000));
        Assert.Equal(0x00910000u, f.Ok(0x00401000)); // global: still the old translation
    }

    [Fact]
    public void ClearingCr4PgeFlushesGlobalTranslations()
    {
        var f = new PagingFixture();
        f.IdentityMapLow4M();
        f.Pde32(Pd, 1, Pt1 | P | RW);
        f.Pte32(Pt1, 1, 0x00910000 | P | RW | G);
        f.Enable32(pge: true);
        Assert.Equal(0x00910000u, f.Ok(0x00401000));
        f.Pte32(Pt1, 1, 0x00A10000 | P | RW | G);
        f.C.Regs[Cpu.EAX] = 0;
        f.H.Load(a => { a.mov(cr4, eax); a.hlt(); });
        f.H.Run();
        Assert.Equal(0u, f.C.Cr4);
        Assert.Equal(0x00A10000u, f.Ok(0x00401000));
    }

    [Fact]
    public void SettingCr0WpFlushesSoCachedWriteRightsAreRechecked()
    {
        var f = new PagingFixture();
        f.IdentityMapLow4M();
        f.Pde32(Pd, 1, Pt1 | P | RW);
        f.Pte32(Pt1, 0, 0x00900000 | P); // read-only
        f.Enable32(wp: false);
        f.Ok(0x00400000, AccessKind.Write); // allowed, now cached as writable and dirty
        f.C.Regs[Cpu.EAX] = f.C.Cr0 | WP;
        f.H.Load(a => { a.mov(cr0, eax); a.hlt(); });
        f.H.Run();
        f.Fault(0x00400000, AccessKind.Write, false, EcP | EcW);
    }

    [Theory]
    [InlineData(TSD | PSE | PAE | PGE, true)]
    [InlineData(VME, false)]
    [InlineData(DE, false)]
    [InlineData(MCE, false)]
    [InlineData(PCE, false)]
    [InlineData(1u << 9, false)]  // OSFXSR: no FXSR
    [InlineData(1u << 20, false)] // SMEP: not implemented
    public void Cr4AcceptsOnlyImplementedBits(uint value, bool accepted)
    {
        var h = CpuHarness.Flat32();
        h.Cpu.Regs[Cpu.EAX] = value;
        h.Load(a => a.mov(cr4, eax));
        if (accepted)
        {
            ExecOk(h);
            Assert.Equal(value, h.Cpu.Cr4);
        }
        else
        {
            ExecExpectFault(h, Vector.GP, 0);
            Assert.Equal(0u, h.Cpu.Cr4);
        }
    }

    /// <summary>PAE tables: low 2 MiB identity-mapped with a 2 MiB page (code, stack), and 0xC0000000 -> 0x00900000.</summary>
    private static PagingFixture PaeTables()
    {
        var f = new PagingFixture();
        f.Entry64(Pdpt, 0, PaePd0 | P);
        f.Entry64(Pdpt, 3, PaePd3 | P);
        f.Entry64(PaePd0, 0, 0x00000000 | PS | P | RW);
        f.Entry64(PaePd3, 0, 0x00800000 | PS | P | RW);
        return f;
    }

    [Fact]
    public void EnablingPaePagingWithMovCr0LoadsThePdptes()
    {
        var f = PaeTables();
        f.C.Cr4 = Cpu.Cr4PAE;
        f.C.Cr3 = Pdpt;  // the PDPTE registers are not loaded yet
        f.C.Regs[Cpu.EAX] = PE | PG;
        f.H.Load(a => { a.mov(cr0, eax); a.hlt(); });
        f.H.Run();
        Assert.True(f.C.PagingEnabled);
        Assert.Equal((ulong)(PaePd3 | P), f.C.Mmu.GetPdpte(3));
        Assert.Equal(0x00812345u, f.Ok(0xC0012345));
    }

    [Fact]
    public void MovCr3WithAnInvalidPdpteIsGpAndKeepsCr3()
    {
        var f = PaeTables();
        f.EnablePae();
        uint badPdpt = Pdpt + 0x20;
        f.Entry64(badPdpt, 0, PaePd0 | P);
        f.Entry64(badPdpt, 1, PaePd0 | P | (1ul << 5)); // bit 5 reserved in a PDPTE
        f.C.Regs[Cpu.EAX] = badPdpt;
        f.H.Load(a => a.mov(cr3, eax));
        ExecExpectFault(f.H, Vector.GP, 0);
        Assert.Equal(Pdpt, f.C.Cr3);
        Assert.Equal((ulong)(PaePd3 | P), f.C.Mmu.GetPdpte(3));
    }

    [Fact]
    public void MovCr3InPaeModeReloadsThePdptes()
    {
        var f = PaeTables();
        f.EnablePae();
        uint otherPdpt = Pdpt + 0x20;
        f.Entry64(otherPdpt, 0, PaePd0 | P);
        f.Entry64(otherPdpt, 3, Pd2 | P);
        f.Entry64(Pd2, 0, 0x00A00000 | PS | P | RW);
        Assert.Equal(0x00800000u, f.Ok(0xC0000000));
        f.C.Regs[Cpu.EAX] = otherPdpt;
        f.H.Load(a => { a.mov(cr3, eax); a.hlt(); });
        f.H.Run();
        Assert.Equal(0x00A00000u, f.Ok(0xC0000000));
    }

    [Fact]
    public void InvalidControlRegisterIsUd()
    {
        var h = CpuHarness.Flat32();
        h.LoadBytes(new byte[] { 0x0F, 0x22, 0xC8 }); // mov cr1, eax
        ExecExpectFault(h, Vector.UD);
        h.LoadBytes(new byte[] { 0x0F, 0x20, 0xF8 }); // mov eax, cr7
        ExecExpectFault(h, Vector.UD);
    }

    [Fact]
    public void ControlRegisterAccessAtCpl3IsGp()
    {
        var h = CpuHarness.Flat32();
        EnterRing3(h);
        h.Load(a => a.mov(eax, cr0));
        ExecExpectFault(h, Vector.GP, 0);
        h.Cpu.Regs[Cpu.EAX] = 0;
        h.Load(a => a.mov(cr3, eax));
        ExecExpectFault(h, Vector.GP, 0);
    }

    [Fact]
    public void MovCrWorksInRealMode()
    {
        var h = CpuHarness.Real16();
        h.Cpu.Regs[Cpu.EAX] = 0x5000;
        h.Load(a => { a.mov(cr3, eax); a.mov(ebx, cr0); a.hlt(); });
        h.Run();
        Assert.Equal(0x5000u, h.Cpu.Cr3);
        Assert.Equal(h.Cpu.Cr0, h.Ebx);
        Assert.Equal(ET, h.Ebx & ET);
    }

    [Fact]
    public void CltsClearsTs()
    {
        var h = CpuHarness.Flat32();
        h.Cpu.Cr0 |= TS | MP;
        h.Load(a => { a.clts(); a.hlt(); });
        h.Run();
        Assert.Equal(0u, h.Cpu.Cr0 & TS);
        Assert.Equal(MP, h.Cpu.Cr0 & MP);
    }

    [Fact]
    public void CltsAtCpl3IsGp()
    {
        var h = CpuHarness.Flat32();
        h.Cpu.Cr0 |= TS;
        EnterRing3(h);
        h.Load(a => a.clts());
        ExecExpectFault(h, Vector.GP, 0);
        Assert.Equal(TS, h.Cpu.Cr0 & TS);
    }

    [Fact]
    public void LmswLoadsTheLowFourBitsButCannotClearPe()
    {
        var h = CpuHarness.Flat32();
        h.Cpu.Cr0 |= NE;
        uint high = h.Cpu.Cr0 & ~0xFu;
        h.Cpu.Regs[Cpu.EAX] = 0xFFF0 | MP | TS; // PE = 0 requested, EM = 0
        h.Load(a => { a.lmsw(ax); a.hlt(); });
        h.Run();
        Assert.Equal(high | PE | MP | TS, h.Cpu.Cr0);
    }

    [Fact]
    public void LmswCanEnterProtectedMode()
    {
        var h = CpuHarness.Real16();
        h.Cpu.Regs[Cpu.EAX] = PE;
        h.Load(a => a.lmsw(ax));
        ExecOk(h);
        Assert.True(h.Cpu.ProtectedMode);
    }

    [Fact]
    public void LmswAtCpl3IsGp()
    {
        var h = CpuHarness.Flat32();
        EnterRing3(h);
        h.Load(a => a.lmsw(ax));
        ExecExpectFault(h, Vector.GP, 0);
    }

    [Fact]
    public void SmswStoresCr0IntoRegistersAndSixteenBitsIntoMemory()
    {
        var h = CpuHarness.Flat32();
        h.Cpu.Cr0 = PE | ET | TS | WP | CD | NW;
        h.Cpu.Regs[Cpu.ECX] = 0xAAAA0000;
        h.Memory.Write32(CpuHarness.DataBase, 0x55555555);
        EnterRing3(h); // SMSW is not privileged
        h.Load(a => { a.smsw(eax); a.smsw(cx); a.smsw(__word_ptr[CpuHarness.DataBase]); });
        ExecOk(h); ExecOk(h); ExecOk(h);
        Assert.Equal(PE | ET | TS | WP | CD | NW, h.Eax);
        Assert.Equal(0xAAAA0000u | PE | ET | TS, h.Ecx);
        Assert.Equal(0x55550000u | PE | ET | TS, h.Memory.Read32(CpuHarness.DataBase));
    }
}
