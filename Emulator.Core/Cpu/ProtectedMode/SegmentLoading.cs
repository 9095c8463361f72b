namespace Emulator.Core.Cpu;

/// <summary>Loading segment registers (SDM Vol. 3 §3.4.3, §5.4-5.6): real mode and protected mode.</summary>
public sealed partial class Cpu
{
    /// <summary>True when running virtual-8086 code (protected mode with EFLAGS.VM): segments load as in real mode.</summary>
    public bool V86Mode => (Cr0 & Cr0PE) != 0 && (_eflags & FlagVM) != 0;

    /// <summary>
    /// Loads a data or stack segment register (not CS) as MOV/POP/LDS and friends do, with the
    /// protected-mode descriptor checks of the MOV pseudocode (SDM Vol. 2 "MOV", Vol. 3 §5.6, §5.7).
    /// Returns false (fault raised) on failure; nothing is changed then.
    /// </summary>
    public bool LoadSegment(int seg, ushort selector)
    {
        if (!ProtectedMode || V86Mode)
        {
            Segs[seg].LoadReal(selector);
            return true;
        }

        uint selErr = (uint)(selector & 0xFFFC);
        if (selErr == 0)
        {
            // A null selector: allowed for DS/ES/FS/GS (any access later #GPs), never for SS.
            if (seg == SS) { RaiseGP(0); return false; }
            Segs[seg] = new SegmentCache { Selector = selector, Usable = false };
            return true;
        }

        if (!ReadDescriptor(selector, Vector.GP, 0, out ulong desc, out uint address)) return false;
        int access = DescriptorAccess(desc);
        int dpl = (access >> 5) & 3;
        int rpl = selector & 3;
        bool isSegment = (access & 0x10) != 0;
        bool isCode = isSegment && (access & 0x08) != 0;

        if (seg == SS)
        {
            // SS: RPL = CPL, writable data, DPL = CPL (SDM §5.7); not present is #SS(selector).
            bool writableData = isSegment && !isCode && (access & 0x02) != 0;
            if (rpl != Cpl || !writableData || dpl != Cpl) { RaiseGP(selErr); return false; }
            if ((access & 0x80) == 0) { RaiseFault(Vector.SS, selErr); return false; }
        }
        else
        {
            // Data registers: data or readable code; unless conforming code, RPL and CPL must be <= DPL.
            bool readable = isSegment && (!isCode || (access & 0x02) != 0);
            if (!readable) { RaiseGP(selErr); return false; }
            bool conforming = isCode && (access & 0x04) != 0;
            if (!conforming && (rpl > dpl || Cpl > dpl)) { RaiseGP(selErr); return false; }
            if ((access & 0x80) == 0) { RaiseFault(Vector.NP, selErr); return false; }
        }

        if (!SetAccessedBit(address, ref desc)) return false;
        Segs[seg].LoadDescriptor(selector, desc);
        return true;
    }

    /// <summary>The access byte (type, S, DPL, P) of a descriptor.</summary>
    internal static int DescriptorAccess(ulong desc) => (int)(desc >> 40) & 0xFF;

    /// <summary>The byte-granular limit of a descriptor (G applied).</summary>
    internal static uint DescriptorLimit(ulong desc)
    {
        uint limit = (uint)(desc & 0xFFFF) | (uint)((desc >> 32) & 0x000F0000);
        if ((desc & (1ul << 55)) != 0) limit = (limit << 12) | 0xFFF;
        return limit;
    }

    /// <summary>The base address of a segment or system-segment descriptor.</summary>
    internal static uint DescriptorBase(ulong desc)
    {
        uint lo = (uint)desc, hi = (uint)(desc >> 32);
        return (lo >> 16) | ((hi & 0xFF) << 16) | (hi & 0xFF000000);
    }

    /// <summary>
    /// Linear address of the descriptor a selector names, or false when the selector's index lies
    /// outside the GDT/LDT limit or names the LDT while LLDT has loaded a null selector (no fault is
    /// raised). The LDTR's reset state (selector 0, base 0, limit 0xFFFF, present: SDM Vol. 3
    /// Table 9-1) is a usable LDT, as on hardware and QEMU, until an LLDT replaces it.
    /// </summary>
    internal bool DescriptorAddress(ushort selector, out uint address)
    {
        uint index = selector & 0xFFF8u;
        uint tableBase, limit;
        if ((selector & 4) != 0)
        {
            if (!Ldtr.Usable) { address = 0; return false; }
            tableBase = Ldtr.Base;
            limit = Ldtr.Limit;
        }
        else
        {
            tableBase = GdtrBase;
            limit = GdtrLimit;
        }
        address = tableBase + index;
        return index + 7 <= limit;
    }

    /// <summary>
    /// Reads the 8-byte descriptor a selector names. A selector outside its table raises
    /// <paramref name="vector"/> with error code (selector | <paramref name="ext"/>); page faults raise #PF.
    /// </summary>
    internal bool ReadDescriptor(ushort selector, byte vector, uint ext, out ulong desc, out uint address)
    {
        desc = 0;
        if (!DescriptorAddress(selector, out address))
        {
            RaiseFault(vector, (uint)(selector & 0xFFFC) | ext);
            return false;
        }
        return ReadDescriptorAt(address, out desc);
    }

    /// <summary>Reads a descriptor at a linear address with supervisor privilege.</summary>
    internal bool ReadDescriptorAt(uint address, out ulong desc)
    {
        uint lo = ReadLinearSystem(address, 4);
        if (Faulted) { desc = 0; return false; }
        uint hi = ReadLinearSystem(address + 4, 4);
        if (Faulted) { desc = 0; return false; }
        desc = lo | ((ulong)hi << 32);
        return true;
    }

    /// <summary>Sets the Accessed bit of a code/data descriptor in memory (SDM §3.4.5.1), as a locked system write.</summary>
    internal bool SetAccessedBit(uint address, ref ulong desc)
    {
        if ((desc & (1ul << 40)) != 0) return true;
        desc |= 1ul << 40;
        WriteLinearSystem(address + 5, 1, (uint)(desc >> 40) & 0xFF);
        return !Faulted;
    }

    /// <summary>
    /// Loads CS from a checked code-segment descriptor, with RPL = <paramref name="newCpl"/>, and makes
    /// <paramref name="newCpl"/> the current privilege level (SDM §5.8: CPL is CS.RPL).
    /// </summary>
    internal void LoadCodeSegment(ushort selector, ulong desc, int newCpl)
    {
        Segs[CS].LoadDescriptor((ushort)((selector & 0xFFFC) | newCpl), desc);
        Cpl = newCpl;
    }

    /// <summary>A null (unusable) data segment register, as an outward return leaves behind (SDM "RET", "IRET").</summary>
    internal void NullSegment(int seg) => Segs[seg] = new SegmentCache { Selector = 0, Usable = false };

    /// <summary>
    /// After a return to an outer privilege level: ES, DS, FS, GS that the new CPL may not use
    /// (data or non-conforming code with DPL &lt; CPL) become null (SDM "RET" / "IRET" pseudocode).
    /// </summary>
    internal void NullInaccessibleDataSegments()
    {
        for (int s = 0; s < 6; s++)
        {
            if (s == CS || s == SS) continue;
            ref SegmentCache sc = ref Segs[s];
            if (!sc.Usable) continue;
            bool conformingCode = sc.IsCode && (sc.Attributes & SegmentCache.AttrExpandDown) != 0;
            if ((sc.IsData || (sc.IsCode && !conformingCode)) && sc.Dpl < Cpl) NullSegment(s);
        }
    }

    /// <summary>
    /// Validates a stack-segment selector for a privilege change through a gate or TSS (SDM "CALL",
    /// §6.12.1): faults are #TS(selector | ext) for a bad selector or descriptor, #SS for not present.
    /// </summary>
    internal bool CheckInnerStackSegment(ushort ssSel, int newCpl, uint ext, out ulong desc)
    {
        desc = 0;
        uint selErr = (uint)(ssSel & 0xFFFC);
        if (selErr == 0) { RaiseFault(Vector.TS, ext); return false; }
        if (!ReadDescriptor(ssSel, Vector.TS, ext, out desc, out uint address)) return false;
        int access = DescriptorAccess(desc);
        bool writableData = (access & 0x1A) == 0x12;
        if ((ssSel & 3) != newCpl || ((access >> 5) & 3) != newCpl || !writableData)
        {
            RaiseFault(Vector.TS, selErr | ext);
            return false;
        }
        if ((access & 0x80) == 0) { RaiseFault(Vector.SS, selErr | ext); return false; }
        return SetAccessedBit(address, ref desc);
    }

    /// <summary>
    /// Validates the SS popped by a return to an outer level (RETF/IRET): #GP(selector) for a bad one,
    /// #GP(0) for null, #SS(selector) when not present.
    /// </summary>
    internal bool CheckOuterStackSegment(ushort ssSel, int newCpl, out ulong desc)
    {
        desc = 0;
        uint selErr = (uint)(ssSel & 0xFFFC);
        if (selErr == 0) { RaiseGP(0); return false; }
        if (!ReadDescriptor(ssSel, Vector.GP, 0, out desc, out uint address)) return false;
        int access = DescriptorAccess(desc);
        bool writableData = (access & 0x1A) == 0x12;
        if ((ssSel & 3) != newCpl || ((access >> 5) & 3) != newCpl || !writableData) { RaiseGP(selErr); return false; }
        if ((access & 0x80) == 0) { RaiseFault(Vector.SS, selErr); return false; }
        return SetAccessedBit(address, ref desc);
    }

    /// <summary>
    /// Checks that a stack segment (given as a cache, possibly not yet loaded) can hold
    /// <paramref name="bytes"/> bytes from <paramref name="lowOffset"/>; raises #SS(<paramref name="errorCode"/>).
    /// </summary>
    internal bool CheckStackRoom(ref SegmentCache ss, uint lowOffset, int bytes, uint errorCode)
    {
        if (CheckSegmentAccess(ref ss, SS, lowOffset, bytes, write: true)) return true;
        // CheckSegmentAccess raised #SS(0); the SDM wants the selector (or EXT) in these cases.
        if (FaultVector == Vector.SS) FaultErrorCode = errorCode;
        return false;
    }

    /// <summary>
    /// Reads the inner-level stack pointer for <paramref name="ring"/> from the current TSS
    /// (32-bit TSS: ESPn at 4+8n, SSn at 8+8n; 16-bit TSS: SPn at 2+4n, SSn at 4+4n; SDM §7.2.1, §7.6).
    /// Beyond the TSS limit: #TS(TSS selector | ext).
    /// </summary>
    internal bool ReadTssStack(int ring, uint ext, out ushort ss, out uint esp)
    {
        ss = 0; esp = 0;
        bool tss32 = (Tr.Attributes & 0x8) != 0;
        uint offset = tss32 ? 4u + 8u * (uint)ring : 2u + 4u * (uint)ring;
        uint last = tss32 ? offset + 5 : offset + 3;
        if (!Tr.Usable || last > Tr.Limit)
        {
            RaiseFault(Vector.TS, (uint)(Tr.Selector & 0xFFFC) | ext);
            return false;
        }
        if (tss32)
        {
            esp = ReadLinearSystem(Tr.Base + offset, 4);
            if (Faulted) return false;
            ss = (ushort)ReadLinearSystem(Tr.Base + offset + 4, 2);
        }
        else
        {
            esp = ReadLinearSystem(Tr.Base + offset, 2);
            if (Faulted) return false;
            ss = (ushort)ReadLinearSystem(Tr.Base + offset + 2, 2);
        }
        return !Faulted;
    }

    // ---- Logging of unsupported mechanisms --------------------------------------------------

    private readonly HashSet<uint> _loggedUnsupported = new();

    /// <summary>
    /// One warning per guest EIP for a mechanism the emulator does not implement (task switches, VM86).
    /// <paramref name="what"/> is a constant; <paramref name="detail"/> is a selector or vector.
    /// </summary>
    internal void LogUnsupportedOnce(string what, uint detail = 0)
    {
        uint linear = Segs[CS].Base + StartEip;
        if (_loggedUnsupported.Count < 1024 && _loggedUnsupported.Add(linear))
            _log.Warning("Unsupported: {What} ({Detail:X}) at {Cs:X4}:{Eip:X8}; raising #GP", what, detail, Segs[CS].Selector, StartEip);
    }
}
