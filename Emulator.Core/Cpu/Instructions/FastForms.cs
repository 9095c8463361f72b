using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using Iced.Intel;

namespace Emulator.Core.Cpu;

/// <summary>
/// Specialised handlers for the most frequent 32-bit instruction forms (DESIGN.md §4). The family
/// handlers are generic: they ask Iced for each operand's kind and register through a switch; these
/// are bound per Iced Code, so the form is known and a register operand is one array index. Each
/// one takes its fast path for the plain case (no LOCK prefix; register operands, or a memory
/// operand through the same segment checks and paging as always) and otherwise defers to the family
/// handler, so the architectural behaviour is defined in one place. Registered last: wins per Code.
/// </summary>
public sealed unsafe partial class Cpu
{
    static partial void RegisterFastForms();

    // ---- ALU operations as types, so one generic handler per form compiles to one specialised body each.

    /// <summary>One two-operand ALU operation: its result, its flags, whether it writes, and its family handler.</summary>
    private interface IAluOp
    {
        static abstract uint Compute(Cpu c, uint dst, uint src);
        static abstract void SetFlags(Cpu c, uint dst, uint src, uint result);
        static abstract bool Writes { get; }
        static abstract void Family(Cpu c, ref Instruction i);
    }

    private struct AddOp : IAluOp
    {
        public static uint Compute(Cpu c, uint d, uint s) => d + s;
        public static void SetFlags(Cpu c, uint d, uint s, uint r) => c.SetFlagsAdd(4, d, s, r);
        public static bool Writes => true;
        public static void Family(Cpu c, ref Instruction i) => Add(c, ref i);
    }

    private struct SubOp : IAluOp
    {
        public static uint Compute(Cpu c, uint d, uint s) => d - s;
        public static void SetFlags(Cpu c, uint d, uint s, uint r) => c.SetFlagsSub(4, d, s, r);
        public static bool Writes => true;
        public static void Family(Cpu c, ref Instruction i) => Sub(c, ref i);
    }

    private struct CmpOp : IAluOp
    {
        public static uint Compute(Cpu c, uint d, uint s) => d - s;
        public static void SetFlags(Cpu c, uint d, uint s, uint r) => c.SetFlagsSub(4, d, s, r);
        public static bool Writes => false;
        public static void Family(Cpu c, ref Instruction i) => Cmp(c, ref i);
    }

    private struct AndOp : IAluOp
    {
        public static uint Compute(Cpu c, uint d, uint s) => d & s;
        public static void SetFlags(Cpu c, uint d, uint s, uint r) => c.SetFlagsLogic(4, r);
        public static bool Writes => true;
        public static void Family(Cpu c, ref Instruction i) => And(c, ref i);
    }

    private struct OrOp : IAluOp
    {
        public static uint Compute(Cpu c, uint d, uint s) => d | s;
        public static void SetFlags(Cpu c, uint d, uint s, uint r) => c.SetFlagsLogic(4, r);
        public static bool Writes => true;
        public static void Family(Cpu c, ref Instruction i) => Or(c, ref i);
    }

    private struct XorOp : IAluOp
    {
        public static uint Compute(Cpu c, uint d, uint s) => d ^ s;
        public static void SetFlags(Cpu c, uint d, uint s, uint r) => c.SetFlagsLogic(4, r);
        public static bool Writes => true;
        public static void Family(Cpu c, ref Instruction i) => Xor(c, ref i);
    }

    private struct TestOp : IAluOp
    {
        public static uint Compute(Cpu c, uint d, uint s) => d & s;
        public static void SetFlags(Cpu c, uint d, uint s, uint r) => c.SetFlagsLogic(4, r);
        public static bool Writes => false;
        public static void Family(Cpu c, ref Instruction i) => Test(c, ref i);
    }

    /// <summary>
    /// A 32-bit general register of an r32 operand, without a bounds check: every Code bound here
    /// takes EAX..EDI for its r32 operands (Iced decodes nothing else there), so the index is 0..7.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private ref uint R32(Register r) => ref Unsafe.Add(ref MemoryMarshal.GetArrayDataReference(Regs), (int)(r - Register.EAX));

    /// <summary>OP r/m32, r32 (also OP r/m32, imm when <typeparamref name="TSrc"/> says so).</summary>
    private static void AluRm32<T, TSrc>(Cpu c, ref Instruction i) where T : struct, IAluOp where TSrc : struct, ISource32
    {
        if (i.HasLockPrefix) { T.Family(c, ref i); return; }
        uint src = TSrc.Read(c, ref i);
        if (i.Op0Kind == OpKind.Register)
        {
            ref uint d = ref c.R32(i.Op0Register);
            uint dst = d;
            uint r = T.Compute(c, dst, src);
            if (T.Writes) d = r;
            T.SetFlags(c, dst, src, r);
            return;
        }
        int seg = MemorySeg(ref i);
        uint ea = c.EffectiveAddress(ref i);
        uint m = c.ReadMem(seg, ea, 4);
        if (c.Faulted) return;
        uint res = T.Compute(c, m, src);
        if (T.Writes)
        {
            c.WriteMem(seg, ea, 4, res);
            if (c.Faulted) return; // a faulting write commits nothing, flags included
        }
        T.SetFlags(c, m, src, res);
    }

    /// <summary>OP r32, r/m32.</summary>
    private static void AluR32Rm32<T>(Cpu c, ref Instruction i) where T : struct, IAluOp
    {
        if (i.HasLockPrefix) { T.Family(c, ref i); return; }
        uint src;
        if (i.Op1Kind == OpKind.Register) src = c.R32(i.Op1Register);
        else
        {
            src = c.ReadMem(MemorySeg(ref i), c.EffectiveAddress(ref i), 4);
            if (c.Faulted) return;
        }
        ref uint d = ref c.R32(i.Op0Register);
        uint dst = d;
        uint r = T.Compute(c, dst, src);
        if (T.Writes) d = r;
        T.SetFlags(c, dst, src, r);
    }

    /// <summary>Where the source operand of an r/m32 form comes from.</summary>
    private interface ISource32
    {
        static abstract uint Read(Cpu c, ref Instruction i);
    }

    private struct SourceReg32 : ISource32
    {
        public static uint Read(Cpu c, ref Instruction i) => c.R32(i.Op1Register);
    }

    private struct SourceImm32 : ISource32
    {
        public static uint Read(Cpu c, ref Instruction i) => i.Immediate32;
    }

    private struct SourceImm8to32 : ISource32
    {
        public static uint Read(Cpu c, ref Instruction i) => (uint)i.Immediate8to32;
    }

    // ---- Moves --------------------------------------------------------------------------------

    private static void MovRm32R32(Cpu c, ref Instruction i) => MovRm32<SourceReg32>(c, ref i);
    private static void MovRm32Imm32(Cpu c, ref Instruction i) => MovRm32<SourceImm32>(c, ref i);

    private static void MovRm32<TSrc>(Cpu c, ref Instruction i) where TSrc : struct, ISource32
    {
        uint v = TSrc.Read(c, ref i);
        if (i.Op0Kind == OpKind.Register) c.R32(i.Op0Register) = v;
        else c.WriteMem(MemorySeg(ref i), c.EffectiveAddress(ref i), 4, v);
    }

    private static void MovR32Rm32(Cpu c, ref Instruction i)
    {
        if (i.Op1Kind == OpKind.Register) { c.R32(i.Op0Register) = c.R32(i.Op1Register); return; }
        uint v = c.ReadMem(MemorySeg(ref i), c.EffectiveAddress(ref i), 4);
        if (c.Faulted) return;
        c.R32(i.Op0Register) = v;
    }

    private static void MovR32Imm32(Cpu c, ref Instruction i) => c.R32(i.Op0Register) = i.Immediate32;

    /// <summary>MOVZX/MOVSX r32, r/m8 or r/m16: <paramref name="size"/> bytes, sign-extended when <paramref name="signed"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Extend32(Cpu c, ref Instruction i, int size, bool signed)
    {
        uint v;
        if (i.Op1Kind == OpKind.Register) v = c.ReadReg(i.Op1Register);
        else
        {
            v = c.ReadMem(MemorySeg(ref i), c.EffectiveAddress(ref i), size);
            if (c.Faulted) return;
        }
        if (signed) v = size == 1 ? (uint)(sbyte)v : (uint)(short)v;
        c.R32(i.Op0Register) = v;
    }

    private static void MovzxR32Rm8(Cpu c, ref Instruction i) => Extend32(c, ref i, 1, false);
    private static void MovzxR32Rm16(Cpu c, ref Instruction i) => Extend32(c, ref i, 2, false);
    private static void MovsxR32Rm8(Cpu c, ref Instruction i) => Extend32(c, ref i, 1, true);
    private static void MovsxR32Rm16(Cpu c, ref Instruction i) => Extend32(c, ref i, 2, true);

    private static void LeaR32(Cpu c, ref Instruction i)
    {
        if (i.Op1Kind != OpKind.Memory) { c.RaiseUD(); return; }
        c.R32(i.Op0Register) = c.EffectiveAddress(ref i);
    }

    // ---- INC/DEC, PUSH/POP, CALL/RET, Jcc ----------------------------------------------------

    private static void IncR32(Cpu c, ref Instruction i)
    {
        ref uint d = ref c.R32(i.Op0Register);
        uint dst = d;
        d = dst + 1;
        c.SetFlagsInc(4, dst, dst + 1);
    }

    private static void DecR32(Cpu c, ref Instruction i)
    {
        ref uint d = ref c.R32(i.Op0Register);
        uint dst = d;
        d = dst - 1;
        c.SetFlagsDec(4, dst, dst - 1);
    }

    private static void PushR32(Cpu c, ref Instruction i) => c.Push(c.R32(i.Op0Register), 4);

    private static void PopR32(Cpu c, ref Instruction i)
    {
        uint v = c.Pop(4);
        if (c.Faulted) return;
        c.R32(i.Op0Register) = v; // POP ESP: the popped value wins over the increment (SDM POP)
    }

    private static void JccRel32(Cpu c, ref Instruction i)
    {
        if (c.Condition(i.ConditionCode)) c.BranchNear(i.NearBranch32);
    }


    // ---- Shifts by an immediate, CMOVcc, 8-bit TEST ------------------------------------------

    /// <summary>One shift of a 32-bit register by 1..31 (the count already masked and non-zero); flags as the family handler computes them.</summary>
    private interface IShift32
    {
        static abstract uint Shift(uint dst, int count, out bool cf, out bool of);
        static abstract void Family(Cpu c, ref Instruction i);
    }

    private struct ShlOp : IShift32
    {
        public static uint Shift(uint dst, int count, out bool cf, out bool of)
        {
            ulong wide = (ulong)dst << count;
            cf = ((wide >> 32) & 1) != 0;
            of = (((dst >> 31) ^ (dst >> 30)) & 1) != 0; // the count-1 formula on the original (Shifts.cs)
            return (uint)wide;
        }
        public static void Family(Cpu c, ref Instruction i) => Shl(c, ref i);
    }

    private struct ShrOp : IShift32
    {
        public static uint Shift(uint dst, int count, out bool cf, out bool of)
        {
            cf = ((dst >> (count - 1)) & 1) != 0;
            of = (int)dst < 0;
            return dst >> count;
        }
        public static void Family(Cpu c, ref Instruction i) => Shr(c, ref i);
    }

    private struct SarOp : IShift32
    {
        public static uint Shift(uint dst, int count, out bool cf, out bool of)
        {
            cf = (((int)dst >> (count - 1)) & 1) != 0;
            of = false;
            return (uint)((int)dst >> count);
        }
        public static void Family(Cpu c, ref Instruction i) => Sar(c, ref i);
    }

    /// <summary>SHL/SHR/SAR r32, imm8 (a memory operand goes to the family handler).</summary>
    private static void ShiftR32Imm8<T>(Cpu c, ref Instruction i) where T : struct, IShift32
    {
        if (i.Op0Kind != OpKind.Register || i.HasLockPrefix) { T.Family(c, ref i); return; }
        int count = i.Immediate8 & 0x1F;
        if (count == 0) return; // nothing changes, flags included
        ref uint d = ref c.R32(i.Op0Register);
        uint r = T.Shift(d, count, out bool cf, out bool of);
        d = r;
        c.SetFlagsResult(4, r, cf, of);
    }

    /// <summary>ROL/ROR r32, imm8: CF and OF as the family handlers define them; the other flags stay.</summary>
    private static void RotateR32Imm8(Cpu c, ref Instruction i, bool left)
    {
        if (i.Op0Kind != OpKind.Register || i.HasLockPrefix) { if (left) Rol(c, ref i); else Ror(c, ref i); return; }
        int count = i.Immediate8 & 0x1F;
        if (count == 0) return;
        ref uint d = ref c.R32(i.Op0Register);
        uint r = left ? System.Numerics.BitOperations.RotateLeft(d, count) : System.Numerics.BitOperations.RotateRight(d, count);
        d = r;
        if (left) c.SetCarryOverflow((r & 1) != 0, ((r & 1) ^ (r >> 31)) != 0);
        else c.SetCarryOverflow((int)r < 0, ((r >> 31) ^ ((r >> 30) & 1)) != 0);
    }

    private static void RolR32Imm8(Cpu c, ref Instruction i) => RotateR32Imm8(c, ref i, left: true);
    private static void RorR32Imm8(Cpu c, ref Instruction i) => RotateR32Imm8(c, ref i, left: false);

    /// <summary>IMUL r32, r/m32 and IMUL r32, r/m32, imm: the truncated product; CF = OF = it did not fit (SDM IMUL).</summary>
    private static void ImulR32<TSrc>(Cpu c, ref Instruction i) where TSrc : struct, IImulOperands
    {
        if (i.HasLockPrefix) { Imul(c, ref i); return; }
        uint m;
        if (i.Op1Kind == OpKind.Register) m = c.R32(i.Op1Register);
        else
        {
            m = c.ReadMem(MemorySeg(ref i), c.EffectiveAddress(ref i), 4);
            if (c.Faulted) return;
        }
        long p = (long)(int)TSrc.Left(c, ref i, m) * (int)TSrc.Right(ref i, m);
        uint r = (uint)p;
        bool of = p != (int)r;
        c.R32(i.Op0Register) = r;
        c.SetFlagsResult(4, r, of, of);
    }

    /// <summary>The factors of an IMUL form, given its r/m32 operand's value.</summary>
    private interface IImulOperands
    {
        static abstract uint Left(Cpu c, ref Instruction i, uint rm);
        static abstract uint Right(ref Instruction i, uint rm);
    }

    private struct ImulRegByRm : IImulOperands
    {
        public static uint Left(Cpu c, ref Instruction i, uint rm) => c.R32(i.Op0Register);
        public static uint Right(ref Instruction i, uint rm) => rm;
    }

    private struct ImulRmByImm32 : IImulOperands
    {
        public static uint Left(Cpu c, ref Instruction i, uint rm) => rm;
        public static uint Right(ref Instruction i, uint rm) => i.Immediate32;
    }

    private struct ImulRmByImm8 : IImulOperands
    {
        public static uint Left(Cpu c, ref Instruction i, uint rm) => rm;
        public static uint Right(ref Instruction i, uint rm) => (uint)i.Immediate8to32;
    }

    /// <summary>CMOVcc r32, r/m32: a memory source is read (and can fault) whatever the condition (SDM CMOVcc).</summary>
    private static void CmovR32Rm32(Cpu c, ref Instruction i)
    {
        if (i.HasLockPrefix) { Cmovcc(c, ref i); return; }
        uint src;
        if (i.Op1Kind == OpKind.Register) src = c.R32(i.Op1Register);
        else
        {
            src = c.ReadMem(MemorySeg(ref i), c.EffectiveAddress(ref i), 4);
            if (c.Faulted) return;
        }
        if (c.Condition(i.ConditionCode)) c.R32(i.Op0Register) = src;
    }

    /// <summary>TEST r/m8, imm8 / TEST AL, imm8 / TEST r/m8, r8 with register operands.</summary>
    private static void TestR8(Cpu c, ref Instruction i)
    {
        if (i.Op0Kind != OpKind.Register || i.HasLockPrefix) { Test(c, ref i); return; }
        uint src = i.Op1Kind == OpKind.Register ? c.ReadReg(i.Op1Register) : i.Immediate8;
        c.SetFlagsLogic(1, c.ReadReg(i.Op0Register) & src);
    }

    static partial void RegisterFastForms()
    {
        BindAlu<AddOp>(Code.Add_rm32_r32, Code.Add_r32_rm32, Code.Add_rm32_imm32, Code.Add_rm32_imm8, Code.Add_EAX_imm32);
        BindAlu<SubOp>(Code.Sub_rm32_r32, Code.Sub_r32_rm32, Code.Sub_rm32_imm32, Code.Sub_rm32_imm8, Code.Sub_EAX_imm32);
        BindAlu<CmpOp>(Code.Cmp_rm32_r32, Code.Cmp_r32_rm32, Code.Cmp_rm32_imm32, Code.Cmp_rm32_imm8, Code.Cmp_EAX_imm32);
        BindAlu<AndOp>(Code.And_rm32_r32, Code.And_r32_rm32, Code.And_rm32_imm32, Code.And_rm32_imm8, Code.And_EAX_imm32);
        BindAlu<OrOp>(Code.Or_rm32_r32, Code.Or_r32_rm32, Code.Or_rm32_imm32, Code.Or_rm32_imm8, Code.Or_EAX_imm32);
        BindAlu<XorOp>(Code.Xor_rm32_r32, Code.Xor_r32_rm32, Code.Xor_rm32_imm32, Code.Xor_rm32_imm8, Code.Xor_EAX_imm32);
        Bind(Code.Test_rm32_r32, &AluRm32<TestOp, SourceReg32>);
        Bind(Code.Test_rm32_imm32, &AluRm32<TestOp, SourceImm32>);
        Bind(Code.Test_EAX_imm32, &AluRm32<TestOp, SourceImm32>);

        Bind(Code.Mov_rm32_r32, &MovRm32R32);
        Bind(Code.Mov_r32_rm32, &MovR32Rm32);
        Bind(Code.Mov_r32_imm32, &MovR32Imm32);
        Bind(Code.Mov_rm32_imm32, &MovRm32Imm32);
        Bind(Code.Movzx_r32_rm8, &MovzxR32Rm8);
        Bind(Code.Movzx_r32_rm16, &MovzxR32Rm16);
        Bind(Code.Movsx_r32_rm8, &MovsxR32Rm8);
        Bind(Code.Movsx_r32_rm16, &MovsxR32Rm16);
        Bind(Code.Lea_r32_m, &LeaR32);

        Bind(Code.Shl_rm32_imm8, &ShiftR32Imm8<ShlOp>);
        Bind(Code.Sal_rm32_imm8, &ShiftR32Imm8<ShlOp>);
        Bind(Code.Shr_rm32_imm8, &ShiftR32Imm8<ShrOp>);
        Bind(Code.Sar_rm32_imm8, &ShiftR32Imm8<SarOp>);
        Bind(Code.Rol_rm32_imm8, &RolR32Imm8);
        Bind(Code.Ror_rm32_imm8, &RorR32Imm8);
        Bind(Code.Imul_r32_rm32, &ImulR32<ImulRegByRm>);
        Bind(Code.Imul_r32_rm32_imm32, &ImulR32<ImulRmByImm32>);
        Bind(Code.Imul_r32_rm32_imm8, &ImulR32<ImulRmByImm8>);
        foreach (var code in new[] { Code.Cmovo_r32_rm32, Code.Cmovno_r32_rm32, Code.Cmovb_r32_rm32, Code.Cmovae_r32_rm32,
                     Code.Cmove_r32_rm32, Code.Cmovne_r32_rm32, Code.Cmovbe_r32_rm32, Code.Cmova_r32_rm32, Code.Cmovs_r32_rm32,
                     Code.Cmovns_r32_rm32, Code.Cmovp_r32_rm32, Code.Cmovnp_r32_rm32, Code.Cmovl_r32_rm32, Code.Cmovge_r32_rm32,
                     Code.Cmovle_r32_rm32, Code.Cmovg_r32_rm32 })
            Bind(code, &CmovR32Rm32);
        Bind(Code.Test_rm8_imm8, &TestR8);
        Bind(Code.Test_AL_imm8, &TestR8);
        Bind(Code.Test_rm8_r8, &TestR8);

        Bind(Code.Inc_r32, &IncR32);
        Bind(Code.Dec_r32, &DecR32);
        Bind(Code.Push_r32, &PushR32);
        Bind(Code.Pop_r32, &PopR32);
        foreach (var code in new[] { Code.Jo_rel32_32, Code.Jno_rel32_32, Code.Jb_rel32_32, Code.Jae_rel32_32, Code.Je_rel32_32,
                     Code.Jne_rel32_32, Code.Jbe_rel32_32, Code.Ja_rel32_32, Code.Js_rel32_32, Code.Jns_rel32_32, Code.Jp_rel32_32,
                     Code.Jnp_rel32_32, Code.Jl_rel32_32, Code.Jge_rel32_32, Code.Jle_rel32_32, Code.Jg_rel32_32,
                     Code.Jo_rel8_32, Code.Jno_rel8_32, Code.Jb_rel8_32, Code.Jae_rel8_32, Code.Je_rel8_32, Code.Jne_rel8_32,
                     Code.Jbe_rel8_32, Code.Ja_rel8_32, Code.Js_rel8_32, Code.Jns_rel8_32, Code.Jp_rel8_32, Code.Jnp_rel8_32,
                     Code.Jl_rel8_32, Code.Jge_rel8_32, Code.Jle_rel8_32, Code.Jg_rel8_32 })
            Bind(code, &JccRel32);
    }

    private static void BindAlu<T>(Code rmR, Code rRm, Code rmImm32, Code rmImm8, Code eaxImm32) where T : struct, IAluOp
    {
        Bind(rmR, &AluRm32<T, SourceReg32>);
        Bind(rRm, &AluR32Rm32<T>);
        Bind(rmImm32, &AluRm32<T, SourceImm32>);
        Bind(rmImm8, &AluRm32<T, SourceImm8to32>);
        Bind(eaxImm32, &AluRm32<T, SourceImm32>);
    }
}
