namespace Emulator.Core.Debugging;

/// <summary>Why the machine stopped for the debugger.</summary>
public enum StopKind
{
    /// <summary>Stopped on request (attach with -S, an interrupt from the debugger).</summary>
    Paused,
    /// <summary>One instruction was stepped.</summary>
    Step,
    /// <summary>An execution breakpoint: the instruction at EIP has not run yet.</summary>
    Breakpoint,
    /// <summary>A write into a watched range: the writing instruction has completed (a trap, as on x86).</summary>
    Watchpoint,
    /// <summary>A hypercall completed (a hypercall breakpoint).</summary>
    Hypercall,
    /// <summary>An IN/OUT (or INS/OUTS) on a watched port completed.</summary>
    Port,
    /// <summary>An exception or interrupt with a watched vector was delivered: the CPU is at its handler's first instruction (the stop's Eip is where it was raised).</summary>
    Vector,
    /// <summary>The run is over: the guest powered off, crashed, or the machine was killed.</summary>
    Exited,
}

/// <summary>One stop: its kind, where (linear EIP) and when (virtual time), and what it was about.</summary>
public sealed record DebugStop(StopKind Kind, uint Eip, ulong Tick, string Detail)
{
    /// <summary>For a watchpoint: what kind of watch it was (gdb: watch, rwatch, awatch).</summary>
    public WatchKind Watch { get; init; }
    /// <summary>For a watchpoint: the watched linear address that was written.</summary>
    public uint? WatchAddress { get; init; }
    /// <summary>A reverse execution stopped because the recorded history begins here (gdb: replaylog:begin).</summary>
    public bool HistoryStart { get; init; }
    /// <summary>For <see cref="StopKind.Exited"/>: the exit status of the run.</summary>
    public int ExitStatus { get; init; }
}

/// <summary>What a memory watch stops on.</summary>
public enum WatchKind
{
    /// <summary>Writes (gdb's watch, Z2).</summary>
    Write,
    /// <summary>Data reads (gdb's rwatch, Z3).</summary>
    Read,
    /// <summary>Reads and writes (gdb's awatch, Z4).</summary>
    Access,
}

/// <summary>The kinds of event the machine can run until (<see cref="DebugEngine.RunUntil"/>).</summary>
public enum RunUntilEvent
{
    /// <summary>The next completed hypercall (-machine xen).</summary>
    Hypercall,
    /// <summary>The next exception (faults, INT n, hypercall traps included) delivered.</summary>
    Exception,
    /// <summary>The next external (hardware) interrupt delivered.</summary>
    Interrupt,
    /// <summary>The next IN/OUT.</summary>
    PortAccess,
}
