using Iced.Intel;

namespace Emulator.Core.Cpu;

/// <summary>MOV (GPR, memory, immediate, moffs, segment registers), MOVZX, MOVSX, LEA, XCHG, XLAT, BOUND (SDM Vol. 2).</summary>
public sealed unsafe partial class Cpu
{
    static partial void RegisterDataMovement()
    {
        // MOV is bound per Code: the CRn/DRn/TRn forms share the mnemonic and belong to the system-instruction family.
        Bind(Code.Mov_rm8_r8, &Mov);
        Bind(Code.Mov_rm16_r16, &Mov);
        Bind(Code.Mov_rm32_r32, &Mov);
        Bind(Code.Mov_r8_rm8, &Mov);
        Bind(Code.Mov_r16_rm16, &Mov);
        Bind(Code.Mov_r32_rm32, &Mov);
        Bind(Code.Mov_AL_moffs8, &Mov);
        Bind(Code.Mov_AX_moffs16, &Mov);
        Bind(Code.Mov_EAX_moffs32, &Mov);
        Bind(Code.Mov_moffs8_AL, &Mov);
        Bind(Code.Mov_moffs16_AX, &Mov);
        Bind(Code.Mov_moffs32_EAX, &Mov);
        Bind(Code.Mov_r8_imm8, &Mov);
        Bind(Code.Mov_r16_imm16, &Mov);
        Bind(Code.Mov_r32_imm32, &Mov);
        Bind(Code.Mov_rm8_imm8, &Mov);
        Bind(Code.Mov_rm16_imm16, &Mov);
        Bind(Code.Mov_rm32_imm32, &Mov);
        // From a segment register: a 32-bit register destination is zero-extended (P6 and later);
        // a memory destination is always 16 bits (Iced gives the memory operand a word size).
        Bind(Code.Mov_rm16_Sreg, &Mov);
        Bind(Code.Mov_r32m16_Sreg, &Mov);
        Bind(Code.Mov_Sreg_rm16, &MovToSreg);
        Bind(Code.Mov_Sreg_r32m16, &MovToSreg);

        Bind(Code.Movzx_r16_rm8, &Movzx);
        Bind(Code.Movzx_r32_rm8, &Movzx);
        Bind(Code.Movzx_r16_rm16, &Movzx);
        Bind(Code.Movzx_r32_rm16, &Movzx);
        Bind(Code.Movsx_r16_rm8, &Movsx);
        Bind(Code.Movsx_r32_rm8, &Movsx);
        Bind(Code.Movsx_r16_rm16, &Movsx);
        Bind(Code.Movsx_r32_rm16, &Movsx);

        Bind(Code.Lea_r16_m, &Lea);
        Bind(Code.Lea_r32_m, &Lea);

        Bind(Code.Xchg_rm8_r8, &Xchg);
        Bind(Code.Xchg_rm16_r16, &Xchg);
        Bind(Code.Xchg_rm32_r32, &Xchg);
        Bind(Code.Xchg_r16_AX, &Xchg);
        Bind(Code.Xchg_r32_EAX, &Xchg);

        Bind(Code.Xlat_m8, &Xlat);

        Bind(Code.Bound_r16_m1616, &Bound);
        Bind(Code.Bound_r32_m3232, &Bound);
    }

    private static void Mov(Cpu c, ref Instruction i)
    {
        uint v = c.ReadOperand(ref i, 1);
        if (c.Faulted) return;
        c.WriteOperand(ref i, 0, v);
    }

    /// <summary>MOV Sreg, r/m16: MOV CS is #UD; MOV SS inhibits interrupts for one instruction (SDM MOV).</summary>
    private static void MovToSreg(Cpu c, ref Instruction i)
    {
        int seg = SegIndex(i.Op0Register);
        if (seg == CS || (uint)seg > GS) { c.RaiseUD(); return; }
        uint v = c.ReadOperand(ref i, 1);
        if (c.Faulted) return;
        if (!c.LoadSegment(seg, (ushort)v)) return;
        if (seg == SS) c.SetInterruptShadow = true;
    }

    private static void Movzx(Cpu c, ref Instruction i)
    {
        uint v = c.ReadOperand(ref i, 1);
        if (c.Faulted) return;
        c.WriteReg(i.Op0Register, v);
    }

    private static void Movsx(Cpu c, ref Instruction i)
    {
        uint v = c.ReadOperand(ref i, 1);
        if (c.Faulted) return;
        v = OperandSize(ref i, 1) == 1 ? (uint)(sbyte)v : (uint)(short)v;
        c.WriteReg(i.Op0Register, v);
    }

    /// <summary>
    /// LEA: the effective address computed at the address size (EffectiveAddress truncates 16-bit
    /// addressing), then truncated or zero-extended to the operand size (SDM LEA table). A register
    /// source (mod = 11) is #UD.
    /// </summary>
    private static void Lea(Cpu c, ref Instruction i)
    {
        if (i.Op1Kind != OpKind.Memory) { c.RaiseUD(); return; }
        c.WriteReg(i.Op0Register, c.EffectiveAddress(ref i));
    }

    /// <summary>XCHG; with a memory operand it is implicitly locked (a no-op for this single CPU).</summary>
    private static void Xchg(Cpu c, ref Instruction i)
    {
        if (c.LockWithoutMemory(ref i)) return;
        uint a = c.ReadOperand(ref i, 0);
        if (c.Faulted) return;
        uint b = c.ReadReg(i.Op1Register);
        c.WriteOperand(ref i, 0, b);
        if (c.Faulted) return;
        c.WriteReg(i.Op1Register, a);
    }

    /// <summary>XLAT: AL = [seg:(E)BX + zero-extended AL]; Iced encodes the operand as base (E)BX, index AL.</summary>
    private static void Xlat(Cpu c, ref Instruction i)
    {
        uint v = c.ReadOperand(ref i, 0);
        if (c.Faulted) return;
        c.Regs[EAX] = (c.Regs[EAX] & 0xFFFFFF00u) | (v & 0xFF);
    }

    /// <summary>BOUND: #BR when the signed index lies outside [lower, upper] read from memory; register form is #UD.</summary>
    private static void Bound(Cpu c, ref Instruction i)
    {
        if (i.Op1Kind != OpKind.Memory) { c.RaiseUD(); return; }
        int size = RegSize(i.Op0Register);
        int seg = MemorySeg(ref i);
        uint ea = c.EffectiveAddress(ref i);
        uint lowerRaw = c.ReadMem(seg, ea, size);
        if (c.Faulted) return;
        uint upperEa = AddressSize16(ref i) ? (ea + (uint)size) & 0xFFFF : ea + (uint)size;
        uint upperRaw = c.ReadMem(seg, upperEa, size);
        if (c.Faulted) return;
        uint idxRaw = c.ReadReg(i.Op0Register);
        int index, lower, upper;
        if (size == 2) { index = (short)idxRaw; lower = (short)lowerRaw; upper = (short)upperRaw; }
        else { index = (int)idxRaw; lower = (int)lowerRaw; upper = (int)upperRaw; }
        if (index < lower || index > upper) c.RaiseFault(Vector.BR);
    }
}
