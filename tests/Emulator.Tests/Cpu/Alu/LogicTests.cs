using Iced.Intel;
using static Iced.Intel.AssemblerRegisters;

namespace Emulator.Tests.CpuTests.Alu;

/// <summary>AND OR XOR TEST NOT (SDM Vol. 2): CF = OF = 0, SZP from the result; NOT leaves flags alone.</summary>
public class LogicTests
{
    public enum Op { And, Or, Xor, Test }

    private static Code RegRegCode(Op op, int bits) => (op, bits) switch
    {
        (Op.And, 8) => Code.And_rm8_r8, (Op.And, 16) => Code.And_rm16_r16, (Op.And, _) => Code.And_rm32_r32,
        (Op.Or, 8) => Code.Or_rm8_r8, (Op.Or, 16) => Code.Or_rm16_r16, (Op.Or, _) => Code.Or_rm32_r32,
        (Op.Xor, 8) => Code.Xor_rm8_r8, (Op.Xor, 16) => Code.Xor_rm16_r16, (Op.Xor, _) => Code.Xor_rm32_r32,
        (Op.Test, 8) => Code.Test_rm8_r8, (Op.Test, 16) => Code.Test_rm16_r16, _ => Code.Test_rm32_r32,
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

    [Theory, MemberData(nameof(OpsSizesModes))]
    public void RegisterFormMatchesReferenceModel(Op op, int bits, bool real)
    {
        Action<Assembler> code = a => a.AddInstruction(Instruction.Create(RegRegCode(op, bits), ArithmeticTests.Acc(bits), ArithmeticTests.Bx(bits)));
        var m = real ? AluMachine.Real16(code) : AluMachine.Flat32(code);
        foreach (uint x in Ref.Edges(bits))
            foreach (uint y in Ref.Edges(bits))
            {
                // All arithmetic flags set beforehand: CF and OF must be cleared, AF (undefined) is cleared here.
                m.Exec(eax: Ref.InReg(x, bits), ebx: Ref.InReg(y, bits, 0x1111_1111), flags: Ref.Arith);
                m.AssertCompleted();
                uint r = op switch { Op.And or Op.Test => x & y, Op.Or => x | y, _ => x ^ y } & Ref.Mask(bits);
                string what = $"{op}{bits} {x:X}, {y:X}";
                Check.Equal(op == Op.Test ? Ref.InReg(x, bits) : Ref.InReg(r, bits), m.Eax, what);
                Check.Flags(Ref.Logic(r, bits), m.Flags, what);
            }
    }

    [Theory]
    [InlineData(Code.And_EAX_imm32, Register.EAX, 0xFFFF_FFFFu, unchecked((int)0x8000_0001))]
    [InlineData(Code.And_rm32_imm8, Register.EDX, 0x1234_5678u, -16)]
    [InlineData(Code.Or_AL_imm8, Register.AL, 0x00u, 0x80)]
    [InlineData(Code.Or_rm16_imm8, Register.CX, 0x0000u, -1)]
    [InlineData(Code.Xor_AX_imm16, Register.AX, 0xFFFFu, 0xFFFF)]
    [InlineData(Code.Xor_rm8_imm8, Register.DH, 0x0Fu, 0xF0)]
    [InlineData(Code.Test_EAX_imm32, Register.EAX, 0x8000_0000u, unchecked((int)0x8000_0000))]
    [InlineData(Code.Test_rm16_imm16, Register.BX, 0x00FFu, 0xFF00)]
    public void ImmediateForms(Code code, Register reg, uint value, int imm)
    {
        int bits = reg.GetSize() * 8;
        var m = AluMachine.Flat32(a => a.AddInstruction(Instruction.Create(code, reg, imm)));
        ArithmeticTests.ResetAndRun(m, reg, value, 1);
        uint src = (uint)imm & Ref.Mask(bits);
        uint r = code.Mnemonic() switch { Mnemonic.Or => value | src, Mnemonic.Xor => value ^ src, _ => value & src } & Ref.Mask(bits);
        Check.Equal(code.Mnemonic() == Mnemonic.Test ? value : r, m.Cpu.ReadReg(reg), $"{code}");
        Check.Flags(Ref.Logic(r, bits), m.Flags, $"{code}");
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void NotInvertsWithoutTouchingFlags(bool real)
    {
        Action<Assembler> code = a => { a.not(eax); a.not(bx); a.not(cl); a.not(ch); };
        var m = real ? AluMachine.Real16(code) : AluMachine.Flat32(code);
        foreach (uint flags in new[] { 0u, Ref.Arith })
        {
            m.Exec(eax: 0x0F0F_0000, ebx: 0x1234_00FF, ecx: 0x5555_A55A, flags: flags);
            m.AssertCompleted();
            Assert.Equal(0xF0F0_FFFFu, m.Eax);
            Assert.Equal(0x1234_FF00u, m.Ebx);
            Assert.Equal(0x5555_5AA5u, m.Ecx);
            Assert.Equal(flags, m.Flags);
        }
    }

    [Fact]
    public void MemoryDestinationsAndSources()
    {
        const uint data = Support.CpuHarness.DataBase;
        var m = AluMachine.Flat32(a =>
        {
            a.or(__dword_ptr[esi], 0x8000_0000u);
            a.not(__word_ptr[esi + 4]);
            a.xor(__byte_ptr[esi + 8], bl);
            a.test(__dword_ptr[esi + 12], ecx);
        });
        m.H.Memory.Write32(data, 0x0000_0001);
        m.H.Memory.Write32(data + 4, 0x1234_5678);
        m.H.Memory.Write32(data + 8, 0xAAAA_AAAA);
        m.H.Memory.Write32(data + 12, 0xF000_0000);
        m.Exec(esi: data, ebx: 0xFF, ecx: 0x7000_0000);
        m.AssertCompleted();
        Assert.Equal(0x8000_0001u, m.H.Memory.Read32(data));
        Assert.Equal(0x1234_A987u, m.H.Memory.Read32(data + 4));
        Assert.Equal(0xAAAA_AA55u, m.H.Memory.Read32(data + 8));
        Assert.Equal(0xF000_0000u, m.H.Memory.Read32(data + 12));
        // TEST F0000000 & 70000000 = 70000000: positive, non-zero, low byte 0 (even parity).
        Assert.Equal(Ref.PF, m.Flags);

        var r = AluMachine.Real16(a => a.and(__word_ptr[di], ax));
        r.H.Memory.Write16(0x3000, 0x8F0F);
        r.Exec(edi: 0x3000, eax: 0x80F1, flags: Ref.Arith);
        r.AssertCompleted();
        Assert.Equal((ushort)0x8001, r.H.Memory.Read16(0x3000));
        Assert.Equal(Ref.SF, r.Flags); // 8001: negative, low byte 01 has odd parity
    }
}
