namespace Emulator.Core.Snapshots;

/// <summary>
/// The recorded history reverse execution goes back through (DESIGN.md §3, §9): checkpoints of the
/// whole machine taken every <see cref="Interval"/> ticks while it runs forward. The first holds a
/// full copy of RAM; each later one holds only the pages written since the one before (found by
/// <see cref="Memory.PhysicalMemory.StartDirtyTracking"/>, which costs one extra branch on the first
/// write to each page per interval). Going back means restoring a checkpoint and re-executing
/// forward: the machine is deterministic, so the re-execution is the same run.
/// When more than <see cref="MaxCheckpoints"/> exist, or their pages take more than
/// <see cref="MaxPageBytes"/>, the oldest two are merged (the history starts later), so memory
/// stays bounded whatever the guest writes.
/// </summary>
public sealed class MachineTimeline
{
    private const int PageSize = 4096;

    private sealed class Checkpoint
    {
        public required MachineState State;
        /// <summary>Pages written between the previous checkpoint and this one, as they were at this one.</summary>
        public required Dictionary<uint, byte[]> Pages;
    }

    private readonly Machine.Machine _machine;
    private readonly List<Checkpoint> _checkpoints = new();
    private byte[] _baseRam = Array.Empty<byte>();   // RAM at checkpoint 0

    /// <summary>
    /// Ticks between checkpoints: a reverse step re-executes at most about twice this many
    /// instructions (under the debugger, a few tens of milliseconds), and the checkpoints cost about
    /// 1% of the run's speed at this spacing (measured with <c>emu bench --debugger</c>).
    /// </summary>
    public const ulong DefaultInterval = 1_000_000;

    /// <summary>The pages held by checkpoints after the first (the base copy of RAM is apart): 256 MiB.</summary>
    public const long DefaultMaxPageBytes = 256L << 20;

    private long _pageBytes;

    public MachineTimeline(Machine.Machine machine, ulong interval = DefaultInterval, int maxCheckpoints = 512,
        long maxPageBytes = DefaultMaxPageBytes)
    {
        MaxPageBytes = maxPageBytes;
        if (interval == 0) throw new ArgumentOutOfRangeException(nameof(interval));
        if (maxCheckpoints < 2) throw new ArgumentOutOfRangeException(nameof(maxCheckpoints));
        _machine = machine;
        Interval = interval;
        MaxCheckpoints = maxCheckpoints;
    }

    public ulong Interval { get; }
    public int MaxCheckpoints { get; }
    public long MaxPageBytes { get; }

    /// <summary>Bytes of RAM pages the checkpoints after the first hold now.</summary>
    public long PageBytes => _pageBytes;

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
            _baseRam = (byte[])memory.Ram.Clone();
            memory.StartDirtyTracking();
            _checkpoints.Add(new Checkpoint { State = MachineState.Capture(_machine), Pages = new() });
        }
        else if (_checkpoints[^1].State.Tick != now)
        {
            var pages = new Dictionary<uint, byte[]>();
            foreach (uint pfn in memory.TakeDirtyPages())
                pages[pfn] = memory.Ram.AsSpan((int)(pfn * PageSize), PageSize).ToArray();
            _checkpoints.Add(new Checkpoint { State = MachineState.Capture(_machine), Pages = pages });
            _pageBytes += (long)pages.Count * PageSize;
            while (_checkpoints.Count > 2 && (_checkpoints.Count > MaxCheckpoints || _pageBytes > MaxPageBytes)) MergeOldest();
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
        // Every page that changed since checkpoint `index`: written since the last checkpoint, or
        // recorded by a later checkpoint.
        var changed = new HashSet<uint>(memory.DirtyPagesSoFar);
        for (int i = index + 1; i < _checkpoints.Count; i++) changed.UnionWith(_checkpoints[i].Pages.Keys);
        byte[] ram = memory.Ram;
        foreach (uint pfn in changed) PageAt(index, pfn).CopyTo(ram.AsSpan((int)(pfn * PageSize), PageSize));
        for (int i = index + 1; i < _checkpoints.Count; i++) _pageBytes -= (long)_checkpoints[i].Pages.Count * PageSize;
        _checkpoints.RemoveRange(index + 1, _checkpoints.Count - index - 1);
        memory.TakeDirtyPages(); // RAM now equals the checkpoint: start a fresh dirty set
        _checkpoints[index].State.Restore(_machine);
        NextCheckpointAt = _checkpoints[index].State.Tick + Interval;
    }

    /// <summary>Forgets the history and stops tracking (the debugger detached).</summary>
    public void Clear()
    {
        _checkpoints.Clear();
        _pageBytes = 0;
        _baseRam = Array.Empty<byte>();
        _machine.Memory.StopDirtyTracking();
    }

    /// <summary>The content of a page as it was at checkpoint <paramref name="index"/>.</summary>
    private ReadOnlySpan<byte> PageAt(int index, uint pfn)
    {
        for (int i = index; i >= 1; i--)
            if (_checkpoints[i].Pages.TryGetValue(pfn, out var data)) return data;
        return _baseRam.AsSpan((int)(pfn * PageSize), PageSize);
    }

    /// <summary>Folds checkpoint 1 into checkpoint 0: the base RAM moves forward to it.</summary>
    private void MergeOldest()
    {
        foreach (var (pfn, data) in _checkpoints[1].Pages) data.CopyTo(_baseRam.AsSpan((int)(pfn * PageSize), PageSize));
        _pageBytes -= (long)_checkpoints[1].Pages.Count * PageSize;
        _checkpoints[1].Pages = new();
        _checkpoints.RemoveAt(0);
    }
}
