using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
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
        /// <summary>REP MOVS/STOS/CMPS/SCAS: whole runs within a page are copied, filled or compared at once (<see cref="RepBulk"/>).</summary>
        static virtual int BulkKind => BulkNone;
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
        int start = 0;
        if (T.BulkKind != BulkNone)
        {
            start = c.RepBulk(ref s, T.BulkKind, stopWhenZf, out bool ended);
            if (c.Faulted || ended) return;
        }
        for (int n = start; ; n++)
        {
            uint count = c.Regs[ECX] & mask;
            if (count == 0) return;
            if (n == MaxStringIterationsPerStep) { c.Eip = c.StartEip; return; }
            if (!T.Iteration(c, ref s)) return;
            c.Regs[ECX] = (c.Regs[ECX] & ~mask) | ((count - 1) & mask);
            if (T.Compares && c.GetZF() == stopWhenZf) return;
        }
    }

    private const int BulkNone = 0, BulkMovs = 1, BulkStos = 2, BulkCmps = 3, BulkScas = 4;

    /// <summary>
    /// The fast path of REP MOVS/STOS, REPE CMPS and REPE/REPNE SCAS (DESIGN.md §4): forward (DF = 0), 32-bit addresses, flat
    /// expand-up segments whose limits hold the whole run, no alignment checking, plain RAM. Whole
    /// runs within a page (both pages for MOVS) are copied or filled at once, in the order the
    /// iterations would go, committing ECX/ESI/EDI after each run: a translation fault at a page's
    /// first element leaves the registers exactly as the element-by-element loop would. Anything
    /// else — an element that straddles pages, a watched or non-RAM page, an overlapping MOVS whose
    /// destination is ahead of its source (byte-by-byte replication), a segment check that could
    /// fail — stops here and the remaining iterations of the chunk go element by element.
    /// Comparisons find the element that ends the repetition within the run, advance the registers
    /// through it, and set the flags of that element's comparison (or of the run's last one):
    /// <paramref name="ended"/> says the repetition is over.
    /// Returns the iterations done (at most <see cref="MaxStringIterationsPerStep"/>).
    /// </summary>
    private int RepBulk(ref StringContext s, int kind, bool stopWhenZf, out bool ended)
    {
        ended = false;
        if (s.Delta != (uint)s.Size || s.AddrMask != 0xFFFFFFFFu || AlignmentCheckActive(UserAccess)) return 0;
        if (kind == BulkCmps && stopWhenZf) return 0; // REPNE CMPS is rare: element by element
        uint count = Regs[ECX];
        if (count > MaxStringIterationsPerStep) count = MaxStringIterationsPerStep;
        ulong bytes = (ulong)count * (uint)s.Size;
        bool writes = kind is BulkMovs or BulkStos;
        if (!RangeAccessible(ref Segs[ES], Regs[EDI], bytes, write: writes)) return 0;
        if (kind is BulkMovs or BulkCmps && !RangeAccessible(ref Segs[s.SrcSeg], Regs[ESI], bytes, write: false)) return 0;
        if (kind is BulkCmps or BulkScas) return RepCompareBulk(ref s, kind, stopWhenZf, count, out ended);

        int done = 0;
        int size = s.Size;
        while (done < count)
        {
            var run = NextRun(ref s, withSource: kind == BulkMovs, writes: true, (uint)(count - done),
                out var src, out uint srcPhys, out var dst, out uint dstPhys, out uint n);
            if (run == RunFaulted) return done;
            if (run == RunNone) break;
            int length = (int)n * size;

            if (kind == BulkMovs)
            {
                // Forward iteration equals a memmove unless the destination starts inside the source, ahead of it.
                if (dstPhys > srcPhys && dstPhys < srcPhys + (uint)length) break;
                src.CopyTo(dst);
                Regs[ESI] += (uint)length;
            }
            else if (size == 1) dst.Fill((byte)Regs[EAX]);
            else if (size == 2) MemoryMarshal.Cast<byte, ushort>(dst).Fill((ushort)Regs[EAX]);
            else MemoryMarshal.Cast<byte, uint>(dst).Fill(Regs[EAX]);
            Regs[EDI] += (uint)length;
            Regs[ECX] -= n;
            done += (int)n;
        }
        return done;
    }

    private const int RunReady = 0, RunNone = 1, RunFaulted = 2;

    /// <summary>
    /// The next run of at most <paramref name="left"/> elements at ES:(E)DI (and, with a source, at
    /// seg:(E)SI) that stays within one page on each side, translated in the element loop's order
    /// (source first). RunFaulted: a translation raised its fault; RunNone: no whole run here (an
    /// element straddles a page, or a page is not plain unwatched RAM) — go element by element.
    /// </summary>
    private int NextRun(ref StringContext s, bool withSource, bool writes, uint left,
        out Span<byte> src, out uint srcPhys, out Span<byte> dst, out uint dstPhys, out uint n)
    {
        src = dst = default;
        srcPhys = dstPhys = 0;
        uint size = (uint)s.Size;
        uint dstLinear = Segs[ES].Base + Regs[EDI];
        uint room = (0x1000 - (dstLinear & 0xFFF)) / size;
        uint srcLinear = 0;
        if (withSource)
        {
            srcLinear = Segs[s.SrcSeg].Base + Regs[ESI];
            room = Math.Min(room, (0x1000 - (srcLinear & 0xFFF)) / size);
        }
        n = Math.Min(room, left);
        if (n == 0) return RunNone;
        int length = (int)(n * size);
        if (withSource)
        {
            if (!TranslateData(srcLinear, AccessKind.Read, out srcPhys)) return RunFaulted;
            if (!Memory.TryGetRamSpan(srcPhys, length, forWrite: false, out src)) return RunNone;
        }
        if (!TranslateData(dstLinear, writes ? AccessKind.Write : AccessKind.Read, out dstPhys)) return RunFaulted;
        return Memory.TryGetRamSpan(dstPhys, length, forWrite: writes, out dst) ? RunReady : RunNone;
    }

    /// <summary>REPE CMPS, REPE/REPNE SCAS by runs (see <see cref="RepBulk"/>).</summary>
    private int RepCompareBulk(ref StringContext s, int kind, bool stopWhenZf, uint count, out bool ended)
    {
        ended = false;
        int done = 0;
        int size = s.Size;
        uint mask = SizeMask(size);
        while (done < count)
        {
            var run = NextRun(ref s, withSource: kind == BulkCmps, writes: false, count - (uint)done,
                out var src, out _, out var dst, out _, out uint n);
            if (run == RunFaulted) return done;
            if (run == RunNone) break;
            int length = (int)n * size;

            // The index of the element that ends the repetition, or -1 when every one continues it.
            int stop;
            uint acc = Regs[EAX] & mask;
            if (kind == BulkCmps)
            {
                int common = src.CommonPrefixLength(dst);
                stop = common == length ? -1 : common / size;
            }
            else if (size == 1) stop = stopWhenZf ? dst.IndexOf((byte)acc) : dst.IndexOfAnyExcept((byte)acc);
            else if (size == 2)
            {
                var d16 = MemoryMarshal.Cast<byte, ushort>(dst);
                stop = stopWhenZf ? d16.IndexOf((ushort)acc) : d16.IndexOfAnyExcept((ushort)acc);
            }
            else
            {
                var d32 = MemoryMarshal.Cast<byte, uint>(dst);
                stop = stopWhenZf ? d32.IndexOf(acc) : d32.IndexOfAnyExcept(acc);
            }
            int last = stop >= 0 ? stop : (int)n - 1;
            uint elements = (uint)last + 1;
            uint b = ElementAt(dst, last, size);
            uint a = kind == BulkCmps ? ElementAt(src, last, size) : acc;
            SetFlagsSub(size, a, b, a - b);
            if (kind == BulkCmps) Regs[ESI] += elements * (uint)size;
            Regs[EDI] += elements * (uint)size;
            Regs[ECX] -= elements;
            done += (int)elements;
            if (stop >= 0) { ended = true; return done; }
        }
        return done;
    }

    private static uint ElementAt(Span<byte> span, int index, int size) => size switch
    {
        1 => span[index],
        2 => System.Buffers.Binary.BinaryPrimitives.ReadUInt16LittleEndian(span[(index * 2)..]),
        _ => System.Buffers.Binary.BinaryPrimitives.ReadUInt32LittleEndian(span[(index * 4)..]),
    };

    /// <summary>Whether [offset, offset+bytes) passes the segment checks, without raising anything (an expand-up data segment).</summary>
    private bool RangeAccessible(ref SegmentCache seg, uint offset, ulong bytes, bool write) =>
        seg.Usable && (seg.Attributes & (SegmentCache.AttrCode | SegmentCache.AttrExpandDown)) == 0 &&
        (!write || (seg.Attributes & SegmentCache.AttrWritable) != 0 || !ProtectedMode) &&
        bytes > 0 && offset + bytes - 1 <= seg.Limit;

    /// <summary>A data access's translation at the current privilege (#PF raised on failure, as the element loop would).</summary>
    private bool TranslateData(uint linear, AccessKind kind, out uint physical)
    {
        if ((Cr0 & Cr0PG) == 0) { physical = linear & Memory.A20Mask; return true; }
        return Mmu.Translate(linear, kind, UserAccess, out physical);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private void AdvanceIndex(int reg, ref StringContext s) =>
        Regs[reg] = (Regs[reg] & ~s.AddrMask) | ((Regs[reg] + s.Delta) & s.AddrMask);

    private struct MovsOp : IStringOp
    {
        public static int BulkKind => BulkMovs;
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
        public static int BulkKind => BulkCmps;
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
        public static int BulkKind => BulkScas;
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
        public static int BulkKind => BulkStos;
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
