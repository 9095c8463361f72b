using Iced.Intel;

namespace Emulator.Core.Cpu;

/// <summary>
/// Near control transfers: JMP, Jcc, JCXZ/JECXZ, LOOP/LOOPE/LOOPNE, CALL, RET (SDM Vol. 2).
/// Far forms (JMP/CALL ptr16:xx and m16:xx, RETF) belong to the far-transfer family and are not bound here.
/// </summary>
public sealed unsafe partial class Cpu
{
    static partial void RegisterControlFlow()
    {
        Bind(Code.Jmp_rel8_16, &JmpRel);
        Bind(Code.Jmp_rel8_32, &JmpRel);
        Bind(Code.Jmp_rel16, &JmpRel);
        Bind(Code.Jmp_rel32_32, &JmpRel);
        Bind(Code.Jmp_rm16, &JmpRm16);
        Bind(Code.Jmp_rm32, &JmpRm32);

        Bind(Mnemonic.Jo, &Jcc); Bind(Mnemonic.Jno, &Jcc);
        Bind(Mnemonic.Jb, &Jcc); Bind(Mnemonic.Jae, &Jcc);
        Bind(Mnemonic.Je, &Jcc); Bind(Mnemonic.Jne, &Jcc);
        Bind(Mnemonic.Jbe, &Jcc); Bind(Mnemonic.Ja, &Jcc);
        Bind(Mnemonic.Js, &Jcc); Bind(Mnemonic.Jns, &Jcc);
        Bind(Mnemonic.Jp, &Jcc); Bind(Mnemonic.Jnp, &Jcc);
        Bind(Mnemonic.Jl, &Jcc); Bind(Mnemonic.Jge, &Jcc);
        Bind(Mnemonic.Jle, &Jcc); Bind(Mnemonic.Jg, &Jcc);

        Bind(Code.Jcxz_rel8_16, &Jcxz);
        Bind(Code.Jcxz_rel8_32, &Jcxz);
        Bind(Code.Jecxz_rel8_16, &Jecxz);
        Bind(Code.Jecxz_rel8_32, &Jecxz);

        Bind(Code.Loop_rel8_16_CX, &LoopCx); Bind(Code.Loop_rel8_32_CX, &LoopCx);
        Bind(Code.Loop_rel8_16_ECX, &LoopEcx); Bind(Code.Loop_rel8_32_ECX, &LoopEcx);
        Bind(Code.Loope_rel8_16_CX, &LoopeCx); Bind(Code.Loope_rel8_32_CX, &LoopeCx);
        Bind(Code.Loope_rel8_16_ECX, &LoopeEcx); Bind(Code.Loope_rel8_32_ECX, &LoopeEcx);
        Bind(Code.Loopne_rel8_16_CX, &LoopneCx); Bind(Code.Loopne_rel8_32_CX, &LoopneCx);
        Bind(Code.Loopne_rel8_16_ECX, &LoopneEcx); Bind(Code.Loopne_rel8_32_ECX, &LoopneEcx);

        Bind(Code.Call_rel16, &CallRel);
        Bind(Code.Call_rel32_32, &CallRel);
        Bind(Code.Call_rm16, &CallRm16);
        Bind(Code.Call_rm32, &CallRm32);

        Bind(Code.Retnw, &RetNear16);
        Bind(Code.Retnw_imm16, &RetNear16);
        Bind(Code.Retnd, &RetNear32);
        Bind(Code.Retnd_imm16, &RetNear32);
    }

    /// <summary>
    /// Sets EIP to a near target after the CS limit check (#GP(0) beyond it; SDM JMP/CALL/RET).
    /// Returns false (fault raised, nothing committed) when the target is outside the limit.
    /// </summary>
    private bool BranchNear(uint target)
    {
        if (target > Segs[CS].Limit) { RaiseGP(0); return false; }
        Eip = target;
        return true;
    }

    /// <summary>The decoded relative target; Iced already truncates it to 16 bits for a 16-bit operand size.</summary>
    private static uint RelativeTarget(ref Instruction i) =>
        i.Op0Kind == OpKind.NearBranch16 ? i.NearBranch16 : i.NearBranch32;

    private static void JmpRel(Cpu c, ref Instruction i) => c.BranchNear(RelativeTarget(ref i));

    private static void JmpRm16(Cpu c, ref Instruction i)
    {
        uint v = c.ReadOperand(ref i, 0);
        if (c.Faulted) return;
        c.BranchNear(v & 0xFFFF);
    }

    private static void JmpRm32(Cpu c, ref Instruction i)
    {
        uint v = c.ReadOperand(ref i, 0);
        if (c.Faulted) return;
        c.BranchNear(v);
    }

    private static void Jcc(Cpu c, ref Instruction i)
    {
        if (c.Condition(i.ConditionCode)) c.BranchNear(RelativeTarget(ref i));
    }

    private static void Jcxz(Cpu c, ref Instruction i)
    {
        if ((c.Regs[ECX] & 0xFFFF) == 0) c.BranchNear(RelativeTarget(ref i));
    }

    private static void Jecxz(Cpu c, ref Instruction i)
    {
        if (c.Regs[ECX] == 0) c.BranchNear(RelativeTarget(ref i));
    }

    // LOOPcc: the address size (the _CX / _ECX Codes) selects the counter, the operand size the target width.
    private const int LoopAlways = 0, LoopWhileZero = 1, LoopWhileNotZero = 2;
    private static void LoopCx(Cpu c, ref Instruction i) => LoopCommon(c, ref i, 0xFFFF, LoopAlways);
    private static void LoopEcx(Cpu c, ref Instruction i) => LoopCommon(c, ref i, 0xFFFFFFFF, LoopAlways);
    private static void LoopeCx(Cpu c, ref Instruction i) => LoopCommon(c, ref i, 0xFFFF, LoopWhileZero);
    private static void LoopeEcx(Cpu c, ref Instruction i) => LoopCommon(c, ref i, 0xFFFFFFFF, LoopWhileZero);
    private static void LoopneCx(Cpu c, ref Instruction i) => LoopCommon(c, ref i, 0xFFFF, LoopWhileNotZero);
    private static void LoopneEcx(Cpu c, ref Instruction i) => LoopCommon(c, ref i, 0xFFFFFFFF, LoopWhileNotZero);

    /// <summary>Decrements the counter (flags untouched) and branches while it is non-zero and the ZF condition holds.
    /// The counter is written only after the branch target passed its limit check, so a #GP commits nothing.</summary>
    private static void LoopCommon(Cpu c, ref Instruction i, uint mask, int kind)
    {
        uint count = (c.Regs[ECX] - 1) & mask;
        bool take = count != 0;
        if (take && kind != LoopAlways) take = c.GetZF() == (kind == LoopWhileZero);
        if (take && !c.BranchNear(RelativeTarget(ref i))) return;
        c.Regs[ECX] = (c.Regs[ECX] & ~mask) | count;
    }

    /// <summary>CALL rel: the target is limit-checked before the return address is pushed (SDM CALL).</summary>
    private static void CallRel(Cpu c, ref Instruction i)
    {
        uint target;
        int size;
        if (i.Op0Kind == OpKind.NearBranch16) { target = i.NearBranch16; size = 2; }
        else { target = i.NearBranch32; size = 4; }
        CallNear(c, target, size);
    }

    private static void CallRm16(Cpu c, ref Instruction i)
    {
        uint v = c.ReadOperand(ref i, 0);
        if (c.Faulted) return;
        CallNear(c, v & 0xFFFF, 2);
    }

    private static void CallRm32(Cpu c, ref Instruction i)
    {
        uint v = c.ReadOperand(ref i, 0);
        if (c.Faulted) return;
        CallNear(c, v, 4);
    }

    private static void CallNear(Cpu c, uint target, int size)
    {
        if (target > c.Segs[CS].Limit) { c.RaiseGP(0); return; }
        c.Push(c.Eip, size);
        if (c.Faulted) return;
        c.Eip = target;
    }

    private static void RetNear16(Cpu c, ref Instruction i) => RetNear(c, ref i, 2);
    private static void RetNear32(Cpu c, ref Instruction i) => RetNear(c, ref i, 4);

    /// <summary>RET [imm16]: pop the return address (operand size), check it against the CS limit, then release imm16 bytes.</summary>
    private static void RetNear(Cpu c, ref Instruction i, int size)
    {
        uint target = c.Pop(size);
        if (c.Faulted) return;
        if (!c.BranchNear(target)) return;
        if (i.Op0Kind == OpKind.Immediate16) c.AdjustStackPointer(i.Immediate16);
    }
}
