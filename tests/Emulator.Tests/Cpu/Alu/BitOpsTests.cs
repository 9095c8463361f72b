using Iced.Intel;
using static Iced.Intel.AssemblerRegisters;

namespace Emulator.Tests.CpuTests.Alu;

/// <summary>BT BTS BTR BTC BSF BSR BSWAP (SDM Vol. 2).</summary>
public class BitOpsTests
{
    public enum Op { Bt, Bts, Btr, Btc }

    private static Code RegRegCode(Op op, int bits) => (op, bits) switch
    {
        (Op.Bt, 16) => Code.Bt_rm16_r16, (Op.Bt, _) => Code.Bt_rm32_r32,
        (Op.Bts, 16) => Code.Bts_rm16_r16, (Op.Bts, _) => Code.Bts_rm32_r32,
        (Op.Btr, 16) => Code.Btr_rm16_r16, (Op.Btr, _) => Code.Btr_rm32_r32,
        (Op.Btc, 16) => Code.Btc_rm16_r16, _ => Code.Btc_rm32_r32,
    };

    private static uint Apply(Op op, uint v, int bit) => op switch
    {
        Op.Bts => v | (1u << bit),
        Op.Btr => v & ~(1u << bit),
        Op.Btc => v ^ (1u << bit),
        _ => v,
    };

    public static TheoryData<Op, int, bool> OpsSizesModes()
    {
        var d = new TheoryData<Op, int, bool>();
        foreach (var op in Enum.GetValues<Op>())
            foreach (int bits in new[] { 16, 32 })
                foreach (bool real in new[] { false, true })
                    d.Add(op, bits, real);
        return d;
    }

    /// <summary>Register operand: the bit offset is taken modulo the width; CF = old bit, ZF unaffected.</summary>
    [Theory, MemberData(nameof(OpsSizesModes))]
    public void RegisterOperandTakesOffsetModuloWidth(Op op, int bits, bool real)
    {
        Action<Assembler> code = a => a.AddInstruction(Instruction.Create(RegRegCode(op, bits), ArithmeticTests.Acc(bits), ArithmeticTests.Bx(bits)));
        var m = real ? AluMachine.Real16(code) : AluMachine.Flat32(code);
        foreach (uint v in new[] { 0u, 0xFFFF_FFFFu, 0x8000_0001u, 0x5A5A_A5A5u })
            foreach (uint offset in new uint[] { 0, 1, 7, 15, 16, 17, 31, 32, 33, 0xFFFF_FFFF, 0x8000_0010 })
                foreach (uint flagsIn in new[] { 0u, Ref.ZF })
                {
                    m.Exec(eax: v, ebx: offset, flags: flagsIn);
                    m.AssertCompleted();
                    int bit = (int)(offset % (uint)bits);
                    uint expected = Ref.InReg(Apply(op, v, bit), bits, v);
                    string what = $"{op}{bits} {v:X} bit {offset:X}";
                    Check.Equal(expected, m.Eax, what);
                    uint cf = ((v >> bit) & 1) != 0 ? Ref.CF : 0;
                    Check.Flags(cf | flagsIn, m.Flags, what, Ref.CF | Ref.ZF);
                }
    }

    [Theory]
    [InlineData(Code.Bt_rm32_imm8, 0x0000_0008u, 35, 0x0000_0008u, true)]    // 35 mod 32 = 3
    [InlineData(Code.Bts_rm32_imm8, 0x0000_0000u, 31, 0x8000_0000u, false)]
    [InlineData(Code.Btr_rm16_imm8, 0xFFFF_FFFFu, 0x1F, 0xFFFF_7FFFu, true)] // 31 mod 16 = 15
    [InlineData(Code.Btc_rm16_imm8, 0x0000_0001u, 16, 0x0000_0000u, true)]   // 16 mod 16 = 0
    public void ImmediateOffset(Code code, uint value, int offset, uint expected, bool cf)
    {
        Register reg = code.ToString().Contains("16") ? Register.DX : Register.EDX;
        var m = AluMachine.Flat32(a => a.AddInstruction(Instruction.Create(code, reg, offset)));
        m.Exec(edx: value);
        m.AssertCompleted();
        Assert.Equal(expected, m.Edx);
        Assert.Equal(cf ? Ref.CF : 0u, m.Flags & Ref.CF);
    }

    /// <summary>
    /// Memory operand with a register offset: a signed bit-string index from the operand's address
    /// (SDM "BT", Bit(BitBase, BitOffset)), so the access may be outside the addressed dword/word.
    /// </summary>
    [Theory]
    [InlineData(32, 100, 12, 4)]      // +100: dword at +12, bit 4
    [InlineData(32, -1, -4, 31)]      // -1: dword at -4, bit 31
    [InlineData(32, -33, -8, 31)]
    [InlineData(32, 31, 0, 31)]
    [InlineData(16, -17, -4, 15)]     // 16-bit: word at 2 * floor(-17 / 16) = -4, bit 15
    [InlineData(16, 0x7FFF, 0xFFE, 15)]
    [InlineData(16, 16, 2, 0)]
    public void MemoryOperandWithRegisterOffsetIsABitString(int bits, int offset, int byteOffset, int bit)
    {
        const uint data = Support.CpuHarness.DataBase + 0x2000;
        Action<Assembler> code = bits == 32
            ? a => a.bts(__dword_ptr[esi], ecx)
            : a => a.bts(__word_ptr[esi], cx);
        var m = AluMachine.Flat32(code);
        uint target = (uint)(data + byteOffset);
        m.H.Memory.Write32(target, 0);
        m.Exec(esi: data, ecx: (uint)offset);
        m.AssertCompleted();
        Assert.Equal(1u << bit, m.H.Memory.Read32(target));
        Assert.Equal(0u, m.Flags & Ref.CF);
        // Again: the bit is now set, so CF = 1 and memory keeps it.
        m.Exec(esi: data, ecx: (uint)offset);
        Assert.Equal(Ref.CF, m.Flags & Ref.CF);
        Assert.Equal(1u << bit, m.H.Memory.Read32(target));
    }

    [Fact]
    public void MemoryOperandWithImmediateOffsetStaysInTheOperand()
    {
        const uint data = Support.CpuHarness.DataBase;
        var m = AluMachine.Flat32(a => { a.btc(__dword_ptr[esi], 33); a.bt(__word_ptr[esi + 4], 17); });
        m.H.Memory.Write32(data, 0xFFFF_FFFF);
        m.H.Memory.Write32(data + 4, 0x0000_0002);
        m.Exec(esi: data);
        m.AssertCompleted();
        Assert.Equal(0xFFFF_FFFDu, m.H.Memory.Read32(data));
        Assert.Equal(Ref.CF, m.Flags & Ref.CF); // bit 17 mod 16 = 1 of the word: set

        var r = AluMachine.Real16(a => a.btr(__word_ptr[bx], ax));
        r.H.Memory.Write16(0x2004, 0xFFFF);
        r.Exec(ebx: 0x2000, eax: 0x21); // word at +4, bit 1
        r.AssertCompleted();
        Assert.Equal((ushort)0xFFFD, r.H.Memory.Read16(0x2004));
        Assert.Equal(Ref.CF, r.Flags & Ref.CF);
    }

    /// <summary>BSF/BSR: index of the lowest/highest set bit and ZF = 0; a zero source sets ZF and keeps the destination.</summary>
    [Theory]
    [InlineData(32, 0x0000_0000u)]
    [InlineData(32, 0x0000_0001u)]
    [InlineData(32, 0x8000_0000u)]
    [InlineData(32, 0x0001_0100u)]
    [InlineData(32, 0xFFFF_FFFFu)]
    [InlineData(16, 0x0000u)]
    [InlineData(16, 0x8000u)]
    [InlineData(16, 0x0F00u)]
    public void BitScan(int bits, uint source)
    {
        foreach (bool forward in new[] { true, false })
            foreach (bool real in new[] { false, true })
            {
                Code code = (forward, bits) switch
                {
                    (true, 16) => Code.Bsf_r16_rm16, (true, _) => Code.Bsf_r32_rm32,
                    (false, 16) => Code.Bsr_r16_rm16, _ => Code.Bsr_r32_rm32,
                };
                Action<Assembler> asm = a => a.AddInstruction(Instruction.Create(code, ArithmeticTests.Acc(bits), ArithmeticTests.Bx(bits)));
                var m = real ? AluMachine.Real16(asm) : AluMachine.Flat32(asm);
                m.Exec(eax: 0xDEAD_BEEF, ebx: Ref.InReg(source, bits), flags: source == 0 ? 0 : Ref.ZF);
                m.AssertCompleted();
                string what = $"{code} {source:X}";
                if (source == 0)
                {
                    Check.Equal(0xDEAD_BEEF, m.Eax, what + " destination kept");
                    Check.Flags(Ref.ZF, m.Flags, what, Ref.ZF);
                    continue;
                }
                int index = -1;
                for (int b = 0; b < bits; b++)
                    if (((source >> b) & 1) != 0 && (index < 0 || !forward)) index = b;
                Check.Equal(Ref.InReg((uint)index, bits, 0xDEAD_BEEF), m.Eax, what);
                Check.Flags(0, m.Flags, what, Ref.ZF);
            }
    }

    /// <summary>
    /// Without BMI1/LZCNT in CPUID, F3 0F BC / F3 0F BD run as BSF / BSR (SDM Vol. 2B, TZCNT, LZCNT):
    /// a zero source leaves the destination and sets ZF, where TZCNT would write the width and set CF.
    /// </summary>
    [Theory]
    [InlineData(true, 0x0001_0100u, 8u)]
    [InlineData(false, 0x0001_0100u, 16u)]
    [InlineData(true, 0x8000_0000u, 31u)]
    [InlineData(false, 0x0000_0001u, 0u)]
    public void TzcntAndLzcntEncodingsRunAsBitScans(bool tzcnt, uint source, uint index)
    {
        var m = AluMachine.Flat32(a => a.AddInstruction(Instruction.Create(tzcnt ? Code.Tzcnt_r32_rm32 : Code.Lzcnt_r32_rm32, eax, ebx)));
        m.Exec(eax: 0xDEAD_BEEF, ebx: source, flags: Ref.ZF);
        m.AssertCompleted();
        Assert.Equal(index, m.Eax);
        Check.Flags(0, m.Flags, $"{(tzcnt ? "tzcnt" : "lzcnt")} {source:X}", Ref.ZF);

        m.Exec(eax: 0xDEAD_BEEF, ebx: 0, flags: 0);
        m.AssertCompleted();
        Assert.Equal(0xDEAD_BEEFu, m.Eax);
        Check.Flags(Ref.ZF, m.Flags, "zero source", Ref.ZF | Ref.CF);
    }

    [Fact]
    public void BitScanMemorySource()
    {
        var m = AluMachine.Flat32(a => a.bsr(ecx, __dword_ptr[esi]));
        m.H.Memory.Write32(Support.CpuHarness.DataBase, 0x0040_0000);
        m.Exec(esi: Support.CpuHarness.DataBase);
        Assert.Equal(22u, m.Ecx);
    }

    [Fact]
    public void ByteSwap()
    {
        var m = AluMachine.Flat32(a => { a.bswap(eax); a.bswap(edi); });
        m.Exec(eax: 0x1234_5678, edi: 0x8000_00FF, flags: Ref.Arith);
        m.AssertCompleted();
        Assert.Equal(0x7856_3412u, m.Eax);
        Assert.Equal(0xFF00_0080u, m.Cpu.Regs[Emulator.Core.Cpu.Cpu.EDI]);
        Assert.Equal(Ref.Arith, m.Flags);

        var r = AluMachine.Real16(a => a.bswap(edx)); // 66 0F CA in 16-bit code
        r.Exec(edx: 0x0102_0304);
        r.AssertCompleted();
        Assert.Equal(0x0403_0201u, r.Edx);
    }
}
