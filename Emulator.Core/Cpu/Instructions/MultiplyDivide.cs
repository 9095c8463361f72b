using Iced.Intel;

namespace Emulator.Core.Cpu;

/// <summary>
/// MUL IMUL DIV IDIV (SDM Vol. 2). MUL/IMUL set CF = OF when the full product does not fit the
/// destination (MUL: the high half is non-zero; IMUL: the product differs from the sign extension of
/// its truncation). SF, ZF, PF (undefined) follow the low half of the product and AF (undefined) is
/// 0, as Bochs models P6-class parts. DIV/IDIV raise #DE for a zero divisor or a quotient that does
/// not fit (including IDIV of the most negative dividend by -1) and leave the flags (undefined) unchanged.
/// </summary>
public sealed unsafe partial class Cpu
{
    static partial void RegisterMultiplyDivide()
    {
        Bind(Mnemonic.Mul, &Mul);
        Bind(Mnemonic.Imul, &Imul);
        Bind(Mnemonic.Div, &Div);
        Bind(Mnemonic.Idiv, &Idiv);
    }

    /// <summary>Writes AX (8-bit forms) or DX:AX / EDX:EAX from a double-width product or quotient/remainder pair.</summary>
    private void WriteAccumulatorPair(int size, uint low, uint high)
    {
        switch (size)
        {
            case 1: Regs[EAX] = (Regs[EAX] & 0xFFFF0000u) | ((high & 0xFF) << 8) | (low & 0xFF); break;
            case 2:
                Regs[EAX] = (Regs[EAX] & 0xFFFF0000u) | (low & 0xFFFF);
                Regs[EDX] = (Regs[EDX] & 0xFFFF0000u) | (high & 0xFFFF);
                break;
            default: Regs[EAX] = low; Regs[EDX] = high; break;
        }
    }

    /// <summary>The double-width dividend: AX, DX:AX or EDX:EAX.</summary>
    private ulong ReadDividend(int size) => size switch
    {
        1 => Regs[EAX] & 0xFFFF,
        2 => ((Regs[EDX] & 0xFFFF) << 16) | (Regs[EAX] & 0xFFFF),
        _ => ((ulong)Regs[EDX] << 32) | Regs[EAX],
    };

    private static long SignExtend(uint v, int size) => size == 1 ? (sbyte)v : size == 2 ? (short)v : (int)v;

    private static void Mul(Cpu c, ref Instruction i)
    {
        if (!c.CheckLock(ref i, false)) return;
        int size = DestSize(ref i);
        uint src = c.ReadOperand(ref i, 0);
        if (c.Faulted) return;
        int bits = size * 8;
        ulong product = (ulong)(c.Regs[EAX] & SizeMask(size)) * src;
        uint low = (uint)product & SizeMask(size);
        uint high = (uint)(product >> bits);
        c.WriteAccumulatorPair(size, low, high);
        c.SetFlagsResult(size, low, high != 0, high != 0);
    }

    private static void Imul(Cpu c, ref Instruction i)
    {
        if (!c.CheckLock(ref i, false)) return;
        int size = DestSize(ref i);
        if (i.OpCount == 1)
        {
            uint src = c.ReadOperand(ref i, 0);
            if (c.Faulted) return;
            long product = SignExtend(c.Regs[EAX], size) * SignExtend(src, size);
            uint low = (uint)product & SizeMask(size);
            bool overflow = product != SignExtend(low, size);
            c.WriteAccumulatorPair(size, low, (uint)(product >> (size * 8)));
            c.SetFlagsResult(size, low, overflow, overflow);
            return;
        }
        // IMUL r, r/m (op0 *= op1) and IMUL r, r/m, imm (op0 = op1 * op2): the product is truncated.
        uint a = c.ReadOperand(ref i, i.OpCount == 2 ? 0 : 1);
        if (c.Faulted) return;
        uint b = c.ReadOperand(ref i, i.OpCount == 2 ? 1 : 2);
        if (c.Faulted) return;
        long p = SignExtend(a, size) * SignExtend(b, size);
        uint r = (uint)p & SizeMask(size);
        bool of = p != SignExtend(r, size);
        c.WriteReg(i.Op0Register, r);
        c.SetFlagsResult(size, r, of, of);
    }

    private static void Div(Cpu c, ref Instruction i)
    {
        if (!c.CheckLock(ref i, false)) return;
        int size = DestSize(ref i);
        uint divisor = c.ReadOperand(ref i, 0);
        if (c.Faulted) return;
        if (divisor == 0) { c.RaiseFault(Vector.DE); return; }
        ulong dividend = c.ReadDividend(size);
        ulong q = dividend / divisor;
        if (q > SizeMask(size)) { c.RaiseFault(Vector.DE); return; }
        c.WriteAccumulatorPair(size, (uint)q, (uint)(dividend % divisor));
    }

    private static void Idiv(Cpu c, ref Instruction i)
    {
        if (!c.CheckLock(ref i, false)) return;
        int size = DestSize(ref i);
        uint raw = c.ReadOperand(ref i, 0);
        if (c.Faulted) return;
        long divisor = SignExtend(raw, size);
        if (divisor == 0) { c.RaiseFault(Vector.DE); return; }
        ulong d = c.ReadDividend(size);
        long dividend = size == 1 ? (short)d : size == 2 ? (int)d : (long)d;
        // long.MinValue / -1 overflows in .NET as on x86: it is a quotient overflow (#DE) either way.
        if (dividend == long.MinValue && divisor == -1) { c.RaiseFault(Vector.DE); return; }
        long q = dividend / divisor;
        long max = (long)(SignBit(size) - 1);
        if (q > max || q < -max - 1) { c.RaiseFault(Vector.DE); return; }
        c.WriteAccumulatorPair(size, (uint)q, (uint)(dividend % divisor));
    }
}
