using System.Numerics;

namespace Emulator.Tests.CpuTests.Alu;

/// <summary>
/// Reference model of the arithmetic flags written from the SDM's definitions (Vol. 1 §3.4.3.1,
/// Appendix A) with wide integer arithmetic, independently of the emulator's lazy-flag formulas:
/// CF = unsigned carry/borrow out of the top bit, OF = the signed result is out of range,
/// AF = carry/borrow out of bit 3, ZF/SF/PF from the truncated result (PF: even parity of the low byte).
/// </summary>
internal static class Ref
{
    public const uint CF = 1u << 0, PF = 1u << 2, AF = 1u << 4, ZF = 1u << 6, SF = 1u << 7, DF = 1u << 10, OF = 1u << 11;
    public const uint Arith = CF | PF | AF | ZF | SF | OF;

    public static uint Mask(int bits) => bits == 32 ? 0xFFFF_FFFFu : (1u << bits) - 1;
    public static uint SignBit(int bits) => 1u << (bits - 1);
    public static long Signed(uint v, int bits) => bits switch { 8 => (sbyte)v, 16 => (short)v, _ => (int)v };
    public static long MinSigned(int bits) => -(1L << (bits - 1));
    public static long MaxSigned(int bits) => (1L << (bits - 1)) - 1;
    public static bool Parity(uint r) => BitOperations.PopCount(r & 0xFF) % 2 == 0;

    /// <summary>ZF, SF and PF of a result.</summary>
    public static uint Szp(uint r, int bits)
    {
        r &= Mask(bits);
        uint f = 0;
        if (r == 0) f |= ZF;
        if ((r & SignBit(bits)) != 0) f |= SF;
        if (Parity(r)) f |= PF;
        return f;
    }

    public static uint Flag(bool on, uint bit) => on ? bit : 0;

    /// <summary>ADD/ADC: a + b + carry.</summary>
    public static (uint Result, uint Flags) Add(int bits, uint a, uint b, uint carry = 0)
    {
        uint m = Mask(bits);
        ulong wide = (ulong)(a & m) + (b & m) + carry;
        uint r = (uint)wide & m;
        long s = Signed(a, bits) + Signed(b, bits) + carry;
        uint f = Szp(r, bits)
            | Flag(wide > m, CF)
            | Flag(s < MinSigned(bits) || s > MaxSigned(bits), OF)
            | Flag((a & 0xF) + (b & 0xF) + carry > 0xF, AF);
        return (r, f);
    }

    /// <summary>SUB/SBB/CMP: a - b - borrow.</summary>
    public static (uint Result, uint Flags) Sub(int bits, uint a, uint b, uint borrow = 0)
    {
        uint m = Mask(bits);
        long wide = (long)(a & m) - (b & m) - borrow;
        uint r = (uint)wide & m;
        long s = Signed(a, bits) - Signed(b, bits) - borrow;
        uint f = Szp(r, bits)
            | Flag(wide < 0, CF)
            | Flag(s < MinSigned(bits) || s > MaxSigned(bits), OF)
            | Flag((long)(a & 0xF) - (b & 0xF) - borrow < 0, AF);
        return (r, f);
    }

    /// <summary>AND/OR/XOR/TEST: CF = OF = 0; AF is undefined (the emulator gives 0).</summary>
    public static uint Logic(uint r, int bits) => Szp(r, bits);

    /// <summary>Edge operands for a width: 0, 1, -1, signed limits and their neighbours, nibble carries, a pattern.</summary>
    public static uint[] Edges(int bits)
    {
        uint m = Mask(bits), sb = SignBit(bits);
        return new[] { 0u, 1u, 2u, m, m - 1, sb - 1, sb, sb + 1, 0x0Fu, 0x10u, 0x5A5A5A5Au & m, 0x12345678u & m };
    }

    /// <summary>The low <paramref name="bits"/> of <paramref name="v"/> placed in a register whose other bits hold junk.</summary>
    public static uint InReg(uint v, int bits, uint junk = 0xA5C3_96E1u) => (junk & ~Mask(bits)) | (v & Mask(bits));
}
