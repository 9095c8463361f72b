using Emulator.Core.Timing;

namespace Emulator.Core.Tracing;

/// <summary>
/// Where trace events go: the recording level, the virtual clock that stamps them, and the sinks
/// (a JSON Lines file, a test's list, later the debugger). Components hold a <c>Tracer?</c> that is
/// null when nothing records, so tracing costs one null check where it is off. The booleans are
/// the cheap questions hooks ask before building an event.
/// </summary>
public sealed class Tracer
{
    private readonly VirtualClock _clock;
    private readonly List<Action<TraceEvent>> _sinks = new();

    public Tracer(VirtualClock clock, TraceLevel level)
    {
        _clock = clock;
        Level = level;
        Detailed = level >= TraceLevel.Hypercall;
        Io = level >= TraceLevel.Full;
    }

    public TraceLevel Level { get; }
    /// <summary>Exceptions, interrupts, hypercalls, upcalls, CR3 loads and page-table updates are recorded.</summary>
    public bool Detailed { get; }
    /// <summary>Port accesses are recorded.</summary>
    public bool Io { get; }

    /// <summary>The current virtual time, the stamp of an event happening now.</summary>
    public ulong Now => _clock.Now;

    public void AddSink(Action<TraceEvent> sink) => _sinks.Add(sink);

    /// <summary>When it answers true, events are dropped: the machine is re-executing history it already recorded (reverse execution).</summary>
    public Func<bool>? Muted { get; set; }

    /// <summary>Records an event if the level includes it.</summary>
    public void Emit(TraceEvent e)
    {
        if (e.Level > Level || (Muted != null && Muted())) return;
        foreach (var sink in _sinks) sink(e);
    }
}
