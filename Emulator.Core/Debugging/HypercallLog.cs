using Emulator.Core.Hypervisor;
using CpuCore = Emulator.Core.Cpu.Cpu;

namespace Emulator.Core.Debugging;

/// <summary>
/// The most recent hypercalls of a -machine xen run, decoded, in a bounded ring (the oldest are
/// dropped): the web debugger's hypercall log and the gdb stub's `monitor hypercalls`. Entries are
/// added on the machine thread as each call completes and read from the front ends' threads.
/// Listening costs a decode per hypercall, so it is attached only when a debugger is. Calls made
/// while reverse execution re-runs history (<see cref="Machine.Machine.Reexecuting"/>) were logged
/// the first time and are not logged again.
/// </summary>
public sealed class HypercallLog
{
    public const int DefaultCapacity = 4096;

    private readonly object _gate = new();
    private readonly HypercallLogEntry?[] _ring;
    private readonly XenHypervisor _hypervisor;
    private readonly Machine.Machine _machine;
    private long _count;

    /// <param name="listen">
    /// Start recording now; otherwise at <see cref="Listen"/> (the gdb stub: when a debugger
    /// connects, so that a stub nobody uses costs no decode per hypercall).
    /// </param>
    public HypercallLog(XenHypervisor hypervisor, Machine.Machine machine, int capacity = DefaultCapacity, bool listen = true)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(capacity, 1);
        _ring = new HypercallLogEntry?[capacity];
        _hypervisor = hypervisor;
        _machine = machine;
        if (listen) Listen();
    }

    private int _listening;

    /// <summary>Starts recording (once; later calls do nothing). Any thread.</summary>
    public void Listen()
    {
        if (Interlocked.Exchange(ref _listening, 1) == 0) _hypervisor.HypercallCompleted += Record;
    }

    public int Capacity => _ring.Length;

    /// <summary>How many hypercalls were recorded in all (the next entry's sequence number).</summary>
    public long Count { get { lock (_gate) return _count; } }

    /// <summary>Raised on the machine thread after each entry is added.</summary>
    public event Action<HypercallLogEntry>? Added;

    private void Record(HypercallEvent e)
    {
        if (_machine.Reexecuting) return;
        var cpu = _machine.Cpu;
        Span<byte> top = stackalloc byte[4];
        uint? ret = cpu.PeekMemory(cpu.Segs[CpuCore.SS].Base + cpu.Regs[CpuCore.ESP], top) == 4 ? BitConverter.ToUInt32(top) : null;
        var context = new HypercallContext(cpu.Segs[CpuCore.CS].Base + cpu.Eip, cpu.Regs[CpuCore.ESP], ret, cpu.Cr3, cpu.Cpl);
        HypercallLogEntry entry;
        lock (_gate)
        {
            entry = new HypercallLogEntry(_count, e, HypercallTraceDecoder.DecodeArgs(_hypervisor, e), context);
            _ring[_count % _ring.Length] = entry;
            _count++;
        }
        Added?.Invoke(entry);
    }

    /// <summary>The last <paramref name="n"/> entries still held, oldest first.</summary>
    public IReadOnlyList<HypercallLogEntry> Recent(int n)
    {
        lock (_gate)
        {
            long first = Math.Max(Math.Max(0, _count - _ring.Length), _count - Math.Max(0, n));
            return Range(first);
        }
    }

    /// <summary>
    /// The last <paramref name="n"/> entries made at or before <paramref name="tick"/>, oldest first,
    /// and how many held entries are later: after reverse execution the log still holds the calls of
    /// the history ahead of the machine.
    /// </summary>
    public (IReadOnlyList<HypercallLogEntry> Entries, int Later) RecentUpTo(int n, ulong tick)
    {
        lock (_gate)
        {
            var held = Range(Math.Max(0, _count - _ring.Length));
            int later = 0;
            var before = new List<HypercallLogEntry>();
            foreach (var e in held)
                if (e.Call.Tick <= tick) before.Add(e); else later++;
            if (before.Count > n) before.RemoveRange(0, before.Count - n);
            return (before, later);
        }
    }

    /// <summary>The entries held with a sequence number of at least <paramref name="sequence"/>, oldest first.</summary>
    public IReadOnlyList<HypercallLogEntry> Since(long sequence)
    {
        lock (_gate) return Range(Math.Max(Math.Max(0, _count - _ring.Length), sequence));
    }

    /// <summary>The entry with <paramref name="sequence"/>, or null when it was dropped or never existed.</summary>
    public HypercallLogEntry? Find(long sequence)
    {
        lock (_gate)
            return sequence >= 0 && sequence < _count && sequence >= _count - _ring.Length ? _ring[sequence % _ring.Length] : null;
    }

    private List<HypercallLogEntry> Range(long first)
    {
        var list = new List<HypercallLogEntry>((int)Math.Max(0, _count - first));
        for (long s = first; s < _count; s++) list.Add(_ring[s % _ring.Length]!);
        return list;
    }
}
