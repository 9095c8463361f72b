namespace Emulator.Tests.CpuTests.Alu;

/// <summary>
/// The SDM Vol. 2 pseudocode of the shifts and rotates, one bit at a time, giving the result, the
/// expected flags and the mask of flags the SDM defines for that count (the others are undefined).
/// </summary>
public static class ShiftRef
{
    public enum Op { Rol, Ror, Rcl, Rcr, Shl, Shr, Sar }

    private static bool Bit(uint v, int n) => ((v >> n) & 1) != 0;

    internal static (uint Result, uint Flags, uint Defined) Shift(Op op, int bits, uint dest, int rawCount, uint flagsIn)
    {
        uint m = Ref.Mask(bits);
        dest &= m;
        int count = rawCount & 0x1F;
        if (count == 0) return (dest, flagsIn, Ref.Arith);
        bool cf = (flagsIn & Ref.CF) != 0, of = false;
        uint original = dest;
        switch (op)
        {
            case Op.Shl:
            case Op.Shr:
            case Op.Sar:
                for (int k = 0; k < count; k++)
                {
                    cf = op == Op.Shl ? Bit(dest, bits - 1) : Bit(dest, 0);
                    if (op == Op.Shl) dest = (dest << 1) & m;
                    else if (op == Op.Shr) dest >>= 1;
                    else dest = (dest >> 1) | (dest & Ref.SignBit(bits));
                }
                of = op switch { Op.Shl => Bit(dest, bits - 1) ^ cf, Op.Shr => Bit(original, bits - 1), _ => false };
                uint defined = Ref.PF | Ref.ZF | Ref.SF | Ref.CF | (count == 1 ? Ref.OF : 0);
                // CF is undefined for SHL/SHR when the count is at least the operand width.
                if (op != Op.Sar && count >= bits) defined &= ~Ref.CF;
                return (dest, Ref.Szp(dest, bits) | Ref.Flag(cf, Ref.CF) | Ref.Flag(of, Ref.OF), defined);
            case Op.Rol:
            case Op.Ror:
            {
                int n = count % bits;
                for (int k = 0; k < n; k++)
                    dest = op == Op.Rol
                        ? ((dest << 1) & m) | (Bit(dest, bits - 1) ? 1u : 0u)
                        : (dest >> 1) | (Bit(dest, 0) ? Ref.SignBit(bits) : 0u);
                cf = op == Op.Rol ? Bit(dest, 0) : Bit(dest, bits - 1);
                of = op == Op.Rol ? Bit(dest, bits - 1) ^ cf : Bit(dest, bits - 1) ^ Bit(dest, bits - 2);
                return (dest, Rotated(flagsIn, cf, of), Ref.Arith & ~(count == 1 ? 0 : Ref.OF));
            }
            default:
            {
                int n = bits == 8 ? count % 9 : bits == 16 ? count % 17 : count;
                if (op == Op.Rcr) of = Bit(dest, bits - 1) ^ cf; // RCR computes OF before rotating
                for (int k = 0; k < n; k++)
                {
                    bool t;
                    if (op == Op.Rcl) { t = Bit(dest, bits - 1); dest = ((dest << 1) & m) | (cf ? 1u : 0u); }
                    else { t = Bit(dest, 0); dest = (dest >> 1) | (cf ? Ref.SignBit(bits) : 0u); }
                    cf = t;
                }
                if (op == Op.Rcl) of = Bit(dest, bits - 1) ^ cf;
                return (dest, Rotated(flagsIn, cf, of), Ref.Arith & ~(count == 1 ? 0 : Ref.OF));
            }
        }
    }

    /// <summary>Rotates write only CF and OF.</summary>
    private static uint Rotated(uint flagsIn, bool cf, bool of) =>
        (flagsIn & ~(Ref.CF | Ref.OF)) | Ref.Flag(cf, Ref.CF) | Ref.Flag(of, Ref.OF);

    /// <summary>SHLD/SHRD per the SDM pseudocode (bit loops); Defined is 0 when the count exceeds the width.</summary>
    internal static (uint Result, uint Flags, uint Defined) DoubleShift(bool left, int bits, uint dest, uint src, int rawCount, uint flagsIn)
    {
        uint m = Ref.Mask(bits);
        dest &= m; src &= m;
        int count = rawCount % 32;
        if (count == 0) return (dest, flagsIn, Ref.Arith);
        if (count > bits) return (0, 0, 0);
        uint r = 0;
        bool cf;
        if (left)
        {
            cf = Bit(dest, bits - count);
            for (int i = bits - 1; i >= count; i--) if (Bit(dest, i - count)) r |= 1u << i;
            for (int i = count - 1; i >= 0; i--) if (Bit(src, i - count + bits)) r |= 1u << i;
        }
        else
        {
            cf = Bit(dest, count - 1);
            for (int i = 0; i <= bits - 1 - count; i++) if (Bit(dest, i + count)) r |= 1u << i;
            for (int i = bits - count; i <= bits - 1; i++) if (Bit(src, i + count - bits)) r |= 1u << i;
        }
        // For a 1-bit shift OF reports a sign change; AF is undefined.
        bool of = Bit(r, bits - 1) != Bit(dest, bits - 1);
        uint defined = Ref.CF | Ref.PF | Ref.ZF | Ref.SF | (count == 1 ? Ref.OF : 0);
        return (r, Ref.Szp(r, bits) | Ref.Flag(cf, Ref.CF) | Ref.Flag(of, Ref.OF), defined);
    }
}
