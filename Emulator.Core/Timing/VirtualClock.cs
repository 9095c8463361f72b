namespace Emulator.Core.Timing;

/// <summary>
/// Virtual time: the number of instructions the CPU has executed (DESIGN.md §3). Every
/// guest-visible timer (TSC, PIT, RTC, UART pacing) derives from it; the wall clock never does.
/// Devices schedule callbacks at a future tick; callbacks due at the same tick run in the order
/// they were scheduled, so every run is repeatable.
/// </summary>
public sealed class VirtualClock
{
    /// <summary>The documented rate that converts ticks (instructions) to virtual seconds.</summary>
    public const long TicksPerSecond = 100_000_000;

    private readonly List<Entry> _events = new();
    private long _sequence;

    /// <summary>Current virtual time in ticks (instructions executed).</summary>
    public ulong Now;

    /// <summary>Tick of the earliest scheduled event, or ulong.MaxValue; the CPU loop compares against it.</summary>
    public ulong NextEventAt { get; private set; } = ulong.MaxValue;

    /// <summary>Converts a duration in nanoseconds of virtual time to ticks.</summary>
    public static ulong NanosecondsToTicks(ulong ns) => ns / (1_000_000_000 / TicksPerSecond);

    /// <summary>Virtual nanoseconds elapsed since power-on.</summary>
    public ulong Nanoseconds => Now * (1_000_000_000 / TicksPerSecond);

    public sealed class Handle
    {
        internal bool Cancelled;
        public void Cancel() => Cancelled = true;
    }

    private readonly struct Entry
    {
        public readonly ulong At;
        public readonly long Seq;
        public readonly Action Callback;
        public readonly Handle Handle;
        public Entry(ulong at, long seq, Action cb, Handle h) { At = at; Seq = seq; Callback = cb; Handle = h; }
    }

    /// <summary>Runs <paramref name="callback"/> when virtual time reaches <paramref name="at"/> (at least Now).</summary>
    public Handle ScheduleAt(ulong at, Action callback)
    {
        if (at < Now) at = Now;
        var h = new Handle();
        var e = new Entry(at, _sequence++, callback, h);
        // Keep the list sorted by (At, Seq); lists are short (a handful of device timers).
        int i = _events.Count;
        while (i > 0 && (_events[i - 1].At > at)) i--;
        _events.Insert(i, e);
        NextEventAt = _events[0].At;
        return h;
    }

    public Handle ScheduleIn(ulong ticks, Action callback) => ScheduleAt(Now + ticks, callback);

    /// <summary>Runs every event due at or before Now.</summary>
    public void RunDue()
    {
        while (_events.Count > 0 && _events[0].At <= Now)
        {
            var e = _events[0];
            _events.RemoveAt(0);
            NextEventAt = _events.Count > 0 ? _events[0].At : ulong.MaxValue;
            if (!e.Handle.Cancelled) e.Callback();
        }
        NextEventAt = _events.Count > 0 ? _events[0].At : ulong.MaxValue;
    }

    /// <summary>True when a non-cancelled event is scheduled.</summary>
    public bool HasPendingEvents
    {
        get
        {
            foreach (var e in _events) if (!e.Handle.Cancelled) return true;
            return false;
        }
    }

    /// <summary>Moves time forward to the next event (used while the CPU is halted) and runs it.</summary>
    public bool SkipToNextEvent(ulong limit)
    {
        while (_events.Count > 0 && _events[0].Handle.Cancelled) _events.RemoveAt(0);
        NextEventAt = _events.Count > 0 ? _events[0].At : ulong.MaxValue;
        if (_events.Count == 0) return false;
        ulong at = _events[0].At;
        if (at > limit) { Now = limit; return true; }
        if (at > Now) Now = at;
        RunDue();
        return true;
    }
}
