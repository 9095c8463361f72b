using Emulator.Core.Snapshots;

namespace Emulator.Core.Timing;

/// <summary>
/// Virtual time: the number of instructions the CPU has executed (DESIGN.md §3). Every
/// guest-visible timer (TSC, PIT, RTC, UART pacing) derives from it; the wall clock never does.
/// Devices schedule callbacks at a future tick; callbacks due at the same tick run in the order
/// they were scheduled, so every run is repeatable.
/// </summary>
public sealed class VirtualClock : ISnapshotState
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

    /// <summary>A scheduled event: cancel it, or (snapshots) read when it is due.</summary>
    public sealed class Handle
    {
        internal bool Cancelled;
        internal bool Fired;
        public void Cancel() => Cancelled = true;
        /// <summary>The tick it is due at and its place among events due at the same tick.</summary>
        public ulong At { get; internal set; }
        public long Sequence { get; internal set; }
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
        return Insert(at, _sequence++, callback);
    }

    private Handle Insert(ulong at, long seq, Action callback)
    {
        var h = new Handle { At = at, Sequence = seq };
        var e = new Entry(at, seq, callback, h);
        // Keep the list sorted by (At, Seq); lists are short (a handful of device timers).
        int i = _events.Count;
        while (i > 0 && (_events[i - 1].At > at || (_events[i - 1].At == at && _events[i - 1].Seq > seq))) i--;
        _events.Insert(i, e);
        NextEventAt = _events[0].At;
        return h;
    }

    /// <summary>
    /// Re-creates an event a snapshot recorded (<see cref="SnapshotReader.ReadEvent"/>) with its
    /// original (time, sequence) key, so that events due at the same tick keep their order.
    /// </summary>
    public Handle? Restore((ulong At, long Sequence)? saved, Action callback) =>
        saved is { } e ? Insert(e.At, e.Sequence, callback) : null;

    public string SnapshotSection => "clock";

    public void SaveState(SnapshotWriter writer)
    {
        writer.WriteUInt64(Now);
        writer.WriteInt64(_sequence);
    }

    /// <summary>Sets the time and drops every event: the owners that follow in the snapshot re-create theirs.</summary>
    public void LoadState(SnapshotReader reader)
    {
        Now = reader.ReadUInt64();
        _sequence = reader.ReadInt64();
        foreach (var e in _events) e.Handle.Cancelled = true;
        _events.Clear();
        NextEventAt = ulong.MaxValue;
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
            e.Handle.Fired = true;
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
