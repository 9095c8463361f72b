using Iced.Intel;
using static Iced.Intel.AssemblerRegisters;

namespace Emulator.Tests.CpuTests.Alu;

/// <summary>SETcc and CMOVcc for all 16 conditions (SDM Vol. 1 Appendix B) over every combination of CF PF ZF SF OF.</summary>
public class ConditionalTests
{
    /// <summary>The condition table of SDM Vol. 1 Appendix B, keyed by the condition's encoding (0..15).</summary>
    private static bool Holds(int cc, uint f)
    {
        bool cf = (f & Ref.CF) != 0, zf = (f & Ref.ZF) != 0, sf = (f & Ref.SF) != 0, of = (f & Ref.OF) != 0, pf = (f & Ref.PF) != 0;
        bool v = (cc >> 1) switch
        {
            0 => of,             // O / NO
            1 => cf,             // B / AE
            2 => zf,             // E / NE
            3 => cf || zf,       // BE / A
            4 => sf,             // S / NS
            5 => pf,             // P / NP
            6 => sf != of,       // L / GE
            _ => zf || sf != of, // LE / G
        };
        return (cc & 1) == 0 ? v : !v;
    }

    private static readonly Code[] SetccCodes =
    {
        Code.Seto_rm8, Code.Setno_rm8, Code.Setb_rm8, Code.Setae_rm8, Code.Sete_rm8, Code.Setne_rm8, Code.Setbe_rm8, Code.Seta_rm8,
        Code.Sets_rm8, Code.Setns_rm8, Code.Setp_rm8, Code.Setnp_rm8, Code.Setl_rm8, Code.Setge_rm8, Code.Setle_rm8, Code.Setg_rm8,
    };

    private static readonly Code[] Cmov32Codes =
    {
        Code.Cmovo_r32_rm32, Code.Cmovno_r32_rm32, Code.Cmovb_r32_rm32, Code.Cmovae_r32_rm32, Code.Cmove_r32_rm32, Code.Cmovne_r32_rm32,
        Code.Cmovbe_r32_rm32, Code.Cmova_r32_rm32, Code.Cmovs_r32_rm32, Code.Cmovns_r32_rm32, Code.Cmovp_r32_rm32, Code.Cmovnp_r32_rm32,
        Code.Cmovl_r32_rm32, Code.Cmovge_r32_rm32, Code.Cmovle_r32_rm32, Code.Cmovg_r32_rm32,
    };

    private static readonly Code[] Cmov16Codes =
    {
        Code.Cmovo_r16_rm16, Code.Cmovno_r16_rm16, Code.Cmovb_r16_rm16, Code.Cmovae_r16_rm16, Code.Cmove_r16_rm16, Code.Cmovne_r16_rm16,
        Code.Cmovbe_r16_rm16, Code.Cmova_r16_rm16, Code.Cmovs_r16_rm16, Code.Cmovns_r16_rm16, Code.Cmovp_r16_rm16, Code.Cmovnp_r16_rm16,
        Code.Cmovl_r16_rm16, Code.Cmovge_r16_rm16, Code.Cmovle_r16_rm16, Code.Cmovg_r16_rm16,
    };

    private static IEnumerable<uint> AllFlagCombinations()
    {
        uint[] bits = { Ref.CF, Ref.PF, Ref.ZF, Ref.SF, Ref.OF };
        for (int k = 0; k < 32; k++)
        {
            uint f = 0;
            for (int b = 0; b < 5; b++) if ((k & (1 << b)) != 0) f |= bits[b];
            yield return f;
        }
    }

    public static TheoryData<int> Conditions()
    {
        var d = new TheoryData<int>();
        for (int cc = 0; cc < 16; cc++) d.Add(cc);
        return d;
    }

    [Theory, MemberData(nameof(Conditions))]
    public void SetccWritesTheConditionAsAByte(int cc)
    {
        var reg = AluMachine.Flat32(a => a.AddInstruction(Instruction.Create(SetccCodes[cc], Register.BH)));
        var mem = AluMachine.Real16(a => a.AddInstruction(Instruction.Create(SetccCodes[cc], new MemoryOperand(Register.SI))));
        foreach (uint f in AllFlagCombinations())
        {
            uint expected = Holds(cc, f) ? 1u : 0u;
            reg.Exec(ebx: 0x1234_5678, flags: f);
            reg.AssertCompleted();
            Check.Equal(0x1234_0078 | (expected << 8), reg.Ebx, $"{SetccCodes[cc]} flags {f:X}");
            Check.Flags(f, reg.Flags, $"{SetccCodes[cc]} flags kept");

            mem.H.Memory.Write16(0x2000, 0xEEEE);
            mem.Exec(esi: 0x2000, flags: f);
            mem.AssertCompleted();
            Check.Equal(0xEE00 | expected, mem.H.Memory.Read16(0x2000), $"{SetccCodes[cc]} [mem] flags {f:X}");
        }
    }

    [Theory, MemberData(nameof(Conditions))]
    public void CmovccMovesOnlyWhenTheConditionHolds(int cc)
    {
        var m32 = AluMachine.Flat32(a => a.AddInstruction(Instruction.Create(Cmov32Codes[cc], Register.EAX, Register.EBX)));
        var m16 = AluMachine.Real16(a => a.AddInstruction(Instruction.Create(Cmov16Codes[cc], Register.AX, Register.BX)));
        foreach (uint f in AllFlagCombinations())
        {
            bool holds = Holds(cc, f);
            m32.Exec(eax: 0x1111_1111, ebx: 0x2222_2222, flags: f);
            m32.AssertCompleted();
            Check.Equal(holds ? 0x2222_2222u : 0x1111_1111u, m32.Eax, $"{Cmov32Codes[cc]} flags {f:X}");
            Check.Flags(f, m32.Flags, $"{Cmov32Codes[cc]} flags kept");

            m16.Exec(eax: 0x1111_1111, ebx: 0x2222_2222, flags: f);
            m16.AssertCompleted();
            Check.Equal(holds ? 0x1111_2222u : 0x1111_1111u, m16.Eax, $"{Cmov16Codes[cc]} flags {f:X}");
        }
    }

    /// <summary>
    /// Conditions read straight from the lazy state of a CMP/SUB or a TEST/AND/OR/XOR (8- and 32-bit)
    /// agree with the flags the same state gives when materialised, for operands around every edge.
    /// </summary>
    [Theory, MemberData(nameof(Conditions))]
    public void ConditionsAfterCmpAndTestAgreeWithTheirFlags(int cc)
    {
        var setcc = Instruction.Create(SetccCodes[cc], Register.CL);
        var machines = new (string Name, AluMachine M)[]
        {
            ("cmp eax, ebx", AluMachine.Flat32(a => { a.cmp(eax, ebx); a.AddInstruction(setcc); })),
            ("sub eax, ebx", AluMachine.Flat32(a => { a.sub(eax, ebx); a.AddInstruction(setcc); })),
            ("cmp al, bl", AluMachine.Flat32(a => { a.cmp(al, bl); a.AddInstruction(setcc); })),
            ("test eax, ebx", AluMachine.Flat32(a => { a.test(eax, ebx); a.AddInstruction(setcc); })),
            ("and eax, ebx", AluMachine.Flat32(a => { a.and(eax, ebx); a.AddInstruction(setcc); })),
            ("test al, bl", AluMachine.Flat32(a => { a.test(al, bl); a.AddInstruction(setcc); })),
        };
        uint[] values = { 0, 1, 2, 0x7F, 0x80, 0xFF, 0x7FFF_FFFF, 0x8000_0000, 0x8000_0001, 0xFFFF_FFFF, 0x1234_5678 };
        foreach (var (name, m) in machines)
            foreach (uint x in values)
                foreach (uint y in values)
                {
                    m.Exec(eax: x, ebx: y, ecx: 0xEEEE_EEEE);
                    m.AssertCompleted();
                    uint expected = Holds(cc, m.Flags) ? 1u : 0u;
                    Check.Equal(0xEEEE_EE00 | expected, m.Ecx, $"{name}; {SetccCodes[cc]} with {x:X}, {y:X} (flags {m.Flags:X})");
                }
    }

    [Fact]
    public void CmovMemorySourceIsReadEvenWhenTheConditionIsFalse()
    {
        // A word at DS:FFFF crosses the real-mode segment limit: #GP whether or not ZF is set.
        var m = AluMachine.Real16(a => a.cmove(ax, __word_ptr[0xFFFF]));
        m.Exec(eax: 0x1234, flags: 0);
        m.AssertVectoredTo(AluMachine.GpHandler);
        Assert.Equal(0x1234u, m.Eax);

        var ok = AluMachine.Flat32(a => a.cmovne(ecx, __dword_ptr[esi]));
        ok.H.Memory.Write32(Support.CpuHarness.DataBase, 0xCAFE_F00D);
        ok.Exec(esi: Support.CpuHarness.DataBase, ecx: 7, flags: 0);
        Assert.Equal(0xCAFE_F00Du, ok.Ecx);
        ok.Exec(esi: Support.CpuHarness.DataBase, ecx: 7, flags: Ref.ZF);
        Assert.Equal(7u, ok.Ecx);
    }
}
