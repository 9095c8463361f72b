using Iced.Intel;

namespace Emulator.Core.Cpu;

/// <summary>
/// XADD, CMPXCHG (486) and CMPXCHG8B (Pentium) (SDM Vol. 2). With one CPU every read-modify-write
/// is atomic, so LOCK needs no action; it is accepted with a memory destination and #UD otherwise
/// (SDM LOCK: "#UD if the destination operand is not a memory operand").
/// </summary>
public sealed unsafe partial class Cpu
{
    static partial void RegisterAtomics()
    {
        Bind(Code.Xadd_rm8_r8, &Xadd); Bind(Code.Xadd_rm16_r16, &Xadd); Bind(Code.Xadd_rm32_r32, &Xadd);
        Bind(Code.Cmpxchg_rm8_r8, &Cmpxchg); Bind(Code.Cmpxchg_rm16_r16, &Cmpxchg); Bind(Code.Cmpxchg_rm32_r32, &Cmpxchg);
        Bind(Code.Cmpxchg8b_m64, &Cmpxchg8b);
    }

    private bool LockWithoutMemory(ref Instruction i)
    {
        if (!i.HasLockPrefix || i.Op0Kind == OpKind.Memory) return false;
        RaiseUD();
        return true;
    }

    /// <summary>XADD: TEMP = SRC + DEST; SRC = DEST; DEST = TEMP; flags as ADD. A memory destination is written
    /// before the register (a fault commits nothing); with the same register twice the sum wins.</summary>
    private static void Xadd(Cpu c, ref Instruction i)
    {
        if (c.LockWithoutMemory(ref i)) return;
        int size = OperandSize(ref i, 0);
        uint dst = c.ReadOperand(ref i, 0);
        if (c.Faulted) return;
        uint src = c.ReadReg(i.Op1Register);
        uint sum = dst + src;
        if (i.Op0Kind == OpKind.Memory)
        {
            c.WriteOperand(ref i, 0, sum);
            if (c.Faulted) return;
            c.WriteReg(i.Op1Register, dst);
        }
        else
        {
            c.WriteReg(i.Op1Register, dst);
            c.WriteReg(i.Op0Register, sum);
        }
        c.SetFlagsAdd(size, dst, src, sum);
    }

    /// <summary>
    /// CMPXCHG: flags as CMP accumulator, DEST. Equal: DEST = SRC. Not equal: the accumulator gets
    /// DEST and DEST is written back with its own value (SDM: "the destination operand is written
    /// back if the comparison fails"), so a read-only destination faults either way.
    /// </summary>
    private static void Cmpxchg(Cpu c, ref Instruction i)
    {
        if (c.LockWithoutMemory(ref i)) return;
        int size = OperandSize(ref i, 0);
        uint m = SizeMask(size);
        uint dst = c.ReadOperand(ref i, 0);
        if (c.Faulted) return;
        uint acc = c.Regs[EAX] & m;
        bool equal = acc == dst;
        c.WriteOperand(ref i, 0, equal ? c.ReadReg(i.Op1Register) : dst);
        if (c.Faulted) return;
        if (!equal) c.Regs[EAX] = (c.Regs[EAX] & ~m) | dst;
        c.SetFlagsSub(size, acc, dst, acc - dst);
    }

    /// <summary>CMPXCHG8B m64: compare EDX:EAX with m64; equal: m64 = ECX:EBX, ZF = 1; else EDX:EAX = m64 (written back), ZF = 0.
    /// Only ZF changes. A register operand is #UD.</summary>
    private static void Cmpxchg8b(Cpu c, ref Instruction i)
    {
        if (i.Op0Kind != OpKind.Memory) { c.RaiseUD(); return; }
        int seg = MemorySeg(ref i);
        uint ea = c.EffectiveAddress(ref i);
        ulong dst = c.ReadMem64(seg, ea);
        if (c.Faulted) return;
        ulong cmp = c.Regs[EAX] | ((ulong)c.Regs[EDX] << 32);
        bool equal = dst == cmp;
        c.WriteMem64(seg, ea, equal ? c.Regs[EBX] | ((ulong)c.Regs[ECX] << 32) : dst);
        if (c.Faulted) return;
        if (!equal)
        {
            c.Regs[EAX] = (uint)dst;
            c.Regs[EDX] = (uint)(dst >> 32);
        }
        c.SetFlag(FlagZF, equal);
    }
}
