using System.Runtime.CompilerServices;
using Iced.Intel;

namespace Emulator.Core.Cpu;

/// <summary>
/// ADD ADC SUB SBB CMP INC DEC NEG (SDM Vol. 2). Every form (r/m, reg, imm, accumulator) shares one
/// handler per mnemonic: operand 0 is the destination, operand 1 the source.
/// Read-modify-write memory destinations compute the effective address once, and write before
/// setting flags so that a faulting write commits nothing.
/// </summary>
public sealed unsafe partial class Cpu
{
    static partial void RegisterArithmetic()
    {
        Bind(Mnemonic.Add, &Add);
        Bind(Mnemonic.Adc, &Adc);
        Bind(Mnemonic.Sub, &Sub);
        Bind(Mnemonic.Sbb, &Sbb);
        Bind(Mnemonic.Cmp, &Cmp);
        Bind(Mnemonic.Inc, &Inc);
        Bind(Mnemonic.Dec, &Dec);
        Bind(Mnemonic.Neg, &Neg);
    }

    /// <summary>
    /// LOCK is valid only on the lockable instructions with a memory destination (SDM Vol. 2 "LOCK"):
    /// anything else is #UD. Returns false (after raising #UD) when the prefix is misused.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal bool CheckLock(ref Instruction i, bool lockable)
    {
        if (!i.HasLockPrefix) return true;
        if (lockable && i.Op0Kind == OpKind.Memory) return true;
        RaiseUD();
        return false;
    }

    /// <summary>Reads operand 0 of a read-modify-write instruction; <paramref name="ea"/> keeps its effective address for <see cref="WriteRmw"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal uint ReadRmw(ref Instruction i, int size, out uint ea)
    {
        if (i.Op0Kind == OpKind.Register) { ea = 0; return ReadReg(i.Op0Register); }
        ea = EffectiveAddress(ref i);
        return ReadMem(MemorySeg(ref i), ea, size);
    }

    /// <summary>Writes operand 0 of a read-modify-write instruction at the address <see cref="ReadRmw"/> computed.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal void WriteRmw(ref Instruction i, int size, uint ea, uint value)
    {
        if (i.Op0Kind == OpKind.Register) WriteReg(i.Op0Register, value);
        else WriteMem(MemorySeg(ref i), ea, size, value);
    }

    private static void Add(Cpu c, ref Instruction i)
    {
        if (!c.CheckLock(ref i, true)) return;
        int size = DestSize(ref i);
        uint dst = c.ReadRmw(ref i, size, out uint ea);
        if (c.Faulted) return;
        uint src = c.ReadOperand(ref i, 1);
        if (c.Faulted) return;
        uint r = dst + src;
        c.WriteRmw(ref i, size, ea, r);
        if (c.Faulted) return;
        c.SetFlagsAdd(size, dst, src, r);
    }

    private static void Adc(Cpu c, ref Instruction i)
    {
        if (!c.CheckLock(ref i, true)) return;
        int size = DestSize(ref i);
        uint dst = c.ReadRmw(ref i, size, out uint ea);
        if (c.Faulted) return;
        uint src = c.ReadOperand(ref i, 1);
        if (c.Faulted) return;
        uint carry = c.GetCF() ? 1u : 0u;
        uint r = dst + src + carry;
        c.WriteRmw(ref i, size, ea, r);
        if (c.Faulted) return;
        c.SetFlagsAdd(size, dst, src, r, carry);
    }

    private static void Sub(Cpu c, ref Instruction i)
    {
        if (!c.CheckLock(ref i, true)) return;
        int size = DestSize(ref i);
        uint dst = c.ReadRmw(ref i, size, out uint ea);
        if (c.Faulted) return;
        uint src = c.ReadOperand(ref i, 1);
        if (c.Faulted) return;
        uint r = dst - src;
        c.WriteRmw(ref i, size, ea, r);
        if (c.Faulted) return;
        c.SetFlagsSub(size, dst, src, r);
    }

    private static void Sbb(Cpu c, ref Instruction i)
    {
        if (!c.CheckLock(ref i, true)) return;
        int size = DestSize(ref i);
        uint dst = c.ReadRmw(ref i, size, out uint ea);
        if (c.Faulted) return;
        uint src = c.ReadOperand(ref i, 1);
        if (c.Faulted) return;
        uint borrow = c.GetCF() ? 1u : 0u;
        uint r = dst - src - borrow;
        c.WriteRmw(ref i, size, ea, r);
        if (c.Faulted) return;
        c.SetFlagsSub(size, dst, src, r, borrow);
    }

    /// <summary>CMP: SUB without the write; not lockable.</summary>
    private static void Cmp(Cpu c, ref Instruction i)
    {
        if (!c.CheckLock(ref i, false)) return;
        int size = DestSize(ref i);
        uint dst = c.ReadOperand(ref i, 0);
        if (c.Faulted) return;
        uint src = c.ReadOperand(ref i, 1);
        if (c.Faulted) return;
        c.SetFlagsSub(size, dst, src, dst - src);
    }

    private static void Inc(Cpu c, ref Instruction i)
    {
        if (!c.CheckLock(ref i, true)) return;
        int size = DestSize(ref i);
        uint dst = c.ReadRmw(ref i, size, out uint ea);
        if (c.Faulted) return;
        uint r = dst + 1;
        c.WriteRmw(ref i, size, ea, r);
        if (c.Faulted) return;
        c.SetFlagsInc(size, dst, r);
    }

    private static void Dec(Cpu c, ref Instruction i)
    {
        if (!c.CheckLock(ref i, true)) return;
        int size = DestSize(ref i);
        uint dst = c.ReadRmw(ref i, size, out uint ea);
        if (c.Faulted) return;
        uint r = dst - 1;
        c.WriteRmw(ref i, size, ea, r);
        if (c.Faulted) return;
        c.SetFlagsDec(size, dst, r);
    }

    /// <summary>NEG: 0 - dst; CF = (dst != 0).</summary>
    private static void Neg(Cpu c, ref Instruction i)
    {
        if (!c.CheckLock(ref i, true)) return;
        int size = DestSize(ref i);
        uint src = c.ReadRmw(ref i, size, out uint ea);
        if (c.Faulted) return;
        uint r = 0u - src;
        c.WriteRmw(ref i, size, ea, r);
        if (c.Faulted) return;
        c.SetFlagsNeg(size, src, r);
    }
}
