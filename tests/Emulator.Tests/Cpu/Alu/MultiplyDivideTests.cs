using Iced.Intel;
using static Iced.Intel.AssemblerRegisters;

namespace Emulator.Tests.CpuTests.Alu;

/// <summary>
/// MUL IMUL DIV IDIV (SDM Vol. 2). Only CF/OF are defined after MUL/IMUL; DIV/IDIV define no flag.
/// Expected values use 128-bit arithmetic; #DE cases run in real mode with an IVT handler.
/// </summary>
public class MultiplyDivideTests
{
    public static TheoryData<int, bool> SizesModes()
    {
        var d = new TheoryData<int, bool>();
        foreach (int bits in new[] { 8, 16, 32 })
            foreach (bool real in new[] { false, true })
                d.Add(bits, real);
        return d;
    }

    /// <summary>Writes a double-width value into AX (8-bit), DX:AX or EDX:EAX, as the implicit operands expect.</summary>
    private static (uint Eax, uint Edx) Split(int bits, ulong v, uint junk = 0xA5C3_96E1u) => bits switch
    {
        8 => ((junk & 0xFFFF_0000u) | (uint)(v & 0xFFFF), junk),
        16 => ((junk & 0xFFFF_0000u) | (uint)(v & 0xFFFF), (junk & 0xFFFF_0000u) | (uint)((v >> 16) & 0xFFFF)),
        _ => ((uint)v, (uint)(v >> 32)),
    };

    [Theory, MemberData(nameof(SizesModes))]
    public void MulAndOneOperandImul(int bits, bool real)
    {
        Register src = ArithmeticTests.Bx(bits);
        Action<Assembler> mul = a => a.AddInstruction(Instruction.Create(bits == 8 ? Code.Mul_rm8 : bits == 16 ? Code.Mul_rm16 : Code.Mul_rm32, src));
        Action<Assembler> imul = a => a.AddInstruction(Instruction.Create(bits == 8 ? Code.Imul_rm8 : bits == 16 ? Code.Imul_rm16 : Code.Imul_rm32, src));
        var mm = real ? AluMachine.Real16(mul) : AluMachine.Flat32(mul);
        var im = real ? AluMachine.Real16(imul) : AluMachine.Flat32(imul);
        uint m = Ref.Mask(bits);
        foreach (uint x in Ref.Edges(bits))
            foreach (uint y in Ref.Edges(bits))
            {
                string what = $"{bits}-bit {x:X} * {y:X}";
                ulong up = (ulong)(x & m) * (y & m);
                mm.Exec(eax: Ref.InReg(x, bits), ebx: Ref.InReg(y, bits), edx: 0xA5C3_96E1u, flags: Ref.Arith);
                mm.AssertCompleted();
                var (ea, ed) = Split(bits, up);
                Check.Equal(ea, mm.Eax, "MUL " + what + " low");
                Check.Equal(bits == 8 ? 0xA5C3_96E1u : ed, mm.Edx, "MUL " + what + " high");
                bool hi = (up >> bits) != 0;
                Check.Flags(Ref.Flag(hi, Ref.CF) | Ref.Flag(hi, Ref.OF), mm.Flags, "MUL " + what, Ref.CF | Ref.OF);

                long sp = Ref.Signed(x, bits) * Ref.Signed(y, bits);
                im.Exec(eax: Ref.InReg(x, bits), ebx: Ref.InReg(y, bits), edx: 0xA5C3_96E1u);
                im.AssertCompleted();
                (ea, ed) = Split(bits, (ulong)sp);
                Check.Equal(ea, im.Eax, "IMUL " + what + " low");
                Check.Equal(bits == 8 ? 0xA5C3_96E1u : ed, im.Edx, "IMUL " + what + " high");
                bool ovf = sp < Ref.MinSigned(bits) || sp > Ref.MaxSigned(bits);
                Check.Flags(Ref.Flag(ovf, Ref.CF) | Ref.Flag(ovf, Ref.OF), im.Flags, "IMUL " + what, Ref.CF | Ref.OF);
            }
    }

    /// <summary>IMUL r, r/m and IMUL r, r/m, imm (8-bit sign-extended and full immediates): truncated product.</summary>
    [Theory]
    [InlineData(16, false)]
    [InlineData(32, false)]
    [InlineData(16, true)]
    [InlineData(32, true)]
    public void TwoAndThreeOperandImul(int bits, bool real)
    {
        var two = Make(real, a => a.AddInstruction(Instruction.Create(bits == 16 ? Code.Imul_r16_rm16 : Code.Imul_r32_rm32, ArithmeticTests.Acc(bits), ArithmeticTests.Bx(bits))));
        foreach (uint x in Ref.Edges(bits))
            foreach (uint y in Ref.Edges(bits))
            {
                two.Exec(eax: Ref.InReg(x, bits), ebx: Ref.InReg(y, bits));
                two.AssertCompleted();
                ExpectTruncated(two, bits, x, y, $"IMUL r,r/m {x:X}*{y:X}");
            }

        foreach (int imm in new[] { 0, 1, -1, 127, -128, 0x7FFF, -0x8000 })
        {
            bool small = imm is >= -128 and <= 127;
            Code code = (bits, small) switch
            {
                (16, true) => Code.Imul_r16_rm16_imm8, (16, false) => Code.Imul_r16_rm16_imm16,
                (_, true) => Code.Imul_r32_rm32_imm8, _ => Code.Imul_r32_rm32_imm32,
            };
            var three = Make(real, a => a.AddInstruction(Instruction.Create(code, ArithmeticTests.Acc(bits), ArithmeticTests.Bx(bits), imm)));
            foreach (uint y in Ref.Edges(bits))
            {
                three.Exec(eax: 0xDEAD_BEEF, ebx: Ref.InReg(y, bits));
                three.AssertCompleted();
                ExpectTruncated(three, bits, (uint)imm, y, $"IMUL r,r/m,{imm} {y:X}", 0xDEAD_BEEF);
            }
        }
    }

    private static AluMachine Make(bool real, Action<Assembler> code) => real ? AluMachine.Real16(code) : AluMachine.Flat32(code);

    private static void ExpectTruncated(AluMachine m, int bits, uint x, uint y, string what, uint junk = 0xA5C3_96E1u)
    {
        long p = Ref.Signed(x, bits) * Ref.Signed(y, bits);
        Check.Equal(Ref.InReg((uint)p, bits, junk), m.Eax, what);
        bool ovf = p < Ref.MinSigned(bits) || p > Ref.MaxSigned(bits);
        Check.Flags(Ref.Flag(ovf, Ref.CF) | Ref.Flag(ovf, Ref.OF), m.Flags, what, Ref.CF | Ref.OF);
    }

    /// <summary>Double-width dividends from the edges of both halves.</summary>
    private static IEnumerable<ulong> Dividends(int bits)
    {
        uint[] halves = { 0, 1, 0x7F, Ref.SignBit(bits) - 1, Ref.SignBit(bits), Ref.Mask(bits), Ref.Mask(bits) - 1, 0x1234_5678u & Ref.Mask(bits) };
        foreach (uint hi in halves)
            foreach (uint lo in halves)
                yield return ((ulong)hi << bits) | lo;
    }

    /// <summary>
    /// DIV and IDIV for edge dividends and divisors: the quotient and remainder (truncating division,
    /// remainder with the dividend's sign), or #DE for a zero divisor or an out-of-range quotient.
    /// #DE cases run in real mode only (the IVT handler), checking that no register changed.
    /// </summary>
    [Theory, MemberData(nameof(SizesModes))]
    public void DivideOrRaiseDivideError(int bits, bool real)
    {
        foreach (bool signed in new[] { false, true })
        {
            Code code = (signed, bits) switch
            {
                (false, 8) => Code.Div_rm8, (false, 16) => Code.Div_rm16, (false, _) => Code.Div_rm32,
                (true, 8) => Code.Idiv_rm8, (true, 16) => Code.Idiv_rm16, _ => Code.Idiv_rm32,
            };
            var m = Make(real, a => a.AddInstruction(Instruction.Create(code, ArithmeticTests.Bx(bits))));
            foreach (ulong dividend in Dividends(bits))
                foreach (uint divisor in Ref.Edges(bits).Append(3u).Append(0xFFu & Ref.Mask(bits)))
                {
                    Int128 n = signed ? (Int128)SignedDividend(bits, dividend) : dividend;
                    Int128 d = signed ? Ref.Signed(divisor, bits) : divisor & Ref.Mask(bits);
                    bool fault = d == 0;
                    Int128 q = 0, r = 0;
                    if (!fault)
                    {
                        q = n / d;
                        r = n % d;
                        fault = signed ? q < Ref.MinSigned(bits) || q > Ref.MaxSigned(bits) : q > Ref.Mask(bits);
                    }
                    if (fault && !real) continue;
                    var (eaxIn, edxIn) = Split(bits, dividend);
                    m.Exec(eax: eaxIn, edx: edxIn, ebx: Ref.InReg(divisor, bits), flags: Ref.ZF);
                    string what = $"{code} {dividend:X} / {divisor:X}";
                    if (fault)
                    {
                        m.AssertVectoredTo(AluMachine.DeHandler);
                        Check.Equal(eaxIn, m.Eax, what + " EAX kept");
                        Check.Equal(edxIn, m.Edx, what + " EDX kept");
                        continue;
                    }
                    m.AssertCompleted();
                    uint qu = (uint)(ulong)(q & ulong.MaxValue), ru = (uint)(ulong)(r & ulong.MaxValue);
                    if (bits == 8)
                        Check.Equal((eaxIn & 0xFFFF_0000u) | ((ru & 0xFF) << 8) | (qu & 0xFF), m.Eax, what);
                    else
                    {
                        Check.Equal(Ref.InReg(qu, bits, eaxIn), m.Eax, what + " quotient");
                        Check.Equal(Ref.InReg(ru, bits, edxIn), m.Edx, what + " remainder");
                    }
                }
        }
    }

    private static long SignedDividend(int bits, ulong v) => bits switch
    {
        8 => (short)v,
        16 => (int)v,
        _ => (long)v,
    };

    /// <summary>The classic overflow cases by name, and a memory divisor.</summary>
    [Fact]
    public void MostNegativeDividedByMinusOneIsDivideError()
    {
        var m = AluMachine.Real16(a => a.idiv(bl));
        m.Exec(eax: 0xFF80, ebx: 0xFF); // -128 / -1 = 128 does not fit in AL
        m.AssertVectoredTo(AluMachine.DeHandler);
        m.Exec(eax: 0xFF80, ebx: 0x01); // -128 / 1 = -128 fits
        m.AssertCompleted();
        Assert.Equal(0x0080u, m.Eax);

        m = AluMachine.Real16(a => a.idiv(ebx));
        m.Exec(eax: 0, edx: 0x8000_0000, ebx: 0xFFFF_FFFF); // -2^63 / -1
        m.AssertVectoredTo(AluMachine.DeHandler);
        m.Exec(eax: 0x8000_0000, edx: 0xFFFF_FFFF, ebx: 0xFFFF_FFFF); // -2^31 / -1 = 2^31 does not fit
        m.AssertVectoredTo(AluMachine.DeHandler);

        m = AluMachine.Real16(a => a.div(__word_ptr[si]));
        m.H.Memory.Write16(0x2000, 0);
        m.Exec(esi: 0x2000, eax: 5);
        m.AssertVectoredTo(AluMachine.DeHandler);
        m.H.Memory.Write16(0x2000, 7);
        m.Exec(esi: 0x2000, eax: 100, edx: 0);
        m.AssertCompleted();
        Assert.Equal(14u, m.Eax);
        Assert.Equal(2u, m.Edx);
    }

    [Fact]
    public void MemoryOperandMultiply()
    {
        const uint data = Support.CpuHarness.DataBase;
        var m = AluMachine.Flat32(a => { a.mul(__dword_ptr[esi]); a.imul(ecx, __dword_ptr[esi + 4], -3); });
        m.H.Memory.Write32(data, 0x1000_0000);
        m.H.Memory.Write32(data + 4, 0x4000_0000);
        m.Exec(esi: data, eax: 0x20);
        m.AssertCompleted();
        Assert.Equal(0u, m.Eax);
        Assert.Equal(2u, m.Edx);
        Assert.Equal(0x4000_0000u, m.Ecx); // 4000_0000 * -3 = -3_0000_0000 (truncated 4000_0000) overflows
        Assert.Equal(Ref.CF | Ref.OF, m.Flags & (Ref.CF | Ref.OF));
    }
}
