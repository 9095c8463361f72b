using System.Collections.Concurrent;
using Emulator.Core.Snapshots;
using Emulator.Core.Timing;
using Serilog;

namespace Emulator.Core.Input;

/// <summary>
/// The one door through which host input (key events) enters a machine, deterministically
/// (DESIGN.md §3). Live events are posted by any host thread (<see cref="Post"/>) and only queued;
/// the machine thread takes them at a poll on virtual time, every <see cref="PollTicks"/>, so the
/// instruction count an event enters at is chosen by the machine, never by host timing. The log
/// keeps every event with that count (<see cref="Events"/>): each is reported once to
/// <see cref="Injected"/> (the trace) and to the record file; replayed events
/// (<see cref="Replay"/>) enter at exactly their counts, so a replayed run is the recorded one.
/// <para>
/// The log is part of the machine's snapshots (section "input"): restoring an earlier state
/// (reverse execution) makes the events logged after it enter again at their counts while the
/// machine re-executes, and live input waits until that history has been caught up. While the CPU
/// idles (halted) at a live poll and the machine is not re-executing, the poll waits up to one
/// wall-clock millisecond for input instead of racing virtual time ahead: that changes how fast
/// the run goes, never what it computes.
/// </para>
/// </summary>
public sealed class HostInputLog : ISnapshotState
{
    /// <summary>How often live input is polled: every millisecond of virtual time.</summary>
    public const ulong PollTicks = VirtualClock.TicksPerSecond / 1000;

    /// <summary>At most this many events wait for the machine; more are dropped (a host flooding input cannot exhaust memory).</summary>
    public const int MaxQueued = 4096;

    private readonly VirtualClock _clock;
    private readonly Func<bool> _cpuIdle;
    private readonly Action<KeyInput> _deliver;
    private readonly ILogger _log;
    private readonly ConcurrentQueue<KeyInput> _queue = new();
    private readonly SemaphoreSlim _arrived = new(0);
    private readonly Action _pollCallback, _injectCallback;

    /// <summary>Every event: those that entered (before <see cref="_next"/>), then those scheduled to enter.</summary>
    private readonly List<RecordedInput> _events = new();
    private int _next;
    /// <summary>Events before this index were reported (trace, record file) already.</summary>
    private int _reported;
    private VirtualClock.Handle? _pending, _poll;
    private bool _live;
    /// <summary>The latest virtual time a poll ran at: below it the machine is re-executing.</summary>
    private ulong _latestPoll;
    private TextWriter? _record;
    private int _dropped;

    /// <param name="clock">The machine's virtual clock.</param>
    /// <param name="cpuIdle">True while the CPU is halted (read on the machine thread at a poll).</param>
    /// <param name="deliver">Hands one event to the device (the keyboard); called on the machine thread.</param>
    public HostInputLog(VirtualClock clock, Func<bool> cpuIdle, Action<KeyInput> deliver, ILogger? log = null)
    {
        _log = log ?? Serilog.Log.Logger;
        _clock = clock;
        _cpuIdle = cpuIdle;
        _deliver = deliver;
        _pollCallback = Poll;
        _injectCallback = InjectScheduled;
    }

    /// <summary>Called on the machine thread for every event the first time it enters the machine (e.g. to trace it).</summary>
    public Action<RecordedInput>? Injected { get; set; }

    /// <summary>Every event of the log, in order: entered and still to enter.</summary>
    public IReadOnlyList<RecordedInput> Events => _events;

    /// <summary>Events that entered the machine so far.</summary>
    public int InjectedCount => _next;

    /// <summary>Live polling is on (a window or a terminal supplies keys).</summary>
    public bool IsLive => _live;

    /// <summary>Events posted while <see cref="MaxQueued"/> were already waiting, and dropped.</summary>
    public int Dropped => _dropped;

    /// <summary>Also writes every event, when it first enters the machine, to <paramref name="writer"/> (the caller disposes it).</summary>
    public void RecordTo(TextWriter writer)
    {
        _record = writer;
        _record.WriteLine(InputLogFile.Header);
        _record.Flush();
    }

    /// <summary>Starts polling for live input (a window's or a terminal's keys). Call on the machine thread.</summary>
    public void StartLive()
    {
        if (_live) return;
        _live = true;
        _poll = _clock.ScheduleIn(PollTicks, _pollCallback);
    }

    /// <summary>Appends recorded events, which enter at their ticks (ticks already past enter at once). Call on the machine thread.</summary>
    public void Replay(IEnumerable<RecordedInput> events)
    {
        foreach (var e in events)
        {
            if (_events.Count > 0 && e.Tick < _events[^1].Tick)
                throw new ArgumentException($"input events must come in tick order: {e.Tick} after {_events[^1].Tick}");
            _events.Add(e);
        }
        SchedulePending();
    }

    /// <summary>Queues a live event (any thread). It enters the machine at the next poll.</summary>
    public void Post(KeyInput key)
    {
        if (_queue.Count >= MaxQueued)
        {
            Interlocked.Increment(ref _dropped);
            return;
        }
        _queue.Enqueue(key);
        if (_arrived.CurrentCount == 0) _arrived.Release();
    }

    private void SchedulePending()
    {
        if (_pending == null && _next < _events.Count) _pending = _clock.ScheduleAt(_events[_next].Tick, _injectCallback);
    }

    private void InjectScheduled()
    {
        _pending = null;
        Deliver(_next++);
        SchedulePending();
    }

    private void Poll()
    {
        bool reexecuting = _clock.Now < _latestPoll;
        if (!reexecuting) _latestPoll = _clock.Now;
        // Live keys wait while logged events are still to enter (the history after a restore).
        if (_next == _events.Count)
        {
            if (_queue.IsEmpty && !reexecuting && _cpuIdle())
                _arrived.Wait(1); // nothing to do until input comes: let the host rest
            while (_queue.TryDequeue(out var key))
            {
                _events.Add(new RecordedInput(_clock.Now, key));
                Deliver(_next++);
            }
        }
        _poll = _clock.ScheduleIn(PollTicks, _pollCallback);
    }

    private void Deliver(int index)
    {
        var e = _events[index];
        if (index >= _reported)
        {
            _reported = index + 1;
            if (_record != null)
            {
                try
                {
                    _record.WriteLine(InputLogFile.FormatLine(e));
                    _record.Flush();
                }
                catch (Exception ex) when (ex is IOException or ObjectDisposedException)
                {
                    // The run goes on; only the record is incomplete.
                    _log.Error("Recording the input log failed at instruction {Tick}: {Message}; recording stopped", e.Tick, ex.Message);
                    _record = null;
                }
            }
            Injected?.Invoke(e);
        }
        _deliver(e.Key);
    }

    public string SnapshotSection => "input";

    public void SaveState(SnapshotWriter writer)
    {
        writer.WriteInt32(_next);
        writer.WriteUInt64(_next > 0 ? _events[_next - 1].Tick : 0);
        writer.WriteEvent(_pending);
        writer.WriteEvent(_poll);
    }

    /// <summary>
    /// Rewinds (or forwards) the log to the snapshot: the events this log holds after the
    /// snapshot's point enter again at their ticks. A snapshot of another session (a file) keeps
    /// the events of this log from the snapshot's time on.
    /// </summary>
    public void LoadState(SnapshotReader reader)
    {
        int next = reader.ReadInt32(0, int.MaxValue);
        ulong lastTick = reader.ReadUInt64();
        var pending = reader.ReadEvent();
        var poll = reader.ReadEvent();

        bool sameHistory = next <= _events.Count && (next == 0 || _events[next - 1].Tick == lastTick);
        if (sameHistory) _next = next;
        else
        {
            _next = _events.FindIndex(e => e.Tick >= _clock.Now);
            if (_next < 0) _next = _events.Count;
        }
        _reported = Math.Max(_reported, _next);

        // The clock dropped every event when it was loaded: re-create ours.
        _pending = null;
        if (_next < _events.Count)
            _pending = sameHistory && pending is { } p && p.At == _events[_next].Tick
                ? _clock.Restore(p, _injectCallback)
                : _clock.ScheduleAt(_events[_next].Tick, _injectCallback);
        _poll = null;
        if (_live) _poll = poll != null ? _clock.Restore(poll, _pollCallback) : _clock.ScheduleIn(PollTicks, _pollCallback);
    }
}
