using static Iced.Intel.AssemblerRegisters;

namespace Emulator.Tests.CpuTests.Alu;

/// <summary>CLC STC CMC CLD STD LAHF SAHF SALC CBW CWDE CWD CDQ (SDM Vol. 2).</summary>
public class FlagOpsTests
{
    private static readonly uint[] FlagInputs = { 0, Ref.Arith, Ref.CF, Ref.ZF | Ref.PF, Ref.SF | Ref.OF | Ref.AF };

    [Fact]
    public void CarryFlagInstructionsTouchOnlyCarry()
    {
        var clc = AluMachine.Flat32(a => a.clc());
        var stc = AluMachine.Flat32(a => a.stc());
        var cmc = AluMachine.Flat32(a => a.cmc());
        foreach (uint f in FlagInputs)
        {
            clc.Exec(flags: f);
            Assert.Equal(f & ~Ref.CF, clc.Flags);
            stc.Exec(flags: f);
            Assert.Equal(f | Ref.CF, stc.Flags);
            cmc.Exec(flags: f);
            Assert.Equal(f ^ Ref.CF, cmc.Flags);
        }
    }

    [Fact]
    public void DirectionFlag()
    {
        var m = AluMachine.Real16(a => a.std());
        m.Exec(flags: Ref.CF);
        Assert.Equal(Ref.DF, m.Cpu.GetEflags() & Ref.DF);
        Assert.Equal(Ref.CF, m.Flags);
        m = AluMachine.Real16(a => { a.std(); a.cld(); });
        m.Exec(flags: Ref.ZF);
        Assert.Equal(0u, m.Cpu.GetEflags() & Ref.DF);
        Assert.Equal(Ref.ZF, m.Flags);
    }

    /// <summary>LAHF: AH = SF:ZF:0:AF:0:PF:1:CF. SAHF loads SF ZF AF PF CF from AH and keeps OF.</summary>
    [Fact]
    public void LahfAndSahf()
    {
        var lahf = AluMachine.Flat32(a => a.lahf());
        foreach (uint f in FlagInputs)
        {
            lahf.Exec(eax: 0x1234_5678, flags: f);
            uint expectedAh = (f & (Ref.SF | Ref.ZF | Ref.AF | Ref.PF | Ref.CF)) | 0x02;
            Assert.Equal(0x1234_0078u | (expectedAh << 8), lahf.Eax);
            Assert.Equal(f, lahf.Flags);
        }

        var sahf = AluMachine.Real16(a => a.sahf());
        foreach (uint ah in new uint[] { 0x00, 0xFF, 0xD5, 0x2A, 0x41 })
            foreach (uint f in new[] { 0u, Ref.Arith })
            {
                sahf.Exec(eax: ah << 8, flags: f);
                Assert.Equal((ah & 0xD5) | (f & Ref.OF), sahf.Flags);
            }
    }

    /// <summary>SALC (undocumented D6): AL = FF when CF else 00; flags unchanged.</summary>
    [Fact]
    public void Salc()
    {
        var m = AluMachine.Flat32(a => a.db(0xD6));
        m.Exec(eax: 0x1234_5642, flags: Ref.CF | Ref.ZF);
        m.AssertCompleted();
        Assert.Equal(0x1234_56FFu, m.Eax);
        Assert.Equal(Ref.CF | Ref.ZF, m.Flags);
        m.Exec(eax: 0x1234_5642, flags: Ref.ZF);
        Assert.Equal(0x1234_5600u, m.Eax);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void SignExtensions(bool real)
    {
        AluMachine Make(Action<Iced.Intel.Assembler> c) => real ? AluMachine.Real16(c) : AluMachine.Flat32(c);
        var cbw = Make(a => a.cbw());
        var cwde = Make(a => a.cwde());
        var cwd = Make(a => a.cwd());
        var cdq = Make(a => a.cdq());

        cbw.Exec(eax: 0xAAAA_BB80);
        Assert.Equal(0xAAAA_FF80u, cbw.Eax);
        cbw.Exec(eax: 0xAAAA_BB7F);
        Assert.Equal(0xAAAA_007Fu, cbw.Eax);

        cwde.Exec(eax: 0xAAAA_8000);
        Assert.Equal(0xFFFF_8000u, cwde.Eax);
        cwde.Exec(eax: 0xAAAA_7FFF);
        Assert.Equal(0x0000_7FFFu, cwde.Eax);

        cwd.Exec(eax: 0x0000_8000, edx: 0x1234_5678);
        Assert.Equal(0x1234_FFFFu, cwd.Edx);
        Assert.Equal(0x0000_8000u, cwd.Eax);
        cwd.Exec(eax: 0xFFFF_7FFF, edx: 0x1234_5678);
        Assert.Equal(0x1234_0000u, cwd.Edx);

        cdq.Exec(eax: 0x8000_0000, edx: 0x1234_5678);
        Assert.Equal(0xFFFF_FFFFu, cdq.Edx);
        cdq.Exec(eax: 0x7FFF_FFFF, edx: 0x1234_5678);
        Assert.Equal(0u, cdq.Edx);
        foreach (var m in new[] { cbw, cwde, cwd, cdq }) m.AssertCompleted();
    }
}
