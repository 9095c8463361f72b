using System.Runtime.CompilerServices;
using Iced.Intel;

namespace Emulator.Core.Cpu;

/// <summary>
/// SHL/SAL SHR SAR ROL ROR RCL RCR SHLD SHRD (SDM Vol. 2 "SAL/SAR/SHL/SHR", "RCL/RCR/ROL/ROR",
/// "SHLD", "SHRD"). The count (1, CL or imm8) is masked to 5 bits; a masked count of 0 changes
/// nothing, flags included (a memory operand is still read, so it can fault).
///
/// Choices for flags the SDM leaves undefined:
/// - SHL/SAL and SHR with a count above 1: OF is computed from the original operand as for a count
///   of 1 (SHL: MSB XOR next bit of the original; SHR: MSB of the original), which is what observed
///   Intel parts report (e.g. SHL AL=C0h by 2 gives CF = 1, OF = 0). SAR: OF = 0.
/// - Rotates and SHLD/SHRD with a count above 1 use the count-1 formula on the final result (the
///   Bochs model): ROL, RCL, SHLD: OF = MSB(result) XOR CF; ROR, RCR, SHRD: OF = the XOR of the
///   two most significant bits of the result.
/// - AF is 0 after a shift with a non-zero count (rotates do not touch AF).
/// - 8/16-bit SHL/SHR with a count larger than the width: the value is shifted as a wide integer,
///   so the result is 0 and CF is 0 (SAR fills with the sign and CF = sign).
/// - RCL/RCR: the count is reduced modulo 9 (8-bit) or 17 (16-bit); when that leaves 0 the
///   operand and all flags are unchanged.
/// - 16-bit SHLD/SHRD with a count above 16: the P6 behaviour of shifting the 48-bit string
///   dst:src:dst (SHLD) or dst:src:dst from the low end (SHRD), CF = the last bit shifted out.
/// </summary>
public sealed unsafe partial class Cpu
{
    static partial void RegisterShifts()
    {
        Bind(Mnemonic.Shl, &Shl);
        Bind(Mnemonic.Sal, &Shl);
        Bind(Mnemonic.Shr, &Shr);
        Bind(Mnemonic.Sar, &Sar);
        Bind(Mnemonic.Rol, &Rol);
        Bind(Mnemonic.Ror, &Ror);
        Bind(Mnemonic.Rcl, &Rcl);
        Bind(Mnemonic.Rcr, &Rcr);
        Bind(Mnemonic.Shld, &Shld);
        Bind(Mnemonic.Shrd, &Shrd);
    }

    /// <summary>Sets CF and OF only, leaving the other arithmetic flags as they are (rotates).</summary>
    private void SetCarryOverflow(bool cf, bool of)
    {
        uint f = GetEflags() & ~(FlagCF | FlagOF);
        if (cf) f |= FlagCF;
        if (of) f |= FlagOF;
        _eflags = f;
        _lfOp = FlagOp.None;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static bool Msb(uint v, int size) => (v & SignBit(size)) != 0;

    /// <summary>Bit width-2 of a value: with the MSB it gives the count-1 OF of right shifts and rotates.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static bool SecondMsb(uint v, int size) => (v & (SignBit(size) >> 1)) != 0;

    private static void Shl(Cpu c, ref Instruction i)
    {
        if (!c.CheckLock(ref i, false)) return;
        int size = DestSize(ref i);
        uint dst = c.ReadRmw(ref i, size, out uint ea);
        if (c.Faulted) return;
        int count = (int)(c.ReadOperand(ref i, 1) & 0x1F);
        if (count == 0) return;
        ulong wide = (ulong)dst << count;
        uint r = (uint)wide & SizeMask(size);
        bool cf = ((wide >> (size * 8)) & 1) != 0;
        c.WriteRmw(ref i, size, ea, r);
        if (c.Faulted) return;
        c.SetFlagsResult(size, r, cf, Msb(dst, size) ^ SecondMsb(dst, size));
    }

    private static void Shr(Cpu c, ref Instruction i)
    {
        if (!c.CheckLock(ref i, false)) return;
        int size = DestSize(ref i);
        uint dst = c.ReadRmw(ref i, size, out uint ea);
        if (c.Faulted) return;
        int count = (int)(c.ReadOperand(ref i, 1) & 0x1F);
        if (count == 0) return;
        uint r = dst >> count;
        bool cf = ((dst >> (count - 1)) & 1) != 0;
        c.WriteRmw(ref i, size, ea, r);
        if (c.Faulted) return;
        c.SetFlagsResult(size, r, cf, Msb(dst, size));
    }

    private static void Sar(Cpu c, ref Instruction i)
    {
        if (!c.CheckLock(ref i, false)) return;
        int size = DestSize(ref i);
        uint dst = c.ReadRmw(ref i, size, out uint ea);
        if (c.Faulted) return;
        int count = (int)(c.ReadOperand(ref i, 1) & 0x1F);
        if (count == 0) return;
        int s = size == 1 ? (sbyte)dst : size == 2 ? (short)dst : (int)dst;
        uint r = (uint)(s >> count) & SizeMask(size);
        bool cf = ((s >> (count - 1)) & 1) != 0;
        c.WriteRmw(ref i, size, ea, r);
        if (c.Faulted) return;
        c.SetFlagsResult(size, r, cf, false);
    }

    private static void Rol(Cpu c, ref Instruction i)
    {
        if (!c.CheckLock(ref i, false)) return;
        int size = DestSize(ref i);
        uint dst = c.ReadRmw(ref i, size, out uint ea);
        if (c.Faulted) return;
        int count = (int)(c.ReadOperand(ref i, 1) & 0x1F);
        if (count == 0) return;
        int bits = size * 8;
        int n = count & (bits - 1);
        uint r = n == 0 ? dst : ((dst << n) | (dst >> (bits - n))) & SizeMask(size);
        c.WriteRmw(ref i, size, ea, r);
        if (c.Faulted) return;
        // CF is the bit rotated into the LSB, even when count is a multiple of the width.
        bool cf = (r & 1) != 0;
        c.SetCarryOverflow(cf, cf ^ Msb(r, size));
    }

    private static void Ror(Cpu c, ref Instruction i)
    {
        if (!c.CheckLock(ref i, false)) return;
        int size = DestSize(ref i);
        uint dst = c.ReadRmw(ref i, size, out uint ea);
        if (c.Faulted) return;
        int count = (int)(c.ReadOperand(ref i, 1) & 0x1F);
        if (count == 0) return;
        int bits = size * 8;
        int n = count & (bits - 1);
        uint r = n == 0 ? dst : ((dst >> n) | (dst << (bits - n))) & SizeMask(size);
        c.WriteRmw(ref i, size, ea, r);
        if (c.Faulted) return;
        bool msb = Msb(r, size);
        c.SetCarryOverflow(msb, msb ^ SecondMsb(r, size));
    }

    /// <summary>The RCL/RCR rotation count: masked to 5 bits, then modulo width+1 for 8/16-bit operands.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static int RotateThroughCarryCount(uint raw, int size)
    {
        int count = (int)(raw & 0x1F);
        return size == 1 ? count % 9 : size == 2 ? count % 17 : count;
    }

    private static void Rcl(Cpu c, ref Instruction i)
    {
        if (!c.CheckLock(ref i, false)) return;
        int size = DestSize(ref i);
        uint dst = c.ReadRmw(ref i, size, out uint ea);
        if (c.Faulted) return;
        int n = RotateThroughCarryCount(c.ReadOperand(ref i, 1), size);
        if (n == 0) return;
        int bits = size * 8, w = bits + 1;
        ulong v = ((c.GetCF() ? 1ul : 0ul) << bits) | dst;
        ulong rot = ((v << n) | (v >> (w - n))) & ((1ul << w) - 1);
        uint r = (uint)rot & SizeMask(size);
        bool cf = ((rot >> bits) & 1) != 0;
        c.WriteRmw(ref i, size, ea, r);
        if (c.Faulted) return;
        c.SetCarryOverflow(cf, cf ^ Msb(r, size));
    }

    private static void Rcr(Cpu c, ref Instruction i)
    {
        if (!c.CheckLock(ref i, false)) return;
        int size = DestSize(ref i);
        uint dst = c.ReadRmw(ref i, size, out uint ea);
        if (c.Faulted) return;
        int n = RotateThroughCarryCount(c.ReadOperand(ref i, 1), size);
        if (n == 0) return;
        int bits = size * 8, w = bits + 1;
        ulong v = ((c.GetCF() ? 1ul : 0ul) << bits) | dst;
        ulong rot = ((v >> n) | (v << (w - n))) & ((1ul << w) - 1);
        uint r = (uint)rot & SizeMask(size);
        bool cf = ((rot >> bits) & 1) != 0;
        c.WriteRmw(ref i, size, ea, r);
        if (c.Faulted) return;
        c.SetCarryOverflow(cf, Msb(r, size) ^ SecondMsb(r, size));
    }

    /// <summary>SHLD r/m, reg, imm8/CL: dst shifted left, vacated bits filled from the top of src.</summary>
    private static void Shld(Cpu c, ref Instruction i)
    {
        if (!c.CheckLock(ref i, false)) return;
        int size = DestSize(ref i);
        uint dst = c.ReadRmw(ref i, size, out uint ea);
        if (c.Faulted) return;
        uint src = c.ReadOperand(ref i, 1);
        int count = (int)(c.ReadOperand(ref i, 2) & 0x1F);
        if (count == 0) return;
        uint r;
        bool cf;
        if (size == 4)
        {
            ulong v = ((ulong)dst << 32) | src;
            r = (uint)((v << count) >> 32);
            cf = ((dst >> (32 - count)) & 1) != 0;
        }
        else
        {
            // 48-bit string dst:src:dst (P6 behaviour for counts above 16).
            ulong v = ((ulong)dst << 32) | ((ulong)src << 16) | dst;
            r = (uint)((v << count) >> 32) & 0xFFFF;
            cf = ((v >> (48 - count)) & 1) != 0;
        }
        c.WriteRmw(ref i, size, ea, r);
        if (c.Faulted) return;
        c.SetFlagsResult(size, r, cf, cf ^ Msb(r, size));
    }

    /// <summary>SHRD r/m, reg, imm8/CL: dst shifted right, vacated bits filled from the bottom of src.</summary>
    private static void Shrd(Cpu c, ref Instruction i)
    {
        if (!c.CheckLock(ref i, false)) return;
        int size = DestSize(ref i);
        uint dst = c.ReadRmw(ref i, size, out uint ea);
        if (c.Faulted) return;
        uint src = c.ReadOperand(ref i, 1);
        int count = (int)(c.ReadOperand(ref i, 2) & 0x1F);
        if (count == 0) return;
        ulong v = size == 4
            ? ((ulong)src << 32) | dst
            : ((ulong)dst << 32) | ((ulong)src << 16) | dst; // dst:src:dst from the low end (P6 for counts above 16)
        uint r = (uint)(v >> count) & SizeMask(size);
        bool cf = ((v >> (count - 1)) & 1) != 0;
        c.WriteRmw(ref i, size, ea, r);
        if (c.Faulted) return;
        c.SetFlagsResult(size, r, cf, Msb(r, size) ^ SecondMsb(r, size));
    }
}
