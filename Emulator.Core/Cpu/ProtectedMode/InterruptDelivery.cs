namespace Emulator.Core.Cpu;

/// <summary>
/// Delivery of exceptions and interrupts (SDM Vol. 3 ch. 6): the real-mode IVT, protected-mode
/// interrupt and trap gates with privilege changes, #DF, triple fault.
/// </summary>
public sealed partial class Cpu
{
    /// <summary>Set when a triple fault shut the CPU down.</summary>
    public bool TripleFaulted;

    /// <summary>Delivers the fault recorded in FaultVector/FaultErrorCode (EIP/ESP already rolled back).</summary>
    internal void DeliverFault()
    {
        Faulted = false;
        DeliverEvent(FaultVector, EventKind.Exception, FaultHasErrorCode, FaultErrorCode);
        if (Faulted)
        {
            // Skeleton: any fault during delivery is treated as a triple fault.
            Faulted = false;
            TripleFault("fault during exception delivery");
        }
    }

    internal void DeliverExternalInterrupt(byte vector) => DeliverEvent(vector, EventKind.External, false, 0);

    /// <summary>Delivers an event. On a fault during delivery, Faulted is set and nothing is committed.</summary>
    internal void DeliverEvent(byte vector, EventKind kind, bool hasError, uint errorCode)
    {
        if (!ProtectedMode)
        {
            uint entry = (uint)vector * 4;
            if (entry + 3 > IdtrLimit) { RaiseGP((uint)vector * 8 + 2); return; }
            uint ivt = ReadLinearSystem(IdtrBase + entry, 4);
            if (Faulted) return;
            uint flags = GetEflags();
            ushort cs = Segs[CS].Selector;
            Push(flags & 0xFFFF, 2);
            Push(cs, 2);
            Push(Eip & 0xFFFF, 2);
            if (Faulted) { Regs[ESP] = StartEsp; return; }
            SetFlag(FlagIF | FlagTF | FlagAC, false);
            Segs[CS].LoadReal((ushort)(ivt >> 16));
            Eip = ivt & 0xFFFF;
            Halted = false;
            return;
        }
        RaiseGP(0);
    }

    /// <summary>Stops the machine after a triple fault (shutdown cycle), never a host exception.</summary>
    internal void TripleFault(string why)
    {
        TripleFaulted = true;
        StopReason = CpuStopReason.TripleFault;
        _log.Error("Triple fault at {Cs:X4}:{Eip:X8}: {Why}; the CPU shuts down", Segs[CS].Selector, Eip, why);
    }
}
