using Iced.Intel;

namespace Emulator.Core.Cpu;

/// <summary>
/// PUSH, POP, PUSHA(D), POPA(D), PUSHF(D), POPF(D), ENTER, LEAVE (SDM Vol. 2). The operand size
/// comes from the Code (Pushw_*/Pushd_*...), the stack-pointer width from SS.B (via Push/Pop).
/// </summary>
public sealed unsafe partial class Cpu
{
    static partial void RegisterStack()
    {
        Bind(Code.Push_r16, &PushOperand);
        Bind(Code.Push_r32, &PushOperand);
        Bind(Code.Push_rm16, &PushOperand);
        Bind(Code.Push_rm32, &PushOperand);
        Bind(Code.Push_imm16, &PushOperand);
        Bind(Code.Pushd_imm32, &PushOperand);
        Bind(Code.Pushw_imm8, &PushOperand);
        Bind(Code.Pushd_imm8, &PushOperand);

        Bind(Code.Pushw_ES, &PushSreg16); Bind(Code.Pushd_ES, &PushSreg32);
        Bind(Code.Pushw_CS, &PushSreg16); Bind(Code.Pushd_CS, &PushSreg32);
        Bind(Code.Pushw_SS, &PushSreg16); Bind(Code.Pushd_SS, &PushSreg32);
        Bind(Code.Pushw_DS, &PushSreg16); Bind(Code.Pushd_DS, &PushSreg32);
        Bind(Code.Pushw_FS, &PushSreg16); Bind(Code.Pushd_FS, &PushSreg32);
        Bind(Code.Pushw_GS, &PushSreg16); Bind(Code.Pushd_GS, &PushSreg32);

        Bind(Code.Pop_r16, &PopOperand);
        Bind(Code.Pop_r32, &PopOperand);
        Bind(Code.Pop_rm16, &PopOperand);
        Bind(Code.Pop_rm32, &PopOperand);

        Bind(Code.Popw_ES, &PopSreg16); Bind(Code.Popd_ES, &PopSreg32);
        Bind(Code.Popw_SS, &PopSreg16); Bind(Code.Popd_SS, &PopSreg32);
        Bind(Code.Popw_DS, &PopSreg16); Bind(Code.Popd_DS, &PopSreg32);
        Bind(Code.Popw_FS, &PopSreg16); Bind(Code.Popd_FS, &PopSreg32);
        Bind(Code.Popw_GS, &PopSreg16); Bind(Code.Popd_GS, &PopSreg32);
        // 0F is the two-byte escape on the 286 and later: POP CS does not exist (8086 only).
        Bind(Code.Popw_CS, &InvalidOpcode);

        Bind(Code.Pushaw, &Pusha16); Bind(Code.Pushad, &Pusha32);
        Bind(Code.Popaw, &Popa16); Bind(Code.Popad, &Popa32);
        Bind(Code.Pushfw, &Pushf16); Bind(Code.Pushfd, &Pushf32);
        Bind(Code.Popfw, &Popf16); Bind(Code.Popfd, &Popf32);

        Bind(Code.Enterw_imm16_imm8, &Enter16); Bind(Code.Enterd_imm16_imm8, &Enter32);
        Bind(Code.Leavew, &Leave16); Bind(Code.Leaved, &Leave32);
    }

    private static void InvalidOpcode(Cpu c, ref Instruction i) => c.RaiseUD();

    /// <summary>PUSH r/m, reg, imm. PUSH ESP pushes the value before the decrement; a memory
    /// source using ESP is addressed with the old ESP, both of which follow from reading first.</summary>
    private static void PushOperand(Cpu c, ref Instruction i)
    {
        uint v = c.ReadOperand(ref i, 0);
        if (c.Faulted) return;
        c.Push(v, OperandSize(ref i, 0));
    }

    private static void PushSreg16(Cpu c, ref Instruction i) => c.Push(c.Segs[SegIndex(i.Op0Register)].Selector, 2);

    /// <summary>
    /// PUSH Sreg with a 32-bit operand size: the stack pointer moves by 4 but, as on P6 and later Intel
    /// CPUs (SDM PUSH: "a 16-bit move ... leaving the upper portion of the stack location unmodified"),
    /// only the selector's 16 bits are written.
    /// </summary>
    private static void PushSreg32(Cpu c, ref Instruction i)
    {
        ushort sel = c.Segs[SegIndex(i.Op0Register)].Selector;
        uint sp = (c.StackPointer - 4) & (c.Stack32 ? 0xFFFFFFFFu : 0xFFFFu);
        // The limit check covers the whole 4-byte slot, as the stack pointer will point at it.
        if (!c.CheckSegmentAccess(ref c.Segs[SS], SS, sp, 4, write: true)) return;
        c.WriteMem(SS, sp, 2, sel);
        if (c.Faulted) return;
        c.SetStackPointer(sp);
    }

    /// <summary>
    /// POP r/m: the value is popped first, so a memory destination that uses ESP is addressed with
    /// the incremented ESP (SDM POP), and POP ESP leaves the popped value in ESP. A faulting
    /// destination write is rolled back (ESP restored) by the loop.
    /// </summary>
    private static void PopOperand(Cpu c, ref Instruction i)
    {
        uint v = c.Pop(OperandSize(ref i, 0));
        if (c.Faulted) return;
        c.WriteOperand(ref i, 0, v);
    }

    private static void PopSreg16(Cpu c, ref Instruction i) => PopSreg(c, ref i, 2);
    private static void PopSreg32(Cpu c, ref Instruction i) => PopSreg(c, ref i, 4);

    /// <summary>POP Sreg: ESP moves with the old SS.B (the pop happens before the load); POP SS inhibits interrupts for one instruction.</summary>
    private static void PopSreg(Cpu c, ref Instruction i, int size)
    {
        int seg = SegIndex(i.Op0Register);
        uint v = c.Pop(size);
        if (c.Faulted) return;
        if (!c.LoadSegment(seg, (ushort)v)) return;
        if (seg == SS) c.SetInterruptShadow = true;
    }

    private static void Pusha16(Cpu c, ref Instruction i) => Pusha(c, 2);
    private static void Pusha32(Cpu c, ref Instruction i) => Pusha(c, 4);

    /// <summary>PUSHA(D): EAX, ECX, EDX, EBX, original ESP, EBP, ESI, EDI. A fault part-way leaves ESP restored by the loop.</summary>
    private static void Pusha(Cpu c, int size)
    {
        uint originalEsp = c.Regs[ESP];
        for (int r = EAX; r <= EDI; r++)
        {
            c.Push(r == ESP ? originalEsp : c.Regs[r], size);
            if (c.Faulted) return;
        }
    }

    private static void Popa16(Cpu c, ref Instruction i) => Popa(c, 2);
    private static void Popa32(Cpu c, ref Instruction i) => Popa(c, 4);

    /// <summary>POPA(D): all eight slots are read before any register is written, so a fault commits nothing; the ESP slot is skipped.</summary>
    private static void Popa(Cpu c, int size)
    {
        Span<uint> v = stackalloc uint[8];
        for (int k = 0; k < 8; k++)
        {
            v[k] = c.PeekStack((uint)(k * size), size);
            if (c.Faulted) return;
        }
        // Slot k holds register EDI - k (EDI was pushed last).
        for (int k = 0; k < 8; k++)
        {
            int r = EDI - k;
            if (r == ESP) continue;
            c.Regs[r] = size == 4 ? v[k] : (c.Regs[r] & 0xFFFF0000u) | (v[k] & 0xFFFF);
        }
        c.AdjustStackPointer(8 * size);
    }

    // PUSHF(D): VM and RF are cleared in the pushed image (SDM PUSHF). No VM86 support, so no IOPL check.
    private static void Pushf16(Cpu c, ref Instruction i) => c.Push(c.GetEflags() & 0xFFFF, 2);
    private static void Pushf32(Cpu c, ref Instruction i) => c.Push(c.GetEflags() & ~(FlagVM | FlagRF), 4);

    private static void Popf16(Cpu c, ref Instruction i) => Popf(c, 2);
    private static void Popf32(Cpu c, ref Instruction i) => Popf(c, 4);

    /// <summary>
    /// POPF(D) outside VM86 (SDM POPF operation): at CPL 0 (and in real mode) all flags except VM,
    /// VIP, VIF may change; at 0 &lt; CPL &lt;= IOPL, IOPL is preserved; at CPL &gt; IOPL, IOPL and IF
    /// are preserved (silently, no fault). RF is cleared by the 32-bit form. Reserved bits keep their
    /// fixed values (SetEflags).
    /// </summary>
    private static void Popf(Cpu c, int size)
    {
        uint v = c.Pop(size);
        if (c.Faulted) return;
        int cpl = c.ProtectedMode ? c.Cpl : 0;
        uint mask = FlagCF | FlagPF | FlagAF | FlagZF | FlagSF | FlagTF | FlagDF | FlagOF | FlagNT | FlagAC | FlagID;
        if (cpl == 0) mask |= FlagIOPL | FlagIF;
        else if (cpl <= c.Iopl) mask |= FlagIF;
        if (size == 2) mask &= 0xFFFF;
        uint flags = (c.GetEflags() & ~mask) | (v & mask);
        if (size == 4) flags &= ~FlagRF;
        c.SetEflags(flags);
    }

    private static void Enter16(Cpu c, ref Instruction i) => Enter(c, ref i, 2);
    private static void Enter32(Cpu c, ref Instruction i) => Enter(c, ref i, 4);

    /// <summary>
    /// ENTER alloc, level (SDM ENTER operation): push (E)BP, copy level-1 frame pointers from the
    /// old frame, push the new frame pointer, then allocate. The final stack pointer is checked as a
    /// write (SDM: #SS / #PF "if a write using the final value of the stack pointer would" fault)
    /// before EBP and ESP are committed. The frame pointer follows the operand size, not the stack's:
    /// FrameTemp is ESP (32-bit operand) or SP (16-bit), and EBP ← FrameTemp or BP ← FrameTemp[15:0].
    /// </summary>
    private static void Enter(Cpu c, ref Instruction i, int size)
    {
        uint alloc = i.Immediate16;
        int level = i.Immediate8_2nd & 31;
        bool s32 = c.Stack32;
        uint spMask = s32 ? 0xFFFFFFFFu : 0xFFFFu;
        uint ebp = c.Regs[EBP];

        c.Push(ebp, size);
        if (c.Faulted) return;
        uint frameTemp = size == 4 ? c.Regs[ESP] : c.Regs[ESP] & 0xFFFF;
        if (level > 0)
        {
            uint bp = ebp & spMask;
            for (int k = 1; k < level; k++)
            {
                bp = (bp - (uint)size) & spMask;
                uint link = c.ReadMem(SS, bp, size);
                if (c.Faulted) return;
                c.Push(link, size);
                if (c.Faulted) return;
            }
            c.Push(frameTemp, size);
            if (c.Faulted) return;
        }
        uint finalSp = (c.StackPointer - alloc) & spMask;
        if (alloc != 0)
        {
            if (!c.CheckSegmentAccess(ref c.Segs[SS], SS, finalSp, size, write: true)) return;
            if (!c.ProbeWrite(c.Segs[SS].Base + finalSp, size)) return;
        }
        c.Regs[EBP] = size == 4 ? frameTemp : (ebp & 0xFFFF0000u) | (frameTemp & 0xFFFF);
        c.SetStackPointer(finalSp);
    }

    private static void Leave16(Cpu c, ref Instruction i) => Leave(c, 2);
    private static void Leave32(Cpu c, ref Instruction i) => Leave(c, 4);

    /// <summary>LEAVE: (E)SP = (E)BP per the stack size, then pop (E)BP per the operand size; nothing is committed if the read faults.</summary>
    private static void Leave(Cpu c, int size)
    {
        bool s32 = c.Stack32;
        uint sp = s32 ? c.Regs[EBP] : c.Regs[EBP] & 0xFFFF;
        uint v = c.ReadMem(SS, sp, size);
        if (c.Faulted) return;
        c.SetStackPointer(sp + (uint)size);
        c.Regs[EBP] = size == 4 ? v : (c.Regs[EBP] & 0xFFFF0000u) | (v & 0xFFFF);
    }
}
