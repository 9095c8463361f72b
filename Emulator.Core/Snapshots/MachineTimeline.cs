namespace Emulator.Core.Snapshots;

/// <summary>
/// The recorded history reverse execution goes back through (DESIGN.md §3, §9): checkpoints of the
/// whole machine taken every <see cref="Interval"/> ticks while it runs forward. RAM is kept as an
/// undo log: each checkpoint holds the pages written in the interval that follows it, as they
/// were at the checkpoint (their content before the first write, captured by
/// <see cref="Memory.PhysicalMemory.StartDirtyTracking"/>, which costs one slow-path write per page
/// per interval). So no checkpoint ever copies all of RAM. Going back to checkpoint k puts back,
/// for every page written since, its pre-image from the earliest interval at or after k, restores
/// the rest of the machine, and re-executes forward: the machine is deterministic, so the
/// re-execution is the same run.
/// When more than <see cref="MaxCheckpoints"/> exist, or their pages take more than
/// <see cref="MaxBytes"/>, the oldest is dropped (the history starts later), so memory stays
/// bounded whatever the guest writes.
/// </summary>
public sealed class MachineTimeline
{
    private const int PageSize = 4096;

    private sealed class Checkpoint
    {
        public required MachineState State;
        /// <summary>Pages written in the interval after this checkpoint, as they were at it (empty for the open interval: those are in memory's dirty set).</summary>
        public (uint Pfn, byte[] Before)[] Undo = Array.Empty<(uint, byte[])>();
    }

    /// <summary>
    /// Ticks between checkpoints. A checkpoint of a -machine xen domain of 128 MiB captures about
    /// 0.5 MB of hypervisor state (1 to 2 ms), so at this spacing (about 0.1 s of guest time) it costs
    /// 1-2% of the run's speed; a reverse step re-executes at most about twice this many instructions,
    /// at full speed but for the last <see cref="Debugging.DebugEngine.ReverseStepWindow"/> ticks.
    /// </summary>
    public const ulong DefaultInterval = 10_000_000;

    /// <summary>What the history may hold (machine states and the undo log's pages): 256 MiB.</summary>
    public const long DefaultMaxBytes = 256L << 20;

    private readonly Machine.Machine _machine;
    private readonly List<Checkpoint> _checkpoints = new();
    private long _bytes;

    public MachineTimeline(Machine.Machine machine, ulong interval = DefaultInterval, int maxCheckpoints = 512,
        long maxBytes = DefaultMaxBytes)
    {
        if (interval == 0) throw new ArgumentOutOfRangeException(nameof(interval));
        if (maxCheckpoints < 2) throw new ArgumentOutOfRangeException(nameof(maxCheckpoints));
        _machine = machine;
        Interval = interval;
        MaxCheckpoints = maxCheckpoints;
        MaxBytes = maxBytes;
    }

    public ulong Interval { get; }
    public int MaxCheckpoints { get; }
    public long MaxBytes { get; }

    /// <summary>Bytes the history holds now: every checkpoint's machine state and the undo log of the closed intervals.</summary>
    public long HeldBytes => _bytes;

    private static long StateBytes(MachineState state)
    {
        long n = 0;
        foreach (var (_, data) in state.Sections) n += data.Length;
        return n;
    }

    /// <summary>Checkpoints held now.</summary>
    public int Count => _checkpoints.Count;

    /// <summary>The tick of the oldest checkpoint: the furthest back execution can go.</summary>
    public ulong Start => _checkpoints.Count > 0 ? _checkpoints[0].State.Tick : ulong.MaxValue;

    /// <summary>When the machine loop should take the next checkpoint.</summary>
    public ulong NextCheckpointAt { get; private set; }

    /// <summary>The latest tick the machine has reached: output produced before it was already seen (see <see cref="Reexecuting"/>).</summary>
    public ulong HighWater { get; private set; }

    /// <summary>True while the machine re-executes what it already ran: consoles and traces stay quiet.</summary>
    public bool Reexecuting => _machine.Clock.Now < HighWater;

    /// <summary>Tick of checkpoint <paramref name="index"/>.</summary>
    public ulong TickOf(int index) => _checkpoints[index].State.Tick;

    /// <summary>The last checkpoint strictly before <paramref name="tick"/>, or -1.</summary>
    public int LastBefore(ulong tick)
    {
        for (int i = _checkpoints.Count - 1; i >= 0; i--)
            if (_checkpoints[i].State.Tick < tick) return i;
        return -1;
    }

    /// <summary>Takes a checkpoint now (the machine must be between instructions).</summary>
    public void Take()
    {
        ulong now = _machine.Clock.Now;
        var memory = _machine.Memory;
        if (_checkpoints.Count == 0)
        {
            memory.StartDirtyTracking();
            _checkpoints.Add(new Checkpoint { State = MachineState.Capture(_machine) });
            _bytes = StateBytes(_checkpoints[0].State);
        }
        else if (_checkpoints[^1].State.Tick != now)
        {
            var closed = _checkpoints[^1];
            closed.Undo = memory.TakeDirtyPages();
            _bytes += (long)closed.Undo.Length * PageSize;
            _checkpoints.Add(new Checkpoint { State = MachineState.Capture(_machine, closed.State) });
            _bytes += StateBytes(_checkpoints[^1].State);
            while (_checkpoints.Count > 2 && (_checkpoints.Count > MaxCheckpoints || _bytes > MaxBytes)) DropOldest();
        }
        HighWater = Math.Max(HighWater, now);
        NextCheckpointAt = now + Interval;
    }

    /// <summary>
    /// Puts the whole machine back to checkpoint <paramref name="index"/> and forgets the later
    /// ones (re-execution takes them again at the same ticks).
    /// </summary>
    public void RestoreTo(int index)
    {
        if ((uint)index >= (uint)_checkpoints.Count) throw new ArgumentOutOfRangeException(nameof(index));
        var memory = _machine.Memory;
        HighWater = Math.Max(HighWater, _machine.Clock.Now);
        byte[] ram = memory.Ram;
        // Newest first, so that a page written in several intervals ends with its oldest
        // pre-image: its content at checkpoint `index`.
        foreach (var (pfn, before) in memory.DirtyPagesSoFar) before.CopyTo(ram, (int)(pfn * PageSize));
        for (int i = _checkpoints.Count - 1; i >= index; i--)
            foreach (var (pfn, before) in _checkpoints[i].Undo) before.CopyTo(ram, (int)(pfn * PageSize));
        for (int i = index; i < _checkpoints.Count; i++) _bytes -= (long)_checkpoints[i].Undo.Length * PageSize;
        for (int i = index + 1; i < _checkpoints.Count; i++) _bytes -= StateBytes(_checkpoints[i].State);
        _checkpoints.RemoveRange(index + 1, _checkpoints.Count - index - 1);
        _checkpoints[index].Undo = Array.Empty<(uint, byte[])>(); // its interval is open again
        memory.TakeDirtyPages();                                   // RAM equals the checkpoint: a fresh dirty set
        _checkpoints[index].State.Restore(_machine);
        NextCheckpointAt = _checkpoints[index].State.Tick + Interval;
    }

    /// <summary>Forgets the history and stops tracking (a debugger changed the machine; tracking starts again at the next checkpoint).</summary>
    public void Clear()
    {
        _checkpoints.Clear();
        _bytes = 0;
        _machine.Memory.StopDirtyTracking();
    }

    /// <summary>The history now starts at checkpoint 1: checkpoint 0 and the pre-images only it needed go.</summary>
    private void DropOldest()
    {
        _bytes -= (long)_checkpoints[0].Undo.Length * PageSize + StateBytes(_checkpoints[0].State);
        _checkpoints.RemoveAt(0);
    }
}
