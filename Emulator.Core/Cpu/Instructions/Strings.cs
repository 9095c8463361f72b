using System.Runtime.CompilerServices;
using Iced.Intel;

namespace Emulator.Core.Cpu;

/// <summary>
/// String instructions MOVS, CMPS, SCAS, LODS, STOS, INS, OUTS with REP/REPE/REPNE (SDM Vol. 2, Vol. 1 §7.3.9).
///
/// The source is seg:(E)SI (segment overridable, DS by default), the destination ES:(E)DI (never
/// overridable); the address size picks SI/DI/CX or ESI/EDI/ECX, and a 16-bit address size wraps
/// SI/DI within 64 KiB leaving the upper halves alone. Registers are committed after every
/// iteration, so a fault mid-way (the loop restores EIP to the instruction) restarts at the
/// faulting iteration with the right ECX/ESI/EDI.
///
/// A REP instruction runs at most <see cref="MaxStringIterationsPerStep"/> iterations per step, then
/// sets EIP back to itself, so pending interrupts are taken between chunks (the SDM allows
/// interrupts between iterations; EIP then points at the string instruction) and virtual time
/// advances by one tick per chunk.
/// </summary>
public sealed unsafe partial class Cpu
{
    public const int MaxStringIterationsPerStep = 1024;

    static partial void RegisterStrings()
    {
        Bind(Code.Movsb_m8_m8, &Movs); Bind(Code.Movsw_m16_m16, &Movs); Bind(Code.Movsd_m32_m32, &Movs);
        Bind(Code.Cmpsb_m8_m8, &Cmps); Bind(Code.Cmpsw_m16_m16, &Cmps); Bind(Code.Cmpsd_m32_m32, &Cmps);
        Bind(Code.Scasb_AL_m8, &Scas); Bind(Code.Scasw_AX_m16, &Scas); Bind(Code.Scasd_EAX_m32, &Scas);
        Bind(Code.Lodsb_AL_m8, &Lods); Bind(Code.Lodsw_AX_m16, &Lods); Bind(Code.Lodsd_EAX_m32, &Lods);
        Bind(Code.Stosb_m8_AL, &Stos); Bind(Code.Stosw_m16_AX, &Stos); Bind(Code.Stosd_m32_EAX, &Stos);
        Bind(Code.Insb_m8_DX, &Ins); Bind(Code.Insw_m16_DX, &Ins); Bind(Code.Insd_m32_DX, &Ins);
        Bind(Code.Outsb_DX_m8, &Outs); Bind(Code.Outsw_DX_m16, &Outs); Bind(Code.Outsd_DX_m32, &Outs);
    }

    private static void Movs(Cpu c, ref Instruction i) => RunString<MovsOp>(c, ref i);
    private static void Cmps(Cpu c, ref Instruction i) => RunString<CmpsOp>(c, ref i);
    private static void Scas(Cpu c, ref Instruction i) => RunString<ScasOp>(c, ref i);
    private static void Lods(Cpu c, ref Instruction i) => RunString<LodsOp>(c, ref i);
    private static void Stos(Cpu c, ref Instruction i) => RunString<StosOp>(c, ref i);
    private static void Ins(Cpu c, ref Instruction i) => RunString<InsOp>(c, ref i);
    private static void Outs(Cpu c, ref Instruction i) => RunString<OutsOp>(c, ref i);

    /// <summary>Per-instruction operands of one string instruction execution.</summary>
    private struct StringContext
    {
        public int Size;        // element size: 1, 2 or 4
        public int SrcSeg;      // segment of the (E)SI operand after overrides
        public uint AddrMask;   // 0xFFFF (16-bit address size) or 0xFFFFFFFF
        public uint Delta;      // +size or -size (DF), as an unsigned addend
    }

    /// <summary>One iteration of a string instruction; returns false when it faulted (nothing of it committed).</summary>
    private interface IStringOp
    {
        static abstract bool Iteration(Cpu c, ref StringContext s);
        /// <summary>CMPS/SCAS: REPE/REPNE also stop on ZF.</summary>
        static abstract bool Compares { get; }
        /// <summary>INS/OUTS: the I/O permission check precedes everything.</summary>
        static abstract bool UsesPort { get; }
    }

    private static void RunString<T>(Cpu c, ref Instruction i) where T : struct, IStringOp
    {
        StringContext s;
        s.Size = i.MemorySize.GetSize();
        bool a16 = i.Op0Kind is OpKind.MemorySegSI or OpKind.MemoryESDI || i.Op1Kind is OpKind.MemorySegSI or OpKind.MemoryESDI;
        s.AddrMask = a16 ? 0xFFFFu : 0xFFFFFFFFu;
        s.Delta = (c._eflags & FlagDF) != 0 ? (uint)-s.Size : (uint)s.Size;
        s.SrcSeg = MemorySeg(ref i);

        bool repeat = i.HasRepPrefix || i.HasRepnePrefix;
        uint mask = s.AddrMask;
        // A REP with a zero count does nothing at all, not even the I/O permission check (as Bochs models it).
        if (repeat && (c.Regs[ECX] & mask) == 0) return;
        if (T.UsesPort && !c.CheckIoPermission((ushort)c.Regs[EDX], s.Size)) return;

        if (!repeat)
        {
            T.Iteration(c, ref s);
            return;
        }
        // For CMPS/SCAS, F3 is REPE (stop when ZF = 0) and F2 is REPNE (stop when ZF = 1).
        bool stopWhenZf = i.HasRepnePrefix;
        for (int n = 0; ; n++)
        {
            uint count = c.Regs[ECX] & mask;
            if (count == 0) return;
            if (n == MaxStringIterationsPerStep) { c.Eip = c.StartEip; return; }
            if (!T.Iteration(c, ref s)) return;
            c.Regs[ECX] = (c.Regs[ECX] & ~mask) | ((count - 1) & mask);
            if (T.Compares && c.GetZF() == stopWhenZf) return;
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private void AdvanceIndex(int reg, ref StringContext s) =>
        Regs[reg] = (Regs[reg] & ~s.AddrMask) | ((Regs[reg] + s.Delta) & s.AddrMask);

    private struct MovsOp : IStringOp
    {
        public static bool Compares => false;
        public static bool UsesPort => false;
        public static bool Iteration(Cpu c, ref StringContext s)
        {
            uint v = c.ReadMem(s.SrcSeg, c.Regs[ESI] & s.AddrMask, s.Size);
            if (c.Faulted) return false;
            c.WriteMem(ES, c.Regs[EDI] & s.AddrMask, s.Size, v);
            if (c.Faulted) return false;
            c.AdvanceIndex(ESI, ref s);
            c.AdvanceIndex(EDI, ref s);
            return true;
        }
    }

    /// <summary>CMPS: flags of [src] - [ES:(E)DI] (SDM CMPS: SRC1 - SRC2 with SRC1 at (E)SI).</summary>
    private struct CmpsOp : IStringOp
    {
        public static bool Compares => true;
        public static bool UsesPort => false;
        public static bool Iteration(Cpu c, ref StringContext s)
        {
            uint a = c.ReadMem(s.SrcSeg, c.Regs[ESI] & s.AddrMask, s.Size);
            if (c.Faulted) return false;
            uint b = c.ReadMem(ES, c.Regs[EDI] & s.AddrMask, s.Size);
            if (c.Faulted) return false;
            c.SetFlagsSub(s.Size, a, b, a - b);
            c.AdvanceIndex(ESI, ref s);
            c.AdvanceIndex(EDI, ref s);
            return true;
        }
    }

    /// <summary>SCAS: flags of accumulator - [ES:(E)DI].</summary>
    private struct ScasOp : IStringOp
    {
        public static bool Compares => true;
        public static bool UsesPort => false;
        public static bool Iteration(Cpu c, ref StringContext s)
        {
            uint b = c.ReadMem(ES, c.Regs[EDI] & s.AddrMask, s.Size);
            if (c.Faulted) return false;
            uint a = c.Regs[EAX] & SizeMask(s.Size);
            c.SetFlagsSub(s.Size, a, b, a - b);
            c.AdvanceIndex(EDI, ref s);
            return true;
        }
    }

    private struct LodsOp : IStringOp
    {
        public static bool Compares => false;
        public static bool UsesPort => false;
        public static bool Iteration(Cpu c, ref StringContext s)
        {
            uint v = c.ReadMem(s.SrcSeg, c.Regs[ESI] & s.AddrMask, s.Size);
            if (c.Faulted) return false;
            uint m = SizeMask(s.Size);
            c.Regs[EAX] = (c.Regs[EAX] & ~m) | (v & m);
            c.AdvanceIndex(ESI, ref s);
            return true;
        }
    }

    private struct StosOp : IStringOp
    {
        public static bool Compares => false;
        public static bool UsesPort => false;
        public static bool Iteration(Cpu c, ref StringContext s)
        {
            c.WriteMem(ES, c.Regs[EDI] & s.AddrMask, s.Size, c.Regs[EAX]);
            if (c.Faulted) return false;
            c.AdvanceIndex(EDI, ref s);
            return true;
        }
    }

    /// <summary>
    /// INS: the destination is checked (segment and paging) before the port is read, so a faulting
    /// iteration has no device side effect and the restart reads the port only once.
    /// </summary>
    private struct InsOp : IStringOp
    {
        public static bool Compares => false;
        public static bool UsesPort => true;
        public static bool Iteration(Cpu c, ref StringContext s)
        {
            uint di = c.Regs[EDI] & s.AddrMask;
            if (!c.CheckSegmentAccess(ref c.Segs[ES], ES, di, s.Size, write: true)) return false;
            if (!c.ProbeWrite(c.Segs[ES].Base + di, s.Size)) return false;
            uint v = c.Ports.Read((ushort)c.Regs[EDX], s.Size);
            c.LeaveFastLoop = true; // a device may have raised or lowered an interrupt line
            c.WriteMem(ES, di, s.Size, v);
            if (c.Faulted) return false;
            c.AdvanceIndex(EDI, ref s);
            return true;
        }
    }

    private struct OutsOp : IStringOp
    {
        public static bool Compares => false;
        public static bool UsesPort => true;
        public static bool Iteration(Cpu c, ref StringContext s)
        {
            uint v = c.ReadMem(s.SrcSeg, c.Regs[ESI] & s.AddrMask, s.Size);
            if (c.Faulted) return false;
            c.Ports.Write((ushort)c.Regs[EDX], s.Size, v);
            c.LeaveFastLoop = true;
            c.AdvanceIndex(ESI, ref s);
            return true;
        }
    }
}
