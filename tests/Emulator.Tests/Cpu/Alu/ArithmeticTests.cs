using Emulator.Core.Cpu;
using Iced.Intel;
using static Iced.Intel.AssemblerRegisters;

namespace Emulator.Tests.CpuTests.Alu;

/// <summary>ADD ADC SUB SBB CMP INC DEC NEG against the reference flag model (SDM Vol. 2).</summary>
public class ArithmeticTests
{
    public enum Op { Add, Adc, Sub, Sbb, Cmp }

    private static Code RegRegCode(Op op, int bits) => (op, bits) switch
    {
        (Op.Add, 8) => Code.Add_rm8_r8, (Op.Add, 16) => Code.Add_rm16_r16, (Op.Add, _) => Code.Add_rm32_r32,
        (Op.Adc, 8) => Code.Adc_rm8_r8, (Op.Adc, 16) => Code.Adc_rm16_r16, (Op.Adc, _) => Code.Adc_rm32_r32,
        (Op.Sub, 8) => Code.Sub_rm8_r8, (Op.Sub, 16) => Code.Sub_rm16_r16, (Op.Sub, _) => Code.Sub_rm32_r32,
        (Op.Sbb, 8) => Code.Sbb_rm8_r8, (Op.Sbb, 16) => Code.Sbb_rm16_r16, (Op.Sbb, _) => Code.Sbb_rm32_r32,
        (Op.Cmp, 8) => Code.Cmp_rm8_r8, (Op.Cmp, 16) => Code.Cmp_rm16_r16, _ => Code.Cmp_rm32_r32,
    };

    internal static Register Acc(int bits) => bits switch { 8 => Register.AL, 16 => Register.AX, _ => Register.EAX };
    internal static Register Bx(int bits) => bits switch { 8 => Register.BL, 16 => Register.BX, _ => Register.EBX };

    private static (uint Result, uint Flags) Expected(Op op, int bits, uint x, uint y, uint carry) => op switch
    {
        Op.Add => Ref.Add(bits, x, y),
        Op.Adc => Ref.Add(bits, x, y, carry),
        Op.Sbb => Ref.Sub(bits, x, y, carry),
        _ => Ref.Sub(bits, x, y),
    };

    public static TheoryData<Op, int, bool> OpsSizesModes()
    {
        var d = new TheoryData<Op, int, bool>();
        foreach (var op in Enum.GetValues<Op>())
            foreach (int bits in new[] { 8, 16, 32 })
                foreach (bool real in new[] { false, true })
                    d.Add(op, bits, real);
        return d;
    }

    /// <summary>
    /// op r/m, reg for every pair of edge operands and both carry-ins, in 32-bit code (16-bit via 66)
    /// and real mode (32-bit via 66). Incoming flags are all set when the carry-in is 1, so any flag
    /// the instruction fails to write shows up.
    /// </summary>
    [Theory, MemberData(nameof(OpsSizesModes))]
    public void RegisterFormMatchesReferenceModel(Op op, int bits, bool real)
    {
        Action<Assembler> code = a => a.AddInstruction(Instruction.Create(RegRegCode(op, bits), Acc(bits), Bx(bits)));
        var m = real ? AluMachine.Real16(code) : AluMachine.Flat32(code);
        foreach (uint x in Ref.Edges(bits))
            foreach (uint y in Ref.Edges(bits))
                foreach (uint carry in new[] { 0u, 1u })
                {
                    m.Exec(eax: Ref.InReg(x, bits), ebx: Ref.InReg(y, bits, 0x1111_1111), flags: carry == 1 ? Ref.Arith : 0);
                    m.AssertCompleted();
                    var (r, f) = Expected(op, bits, x, y, carry);
                    string what = $"{op}{bits} {x:X} , {y:X} cin={carry}";
                    Check.Equal(op == Op.Cmp ? Ref.InReg(x, bits) : Ref.InReg(r, bits), m.Eax, what + " result");
                    Check.Equal(Ref.InReg(y, bits, 0x1111_1111), m.Ebx, what + " source");
                    Check.Flags(f, m.Flags, what);
                }
    }

    /// <summary>Immediate and accumulator encodings, including sign-extended imm8 (83 /n ib).</summary>
    [Theory]
    [InlineData(Code.Add_EAX_imm32, Register.EAX, 0xFFFF_FFFFu, 1, 0u)]
    [InlineData(Code.Add_AX_imm16, Register.AX, 0x7FFFu, 1, 0u)]
    [InlineData(Code.Add_AL_imm8, Register.AL, 0x80u, 0x80, 0u)]
    [InlineData(Code.Add_rm32_imm32, Register.ECX, 0x8000_0000u, 0x7FFF_FFFF, 0u)]
    [InlineData(Code.Add_rm32_imm8, Register.ECX, 5u, -1, 0u)]
    [InlineData(Code.Add_rm16_imm8, Register.DX, 0x0001u, -128, 0u)]
    [InlineData(Code.Add_rm8_imm8, Register.BH, 0x0Fu, 0x01, 0u)]
    [InlineData(Code.Add_rm16_imm16, Register.SI, 0x1234u, 0xEDCC, 0u)]
    [InlineData(Code.Adc_rm32_imm8, Register.EDI, 0xFFFF_FFFEu, 1, 1u)]
    [InlineData(Code.Adc_EAX_imm32, Register.EAX, 0x7FFF_FFFFu, 0, 1u)]
    [InlineData(Code.Sub_rm32_imm8, Register.EBX, 0u, 1, 0u)]
    [InlineData(Code.Sub_AX_imm16, Register.AX, 0x8000u, 1, 0u)]
    [InlineData(Code.Sub_rm8_imm8, Register.CL, 0x10u, 0x01, 0u)]
    [InlineData(Code.Sbb_rm32_imm8, Register.EBX, 0u, 0, 1u)]
    [InlineData(Code.Sbb_AL_imm8, Register.AL, 0x80u, 0x7F, 1u)]
    [InlineData(Code.Cmp_rm32_imm8, Register.ESI, 0xFFFF_FFFFu, -1, 0u)]
    [InlineData(Code.Cmp_EAX_imm32, Register.EAX, 1u, 2, 0u)]
    [InlineData(Code.Cmp_rm16_imm8, Register.BP, 0x8000u, 1, 0u)]
    public void ImmediateForms(Code code, Register reg, uint value, int imm, uint carry)
    {
        int bits = reg.GetSize() * 8;
        var m = AluMachine.Flat32(a => a.AddInstruction(Instruction.Create(code, reg, imm)));
        var c = m.Cpu;
        ResetAndRun(m, reg, value, carry);
        uint src = (uint)imm & Ref.Mask(bits); // the decoder's sign extension is what is under test
        var op = code.Mnemonic() switch
        {
            Mnemonic.Add => Op.Add, Mnemonic.Adc => Op.Adc, Mnemonic.Sub => Op.Sub, Mnemonic.Sbb => Op.Sbb, _ => Op.Cmp,
        };
        var (r, f) = Expected(op, bits, value, src, carry);
        Check.Equal(op == Op.Cmp ? value & Ref.Mask(bits) : r, c.ReadReg(reg), $"{code} result");
        Check.Flags(f, m.Flags, $"{code}");
    }

    /// <summary>Runs the snippet with one register (its full register holding junk) preset to <paramref name="value"/> and CF = <paramref name="carry"/>.</summary>
    internal static void ResetAndRun(AluMachine m, Register reg, uint value, uint carry)
    {
        var c = m.Cpu;
        c.Eip = m.Entry;
        c.Halted = false;
        c.Regs[reg.GetFullRegister32() - Register.EAX] = 0xA5C3_96E1u;
        c.WriteReg(reg, value);
        c.SetEflags(2 | (carry == 1 ? Ref.CF : 0u));
        m.H.Run(4);
        m.AssertCompleted();
    }

    public enum UnaryOp { Inc, Dec, Neg }

    public static TheoryData<UnaryOp, int, bool> UnaryOpsSizes()
    {
        var d = new TheoryData<UnaryOp, int, bool>();
        foreach (var op in Enum.GetValues<UnaryOp>())
            foreach (int bits in new[] { 8, 16, 32 })
                foreach (bool real in new[] { false, true })
                    d.Add(op, bits, real);
        return d;
    }

    /// <summary>INC/DEC are ADD/SUB of 1 that preserve CF; NEG is 0 - x with CF = (x != 0).</summary>
    [Theory, MemberData(nameof(UnaryOpsSizes))]
    public void IncDecNegMatchReferenceModel(UnaryOp op, int bits, bool real)
    {
        Register reg = Acc(bits);
        Action<Assembler> code = op switch
        {
            UnaryOp.Inc => a => a.AddInstruction(Instruction.Create(bits == 8 ? Code.Inc_rm8 : bits == 16 ? Code.Inc_rm16 : Code.Inc_rm32, reg)),
            UnaryOp.Dec => a => a.AddInstruction(Instruction.Create(bits == 8 ? Code.Dec_rm8 : bits == 16 ? Code.Dec_rm16 : Code.Dec_rm32, reg)),
            _ => a => a.AddInstruction(Instruction.Create(bits == 8 ? Code.Neg_rm8 : bits == 16 ? Code.Neg_rm16 : Code.Neg_rm32, reg)),
        };
        var m = real ? AluMachine.Real16(code) : AluMachine.Flat32(code);
        foreach (uint x in Ref.Edges(bits))
            foreach (uint flagsIn in new[] { 0u, Ref.Arith })
            {
                m.Exec(eax: Ref.InReg(x, bits), flags: flagsIn);
                m.AssertCompleted();
                var (r, f) = op switch
                {
                    UnaryOp.Inc => Ref.Add(bits, x, 1),
                    UnaryOp.Dec => Ref.Sub(bits, x, 1),
                    _ => Ref.Sub(bits, 0, x),
                };
                if (op != UnaryOp.Neg) f = (f & ~Ref.CF) | (flagsIn & Ref.CF);
                string what = $"{op}{bits} {x:X} flagsIn={flagsIn:X}";
                Check.Equal(Ref.InReg(r, bits), m.Eax, what);
                Check.Flags(f, m.Flags, what);
            }
    }

    /// <summary>The one-byte INC/DEC r16/r32 encodings (40+r, 48+r) of 32-bit and 16-bit code.</summary>
    [Fact]
    public void ShortIncDecForms()
    {
        var m = AluMachine.Flat32(a => { a.inc(edx); a.dec(si); });
        m.Exec(edx: 0x7FFF_FFFF, esi: 0xABCD_0000, flags: Ref.CF);
        m.AssertCompleted();
        Assert.Equal(0x8000_0000u, m.Edx);
        Assert.Equal(0xABCD_FFFFu, m.Cpu.Regs[Cpu.ESI]);
        // DEC 0 -> FFFF: CF kept, SF, PF (FF has even parity), AF (borrow from bit 4); OF clear.
        Assert.Equal(Ref.CF | Ref.SF | Ref.PF | Ref.AF, m.Flags);

        var r = AluMachine.Real16(a => a.inc(cx));
        r.Exec(ecx: 0x1234_FFFF);
        r.AssertCompleted();
        Assert.Equal(0x1234_0000u, r.Ecx);
        Assert.Equal(Ref.ZF | Ref.PF | Ref.AF, r.Flags);
    }

    /// <summary>Memory destinations (read-modify-write) in 32-bit and real mode, and a memory source.</summary>
    [Fact]
    public void MemoryOperands()
    {
        const uint data = Support.CpuHarness.DataBase;
        var m = AluMachine.Flat32(a =>
        {
            a.add(__dword_ptr[esi + 4], ebx);   // 0x7FFFFFFF + 1
            a.sbb(__word_ptr[esi + 8], 1);       // 0 - 1 - 0
            a.neg(__byte_ptr[esi + 12]);
            a.cmp(ecx, __dword_ptr[esi + 16]);
        });
        m.H.Memory.Write32(data + 4, 0x7FFF_FFFF);
        m.H.Memory.Write32(data + 8, 0xAAAA_0000);
        m.H.Memory.Write32(data + 12, 0x0000_0001);
        m.H.Memory.Write32(data + 16, 0x0000_0005);
        m.Exec(esi: data, ebx: 1, ecx: 5);
        m.AssertCompleted();
        Assert.Equal(0x8000_0000u, m.H.Memory.Read32(data + 4));
        Assert.Equal(0xAAAA_FFFFu, m.H.Memory.Read32(data + 8));
        Assert.Equal(0x0000_00FFu, m.H.Memory.Read32(data + 12));
        Assert.Equal(Ref.Sub(32, 5, 5).Flags, m.Flags);

        var r = AluMachine.Real16(a => a.adc(__word_ptr[bx + si], ax));
        r.H.Memory.Write16(0x2002, 0xFFFF);
        r.Exec(ebx: 0x2000, esi: 2, eax: 0x0000, flags: Ref.CF);
        r.AssertCompleted();
        Assert.Equal((ushort)0x0000, r.H.Memory.Read16(0x2002));
        Assert.Equal(Ref.Add(16, 0xFFFF, 0, 1).Flags, r.Flags);
    }
}
