using System.Collections.Concurrent;
using Emulator.Core.Timing;

namespace Emulator.Core.Input;

/// <summary>
/// The one door through which host input (key events) enters a machine, deterministically
/// (DESIGN.md §3). Live events are posted by any host thread (<see cref="Post"/>) and only queued;
/// the machine thread takes them at a poll on virtual time, every <see cref="PollTicks"/>, so the
/// instruction count an event enters at is chosen by the machine, never by host timing. Every event
/// that enters is stamped with that count, reported to <see cref="Injected"/> (the trace) and written
/// to the record file, if any; replaying such a file schedules each event at its recorded count, so
/// the replayed run is the recorded one. While the CPU idles (halted) at a poll of a live log, the
/// machine thread waits up to one wall-clock millisecond for input instead of racing virtual time
/// ahead: that changes how fast the run goes, never what it computes.
/// </summary>
public sealed class HostInputLog : IDisposable
{
    /// <summary>How often live input is polled: every millisecond of virtual time.</summary>
    public const ulong PollTicks = VirtualClock.TicksPerSecond / 1000;

    /// <summary>At most this many events wait for the machine; more are dropped (a host flooding input cannot exhaust memory).</summary>
    public const int MaxQueued = 4096;

    private readonly VirtualClock _clock;
    private readonly Func<bool> _cpuIdle;
    private readonly Action<KeyInput> _deliver;
    private readonly ConcurrentQueue<KeyInput> _queue = new();
    private readonly SemaphoreSlim _arrived = new(0);
    private readonly Action _pollCallback;
    private TextWriter? _record;
    private bool _live;

    /// <param name="clock">The machine's virtual clock.</param>
    /// <param name="cpuIdle">True while the CPU is halted (read on the machine thread at a poll).</param>
    /// <param name="deliver">Hands one event to the device (the keyboard); called on the machine thread.</param>
    public HostInputLog(VirtualClock clock, Func<bool> cpuIdle, Action<KeyInput> deliver)
    {
        _clock = clock;
        _cpuIdle = cpuIdle;
        _deliver = deliver;
        _pollCallback = Poll;
    }

    /// <summary>Called on the machine thread for every event as it enters the machine (e.g. to trace it).</summary>
    public Action<RecordedInput>? Injected { get; set; }

    /// <summary>Events that entered the machine so far.</summary>
    public int InjectedCount { get; private set; }

    /// <summary>Events posted while <see cref="MaxQueued"/> were already waiting, and dropped.</summary>
    public int Dropped => _dropped;
    private int _dropped;

    /// <summary>Writes every event that enters the machine to <paramref name="writer"/> (which this log then owns).</summary>
    public void RecordTo(TextWriter writer)
    {
        _record = writer;
        _record.WriteLine(InputLogFile.Header);
        _record.Flush();
    }

    /// <summary>Starts polling for live input (a window's or a terminal's keys). Call before the run, on the machine thread.</summary>
    public void StartLive()
    {
        if (_live) return;
        _live = true;
        _clock.ScheduleIn(PollTicks, _pollCallback);
    }

    /// <summary>Schedules recorded events at their ticks (ticks already past enter at once). Call on the machine thread.</summary>
    public void Replay(IEnumerable<RecordedInput> events)
    {
        foreach (var e in events)
        {
            var key = e.Key;
            _clock.ScheduleAt(e.Tick, () => Inject(key));
        }
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

    private void Poll()
    {
        if (_queue.IsEmpty && _cpuIdle())
        {
            // Nothing to do until input comes: let the host rest instead of skipping virtual time at full speed.
            _arrived.Wait(1);
        }
        while (_queue.TryDequeue(out var key)) Inject(key);
        _clock.ScheduleIn(PollTicks, _pollCallback);
    }

    private void Inject(KeyInput key)
    {
        var e = new RecordedInput(_clock.Now, key);
        InjectedCount++;
        if (_record != null)
        {
            _record.WriteLine(InputLogFile.FormatLine(e));
            _record.Flush();
        }
        Injected?.Invoke(e);
        _deliver(key);
    }

    public void Dispose()
    {
        _record?.Dispose();
        _record = null;
        _arrived.Dispose();
    }
}
