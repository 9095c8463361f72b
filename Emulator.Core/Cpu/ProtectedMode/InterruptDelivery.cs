using System.Runtime.CompilerServices;
namespace Emulator.Core.Cpu;

/// <summary>
/// Delivery of exceptions and interrupts (SDM Vol. 3 ch. 6): the real-mode IVT, protected-mode
/// interrupt and trap gates with privilege changes, #DF, triple fault.
/// Delivery commits nothing when it faults midway: descriptors are read and checked and the stack
/// frame is written below the (new) stack pointer first; registers change only at the end.
/// </summary>
public sealed partial class Cpu
{
    /// <summary>Set when a triple fault shut the CPU down.</summary>
    public bool TripleFaulted;

    /// <summary>The hypervisor that sees every event first (xen profile); null on bare hardware (pc).</summary>
    public ICpuHypervisor? Hypervisor;

    /// <summary>
    /// Delivers the fault recorded in FaultVector/FaultErrorCode (EIP/ESP already rolled back).
    /// A fault raised while delivering it is handled per SDM Vol. 3 Table 6-5: contributory after
    /// contributory, or contributory/#PF after #PF, becomes #DF(0); otherwise the second exception is
    /// delivered instead (serially). A fault while delivering #DF shuts the CPU down.
    /// </summary>
    internal void DeliverFault()
    {
        byte vector = FaultVector;
        bool hasError = FaultHasErrorCode;
        uint errorCode = FaultErrorCode;
        Faulted = false;
        // Benign exceptions cannot chain forever in practice; the bound keeps the host safe anyway.
        for (int attempt = 0; attempt < 16; attempt++)
        {
            DeliverEvent(vector, EventKind.Exception, hasError, errorCode);
            if (!Faulted) return;
            Faulted = false;
            byte second = FaultVector;
            if (vector == Vector.DF)
            {
                TripleFault($"{Vector.Name(second)} while delivering #DF");
                return;
            }
            if (CausesDoubleFault(vector, second))
            {
                vector = Vector.DF;
                hasError = true;
                errorCode = 0;
            }
            else
            {
                vector = second;
                hasError = FaultHasErrorCode;
                errorCode = FaultErrorCode;
            }
        }
        TripleFault("exception delivery keeps faulting");
    }

    /// <summary>Contributory exceptions of SDM Vol. 3 Table 6-4: #DE, #TS, #NP, #SS, #GP.</summary>
    private static bool IsContributory(byte v) => v is Vector.DE or Vector.TS or Vector.NP or Vector.SS or Vector.GP;

    /// <summary>SDM Vol. 3 Table 6-5: which (first, second) pairs generate a double fault.</summary>
    internal static bool CausesDoubleFault(byte first, byte second)
    {
        if (IsContributory(first)) return IsContributory(second);
        if (first == Vector.PF) return IsContributory(second) || second == Vector.PF;
        return false;
    }

    [MethodImpl(MethodImplOptions.NoInlining)] // rare: keep it out of the instruction loop
    internal void DeliverExternalInterrupt(byte vector) => DeliverEvent(vector, EventKind.External, false, 0);

    /// <summary>Delivers an event. On a fault during delivery, Faulted is set and nothing is committed.</summary>
    internal void DeliverEvent(byte vector, EventKind kind, bool hasError, uint errorCode)
    {
        LeaveFastLoop = true; // IF may change, the hypervisor may act
        Debugger?.OnEventDelivered(vector, kind);
        if (Hypervisor != null && Hypervisor.Intercept(vector, kind, hasError, errorCode)) return;
        if (Tracer != null) TraceDelivery(vector, kind, hasError, errorCode, "guest");
        if (!ProtectedMode) DeliverReal(vector);
        else DeliverProtected(vector, kind, hasError, errorCode);
    }

    /// <summary>Real mode (SDM Vol. 3 §20.1.4): FLAGS, CS, IP pushed as words, vector through the IVT.</summary>
    private void DeliverReal(byte vector)
    {
        uint entry = (uint)vector * 4;
        if (entry + 3 > IdtrLimit) { RaiseGP((uint)vector * 8 + 2); return; }
        uint ivt = ReadLinearSystem(IdtrBase + entry, 4);
        if (Faulted) return;
        uint flags = GetEflags();
        ushort cs = Segs[CS].Selector;
        uint esp = Regs[ESP];
        Push(flags & 0xFFFF, 2);
        Push(cs, 2);
        Push(Eip & 0xFFFF, 2);
        if (Faulted) { Regs[ESP] = esp; return; }
        SetFlag(FlagIF | FlagTF | FlagAC, false);
        Segs[CS].LoadReal((ushort)(ivt >> 16));
        Eip = ivt & 0xFFFF;
        Halted = false;
    }

    /// <summary>
    /// Protected mode through an IDT interrupt or trap gate (SDM Vol. 3 §6.10-6.12 and the INT n
    /// pseudocode). The EXT bit (bit 0 of error codes raised here) is set for events external to the
    /// program: hardware interrupts, exceptions, INT1 — not INT n/INT3/INTO.
    /// </summary>
    private void DeliverProtected(byte vector, EventKind kind, bool hasError, uint errorCode)
    {
        bool software = kind is EventKind.SoftwareInt or EventKind.SoftwareException;
        uint ext = software ? 0u : 1u;
        uint idtError = (uint)vector * 8 + 2;

        if ((uint)vector * 8 + 7 > IdtrLimit) { RaiseGP(idtError | ext); return; }
        if (!ReadDescriptorAt(IdtrBase + (uint)vector * 8, out ulong gate)) return;
        int access = DescriptorAccess(gate);
        int type = access & 0x1F; // the S bit must be 0: only system gates are valid
        if (type != 0x05 && type != 0x06 && type != 0x07 && type != 0x0E && type != 0x0F)
        {
            RaiseGP(idtError | ext);
            return;
        }
        // INT n, INT3 and INTO may only use gates whose DPL is at least CPL (§6.12.1.1); EXT = 0.
        if (software && ((access >> 5) & 3) < Cpl) { RaiseGP(idtError); return; }
        if ((access & 0x80) == 0) { RaiseFault(Vector.NP, idtError | ext); return; }
        if (type == 0x05)
        {
            LogUnsupportedOnce("task gate in the IDT for this vector (hardware task switches are not implemented)", vector);
            RaiseGP(idtError | ext);
            return;
        }
        if (V86Mode)
        {
            LogUnsupportedOnce("interrupt from virtual-8086 mode");
            RaiseGP(ext);
            return;
        }

        bool gate32 = (type & 0x08) != 0;
        bool trapGate = (type & 0x01) != 0;
        ushort csSel = (ushort)(gate >> 16);
        uint target = (uint)(gate & 0xFFFF) | (uint)((gate >> 32) & 0xFFFF0000);
        if (!gate32) target &= 0xFFFF;

        // The handler's code segment.
        if ((csSel & 0xFFFC) == 0) { RaiseGP(ext); return; }
        if (!ReadDescriptor(csSel, Vector.GP, ext, out ulong csDesc, out uint csAddress)) return;
        int csAccess = DescriptorAccess(csDesc);
        int csDpl = (csAccess >> 5) & 3;
        uint csError = (uint)(csSel & 0xFFFC) | ext;
        if ((csAccess & 0x18) != 0x18 || csDpl > Cpl) { RaiseGP(csError); return; }
        if ((csAccess & 0x80) == 0) { RaiseFault(Vector.NP, csError); return; }
        bool conforming = (csAccess & 0x04) != 0;
        int newCpl = conforming ? Cpl : csDpl;
        bool inner = newCpl < Cpl;

        // The stack the frame goes on: the TSS stack of the handler's ring, or the current one.
        SegmentCache ss;
        uint espBase;
        uint ssError = ext;
        if (inner)
        {
            if (!ReadTssStack(newCpl, ext, out ushort newSsSel, out uint newEsp)) return;
            if (!CheckInnerStackSegment(newSsSel, newCpl, ext, out ulong ssDesc)) return;
            ss = default;
            ss.LoadDescriptor(newSsSel, ssDesc);
            espBase = newEsp;
            ssError = (uint)(newSsSel & 0xFFFC) | ext;
        }
        else
        {
            ss = Segs[SS];
            espBase = Regs[ESP];
        }

        int size = gate32 ? 4 : 2;
        int items = (inner ? 5 : 3) + (hasError ? 1 : 0);
        uint spMask = ss.Big ? 0xFFFFFFFFu : 0xFFFFu;
        uint sp = (espBase - (uint)(items * size)) & spMask;
        if (!CheckStackRoom(ref ss, sp, items * size, ssError)) return;
        if (target > DescriptorLimit(csDesc)) { RaiseGP(ext); return; }
        if (!SetAccessedBit(csAddress, ref csDesc)) return;

        // Write the frame from its lowest address up: [error code] EIP CS EFLAGS [ESP SS].
        bool user = newCpl == 3;
        uint offset = sp;
        if (hasError && !WriteFrameItem(ref ss, ref offset, spMask, size, errorCode, user)) return;
        if (!WriteFrameItem(ref ss, ref offset, spMask, size, Eip, user)) return;
        if (!WriteFrameItem(ref ss, ref offset, spMask, size, Segs[CS].Selector, user)) return;
        if (!WriteFrameItem(ref ss, ref offset, spMask, size, GetEflags(), user)) return;
        if (inner)
        {
            if (!WriteFrameItem(ref ss, ref offset, spMask, size, Regs[ESP], user)) return;
            if (!WriteFrameItem(ref ss, ref offset, spMask, size, Segs[SS].Selector, user)) return;
        }

        // Commit.
        if (inner) Segs[SS] = ss;
        Regs[ESP] = ss.Big ? sp : (espBase & 0xFFFF0000u) | sp;
        LoadCodeSegment(csSel, csDesc, newCpl);
        Eip = target;
        uint clear = FlagTF | FlagNT | FlagRF | FlagVM;
        if (!trapGate) clear |= FlagIF;
        SetFlag(clear, false);
        Halted = false;
    }

    /// <summary>Writes one stack-frame slot at ss:offset (range already checked) and advances the offset.</summary>
    private bool WriteFrameItem(ref SegmentCache ss, ref uint offset, uint spMask, int size, uint value, bool user)
    {
        WriteLinear(ss.Base + (offset & spMask), size, size == 2 ? value & 0xFFFF : value, user);
        offset += (uint)size;
        return !Faulted;
    }

    /// <summary>Stops the machine after a triple fault (shutdown cycle), never a host exception.</summary>
    internal void TripleFault(string why)
    {
        Faulted = false;
        TripleFaulted = true;
        StopReason = CpuStopReason.TripleFault;
        _log.Error("Triple fault at {Cs:X4}:{Eip:X8}: {Why}; the CPU shuts down", Segs[CS].Selector, Eip, why);
    }
}
