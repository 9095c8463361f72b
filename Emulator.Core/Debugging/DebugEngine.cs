using Emulator.Core.Cpu;
using Emulator.Core.Hypervisor;
using CpuCore = Emulator.Core.Cpu.Cpu;

namespace Emulator.Core.Debugging;

/// <summary>
/// The debugger engine (DESIGN.md §9): pauses, resumes and single-steps the machine, and stops it at
/// execution breakpoints (linear addresses), on writes into watched ranges, and after hypercalls.
///
/// Threads: the machine runs on its own thread; debugger front ends call the control methods from
/// theirs. A stop happens on the machine thread at an instruction boundary: it publishes the
/// <see cref="DebugStop"/> and blocks until <see cref="Continue"/>, <see cref="Step"/>,
/// <see cref="Detach"/> or <see cref="Kill"/>; while it is blocked, front ends read and write
/// registers and memory (<see cref="Cpu"/>, <see cref="ReadMemory"/>, <see cref="WriteMemory"/>).
///
/// Nothing armed costs nothing: the CPU checks one flag (<see cref="CpuCore.DebugArmed"/>) per step,
/// and only when something is armed (a breakpoint, a step, a pause request) does every instruction
/// go through the step path and this engine. Watchpoints and hypercall breakpoints arm it only when
/// they fire.
/// </summary>
public sealed partial class DebugEngine
{
    private readonly object _gate = new();
    private readonly Dictionary<uint, long> _breakpoints = new();   // linear address -> hits
    private readonly Dictionary<uint, BreakpointCondition> _conditions = new();
    private readonly Dictionary<ushort, long> _ports = new();       // port -> hits
    private readonly Dictionary<byte, long> _vectors = new();       // vector -> hits
    private uint? _stepOverReturn;      // a step over a CALL: the temporary stop at the return address
    private RunUntilEvent? _runUntil;   // a one-shot "run until the next event of this kind"
    private readonly Dictionary<uint, long> _physicalBreakpoints = new();   // physical address -> hits
    private readonly Dictionary<uint, BreakpointCondition> _physicalConditions = new();

    /// <summary>A watch over a linear or physical range, as per-page pieces of physical memory.</summary>
    private sealed record MemoryWatch(uint Address, uint Length, bool Physical, WatchKind Kind, (uint Physical, uint Offset, uint Length)[] Pieces)
    {
        public bool OnWrites => Kind != WatchKind.Read;
        public bool OnReads => Kind != WatchKind.Write;
    }
    private readonly List<MemoryWatch> _watches = new();

    /// <summary>The longest range one watch may cover (each of its pages is watched).</summary>
    public const uint MaxWatchLength = 1 << 20;
    private DebugStop? _stop;          // set while the machine is stopped
    private DebugStop? _pending;       // a stop decided by an event (watchpoint, hypercall), taken at the next boundary
    private bool _resumed;
    private bool _stepping;
    private bool _pauseRequested;
    private bool _killed;
    private uint? _skipBreakpointAt;    // resuming from a breakpoint runs that instruction first
    private long _stopCount;
    private bool _frontEndWriting;      // the debugger's own writes do not trigger its watchpoints

    public DebugEngine(CpuCore cpu, XenHypervisor? hypervisor = null)
    {
        Cpu = cpu;
        cpu.Debugger = this;
        cpu.Memory.DebugWatchWrite += OnWatchedWrite;
        cpu.Memory.DebugWatchRead += OnWatchedRead;
        if (hypervisor != null) hypervisor.HypercallCompleted += OnHypercall;
    }

    public CpuCore Cpu { get; }

    /// <summary>Stop after every hypercall (any), or only those named here (e.g. "mmu_update"); null: none.</summary>
    public Func<HypercallEvent, bool>? HypercallBreak { get; set; }

    /// <summary>Raised on the machine thread each time the machine stops (after the stop is published).</summary>
    public event Action<DebugStop>? Stopped;

    /// <summary>The current stop, or null while the machine runs.</summary>
    public DebugStop? CurrentStop { get { lock (_gate) return _stop; } }

    /// <summary>How many times the machine has stopped (tests and front ends wait for it to grow).</summary>
    public long StopCount { get { lock (_gate) return _stopCount; } }

    // ---- Control (any thread) -----------------------------------------------------------------

    /// <summary>Stops the machine at the next instruction boundary (the CPU may be running on another thread).</summary>
    public void RequestPause()
    {
        lock (_gate)
        {
            _pauseRequested = true;
            Rearm();
        }
    }

    /// <summary>Resumes a stopped machine until the next stop.</summary>
    public void Continue() => Resume(step: false);

    /// <summary>Resumes a stopped machine for one instruction.</summary>
    public void Step() => Resume(step: true);

    /// <summary>Drops every breakpoint and watchpoint and lets the machine run on without the debugger.</summary>
    public void Detach()
    {
        lock (_gate)
        {
            _breakpoints.Clear();
            _conditions.Clear();
            _ports.Clear();
            _vectors.Clear();
            _stepOverReturn = null;
            CancelReverse(); // a reverse execution under way would end in a stop nobody resumes
            _runUntil = null;
            UpdateHooks();
            foreach (var w in _watches) Unwatch(w);
            _watches.Clear();
            _physicalBreakpoints.Clear();
            _physicalConditions.Clear();
            HypercallBreak = null;
            _pauseRequested = false;
            _stepping = false;
            _pending = null;
            Rearm(); // nothing armed: the CPU leaves the engine alone again
            ResumeLocked();
        }
    }

    /// <summary>How the front end ends the whole run (the machine's Interrupt); set by whoever runs the machine.</summary>
    public Action? EndRun { get; set; }

    /// <summary>Ends the run (the machine stops with "interrupted", as for Ctrl-C).</summary>
    public void Kill()
    {
        EndRun?.Invoke();
        lock (_gate)
        {
            _killed = true;
            Cpu.StopReason = CpuStopReason.Requested;
            Rearm();
            ResumeLocked();
        }
    }

    /// <summary>Blocks until the machine is stopped (or the run ended); returns the stop, or null on timeout (<see cref="Timeout.InfiniteTimeSpan"/>: none).</summary>
    public DebugStop? WaitForStop(TimeSpan timeout) => WaitForStopAfter(-1, timeout);

    /// <summary>
    /// Blocks until a stop later than the <paramref name="stopsSeen"/>-th (see <see cref="StopCount"/>)
    /// or the end of the run; returns it, or null on timeout. Reading the count before resuming and
    /// waiting with it never returns the stop the machine is just leaving.
    /// </summary>
    public DebugStop? WaitForStopAfter(long stopsSeen, TimeSpan timeout)
    {
        bool forever = timeout == Timeout.InfiniteTimeSpan;
        var deadline = forever ? DateTime.MaxValue : DateTime.UtcNow + timeout;
        lock (_gate)
        {
            while (_stop == null || (_stopCount <= stopsSeen && _stop.Kind != StopKind.Exited))
            {
                if (forever) { Monitor.Wait(_gate); continue; }
                var left = deadline - DateTime.UtcNow;
                if (left <= TimeSpan.Zero) return null;
                Monitor.Wait(_gate, left);
            }
            return _stop;
        }
    }

    /// <summary>The run is over: a front end waiting for a stop gets <see cref="StopKind.Exited"/>.</summary>
    public void NotifyExited(int status, string message)
    {
        lock (_gate)
        {
            _stop = new DebugStop(StopKind.Exited, LinearEip(), Cpu.Clock.Now, message) { ExitStatus = status };
            _stopCount++;
            Monitor.PulseAll(_gate);
        }
    }

    /// <summary>An execution breakpoint at a linear address; with a condition, it stops only when that holds (hits count those stops).</summary>
    public bool AddBreakpoint(uint linear, BreakpointCondition? condition = null) => Add(_breakpoints, _conditions, linear, condition);

    public bool RemoveBreakpoint(uint linear) => Remove(_breakpoints, _conditions, linear);

    /// <summary>
    /// An execution breakpoint at a physical address: it stops whatever linear address maps there
    /// (code reached through several mappings, or before paging is on), checked only while armed.
    /// </summary>
    public bool AddPhysicalBreakpoint(uint physical, BreakpointCondition? condition = null) =>
        Add(_physicalBreakpoints, _physicalConditions, physical, condition);

    public bool RemovePhysicalBreakpoint(uint physical) => Remove(_physicalBreakpoints, _physicalConditions, physical);

    private bool Add(Dictionary<uint, long> breakpoints, Dictionary<uint, BreakpointCondition> conditions, uint address, BreakpointCondition? condition)
    {
        lock (_gate)
        {
            if (condition != null) conditions[address] = condition; else conditions.Remove(address);
            bool added = breakpoints.TryAdd(address, 0);
            Rearm();
            return added;
        }
    }

    private bool Remove(Dictionary<uint, long> breakpoints, Dictionary<uint, BreakpointCondition> conditions, uint address)
    {
        lock (_gate)
        {
            bool removed = breakpoints.Remove(address);
            conditions.Remove(address);
            Rearm();
            return removed;
        }
    }

    /// <summary>Stops after each IN/OUT on <paramref name="port"/>.</summary>
    public void AddPortBreakpoint(ushort port) { lock (_gate) { _ports.TryAdd(port, 0); UpdateHooks(); } }
    public bool RemovePortBreakpoint(ushort port) { lock (_gate) { bool removed = _ports.Remove(port); UpdateHooks(); return removed; } }

    /// <summary>Stops when an exception or interrupt with <paramref name="vector"/> is delivered.</summary>
    public void AddVectorBreakpoint(byte vector) { lock (_gate) { _vectors.TryAdd(vector, 0); UpdateHooks(); } }
    public bool RemoveVectorBreakpoint(byte vector) { lock (_gate) { bool removed = _vectors.Remove(vector); UpdateHooks(); return removed; } }

    // Port accesses and event deliveries reach the engine only while something listens for them:
    // an idle engine costs no lock per I/O or per interrupt.
    private volatile bool _listenToEvents;

    private void UpdateHooks()
    {
        Cpu.Ports.DebugAccess = _ports.Count > 0 || _runUntil == RunUntilEvent.PortAccess ? OnPortAccess : null;
        _listenToEvents = _vectors.Count > 0 || _runUntil is RunUntilEvent.Exception or RunUntilEvent.Interrupt;
    }

    /// <summary>Every breakpoint with its hit count: "exec 0x...", "port 0x...", "vector N".</summary>
    public IReadOnlyList<(string What, long Hits)> Breakpoints()
    {
        lock (_gate)
        {
            var all = new List<(string, long)>();
            foreach (var (a, h) in _breakpoints)
                all.Add((_conditions.TryGetValue(a, out var c) ? $"exec 0x{a:x8} if {c.Text}" : $"exec 0x{a:x8}", h));
            foreach (var (a, h) in _physicalBreakpoints)
                all.Add((_physicalConditions.TryGetValue(a, out var c) ? $"exec physical 0x{a:x8} if {c.Text}" : $"exec physical 0x{a:x8}", h));
            foreach (var (p, h) in _ports) all.Add(($"port 0x{p:x4}", h));
            foreach (var (v, h) in _vectors) all.Add(($"vector {v}", h));
            foreach (var w in _watches)
                all.Add(($"{WatchWord(w.Kind)} {(w.Physical ? "physical " : "")}0x{w.Address:x8} ({w.Length} bytes)", 0));
            return all;
        }
    }

    /// <summary>Resumes a stopped machine until the next event of a kind (and any other stop that comes first).</summary>
    public void RunUntil(RunUntilEvent what)
    {
        lock (_gate)
        {
            if (_stop == null || _stop.Kind == StopKind.Exited) return;
            _runUntil = what;
            UpdateHooks();
            Rearm();
            ResumeLocked();
        }
    }

    /// <summary>
    /// Resumes a stopped machine over one instruction: a CALL runs until it returns to the next
    /// instruction (or something else stops the machine first); anything else is one step.
    /// </summary>
    public void StepOver()
    {
        lock (_gate)
        {
            if (_stop == null || _stop.Kind == StopKind.Exited) return;
            var insn = Cpu.PeekInstruction();
            if (insn.FlowControl is Iced.Intel.FlowControl.Call or Iced.Intel.FlowControl.IndirectCall)
            {
                _stepOverReturn = Cpu.Segs[CpuCore.CS].Base + (Cpu.Code32 ? insn.NextIP32 : (ushort)insn.NextIP32);
                _stepping = false;
            }
            else _stepping = true;
            Rearm();
            ResumeLocked();
        }
    }

    /// <summary>
    /// Watches writes to [linear, linear+length) (up to <see cref="MaxWatchLength"/> bytes, across
    /// pages) where the current page tables map it. False when a page of it is unmapped or the range
    /// is empty, too long or wraps.
    /// </summary>
    public bool AddWriteWatch(uint linear, uint length) => AddWatch(linear, length, physical: false, WatchKind.Write);

    public bool RemoveWriteWatch(uint linear, uint length) => RemoveWatch(linear, length, physical: false, WatchKind.Write);

    /// <summary>Watches writes to physical [address, address+length), whatever maps it (the hypervisor's and DMA-like writes included).</summary>
    public bool AddPhysicalWriteWatch(uint physical, uint length) => AddWatch(physical, length, physical: true, WatchKind.Write);

    public bool RemovePhysicalWriteWatch(uint physical, uint length) => RemoveWatch(physical, length, physical: true, WatchKind.Write);

    /// <summary>
    /// Watches reads (<see cref="WatchKind.Read"/>) or reads and writes (<see cref="WatchKind.Access"/>)
    /// of a linear (or physical) RAM range: gdb's rwatch and awatch. Instruction fetches and page
    /// walks are not data reads and never hit (as with x86 debug registers); the hypervisor's reads
    /// on the guest's behalf do. False for ROM, MMIO and unmapped pages.
    /// </summary>
    public bool AddReadWatch(uint address, uint length, WatchKind kind = WatchKind.Read, bool physical = false) =>
        kind != WatchKind.Write && AddWatch(address, length, physical, kind);

    public bool RemoveReadWatch(uint address, uint length, WatchKind kind = WatchKind.Read, bool physical = false) =>
        kind != WatchKind.Write && RemoveWatch(address, length, physical, kind);

    /// <summary>Any watch: writes, reads or both, of a linear or physical range (what the methods above each do).</summary>
    public bool AddMemoryWatch(uint address, uint length, WatchKind kind, bool physical) => AddWatch(address, length, physical, kind);

    public bool RemoveMemoryWatch(uint address, uint length, WatchKind kind, bool physical) => RemoveWatch(address, length, physical, kind);

    private static string WatchWord(WatchKind kind) => kind switch { WatchKind.Write => "write", WatchKind.Read => "read", _ => "access" };

    private bool AddWatch(uint address, uint length, bool physical, WatchKind kind)
    {
        if (length == 0 || length > MaxWatchLength || (ulong)address + length > 1ul << 32) return false;
        lock (_gate)
        {
            var pieces = new List<(uint, uint, uint)>();
            for (uint offset = 0; offset < length;)
            {
                uint at = address + offset;
                uint piece = Math.Min(length - offset, 0x1000 - (at & 0xFFF));
                uint frame = at;
                if (!physical && !Cpu.Mmu.Probe(at, out frame, AccessKind.Write)) return false;
                pieces.Add((frame, offset, piece));
                offset += piece;
            }
            var watch = new MemoryWatch(address, length, physical, kind, pieces.ToArray());
            if (watch.OnReads)
            {
                for (int i = 0; i < watch.Pieces.Length; i++)
                    if (!Cpu.Memory.WatchDebugReads(watch.Pieces[i].Physical, watch.Pieces[i].Length))
                    {
                        for (int j = 0; j < i; j++) Cpu.Memory.UnwatchDebugReads(watch.Pieces[j].Physical, watch.Pieces[j].Length);
                        return false; // not RAM
                    }
            }
            if (watch.OnWrites)
                foreach (var (frame, _, piece) in watch.Pieces) Cpu.Memory.WatchDebugRange(frame, piece);
            _watches.Add(watch);
            return true;
        }
    }

    private bool RemoveWatch(uint address, uint length, bool physical, WatchKind kind)
    {
        lock (_gate)
        {
            int k = _watches.FindIndex(w => w.Address == address && w.Length == length && w.Physical == physical && w.Kind == kind);
            if (k < 0) return false;
            Unwatch(_watches[k]);
            _watches.RemoveAt(k);
            return true;
        }
    }

    private void Unwatch(MemoryWatch w)
    {
        foreach (var (frame, _, piece) in w.Pieces)
        {
            if (w.OnWrites) Cpu.Memory.UnwatchDebugRange(frame, piece);
            if (w.OnReads) Cpu.Memory.UnwatchDebugReads(frame, piece);
        }
    }

    // ---- Memory for front ends (the machine stopped) -------------------------------------------

    /// <summary>Reads linear memory through the current page tables without faults; returns the bytes read before the first unmapped one.</summary>
    public int ReadMemory(uint linear, Span<byte> into) => Cpu.PeekMemory(linear, into);

    /// <summary>Writes linear memory through the current page tables (decoded code there is dropped); returns the bytes written.</summary>
    public int WriteMemory(uint linear, ReadOnlySpan<byte> data)
    {
        int n = 0;
        _historyEdited = true;
        _frontEndWriting = true;
        try
        {
            for (; n < data.Length; n++)
            {
                if (!Cpu.Mmu.Probe(linear + (uint)n, out uint phys)) break;
                Cpu.Memory.Write8(phys, data[n]);
            }
        }
        finally { _frontEndWriting = false; }
        return n;
    }

    /// <summary>CS.base + EIP: the linear address of the next instruction.</summary>
    public uint LinearEip() => Cpu.Segs[CpuCore.CS].Base + Cpu.Eip;

    // ---- The machine thread ------------------------------------------------------------------

    /// <summary>
    /// Called by the CPU before it executes an instruction while armed; blocks while stopped. False
    /// when the run must end — or, with a rewind pending (<see cref="TakeRewind"/>), when the machine
    /// loop must restore a checkpoint first.
    /// </summary>
    internal bool BeforeInstruction()
    {
        DebugStop? stop;
        lock (_gate)
        {
            if (_killed) return false;
            if (_replay != ReplayMode.None)
            {
                var outcome = ReplayBoundary(out stop);
                if (outcome != null) return outcome.Value;
            }
            else stop = DecideStop();
            if (stop == null) return true;
        }
        while (true)
        {
            lock (_gate) StopLocked(stop);
            Stopped?.Invoke(stop);
            lock (_gate)
            {
                while (!_resumed) Monitor.Wait(_gate);
                _resumed = false;
                _stop = null;
                if (_killed) return false;
                if (_reverseRequest is { } reverse)
                {
                    _reverseRequest = null;
                    stop = BeginReverse(reverse);
                    if (stop == null) return false; // the machine loop rewinds
                    continue;                        // nothing to go back to: stop again here
                }
                if (stop.Kind == StopKind.Breakpoint) _skipBreakpointAt = stop.Eip;
            }
            return true;
        }
    }

    /// <summary>Whether the machine stops at this boundary (and why); counts breakpoint hits.</summary>
    private DebugStop? DecideStop()
    {
        DebugStop? stop = null;
        uint eip = LinearEip();
        if (_pending != null) { stop = _pending; _pending = null; }
        else if (_pauseRequested) { _pauseRequested = false; stop = new DebugStop(StopKind.Paused, eip, Cpu.Clock.Now, "paused"); }
        else if (_stepOverReturn == eip)
        {
            _stepOverReturn = null;
            stop = new DebugStop(StopKind.Step, eip, Cpu.Clock.Now, "stepped over the call");
        }
        else if (BreakpointHolds(eip))
        {
            long hits = _breakpoints[eip] + 1;
            _breakpoints[eip] = hits;
            stop = new DebugStop(StopKind.Breakpoint, eip, Cpu.Clock.Now, $"breakpoint at 0x{eip:x8} (hit {hits})");
        }
        else if (PhysicalBreakpointHolds(eip, out uint physical))
        {
            long hits = _physicalBreakpoints[physical] + 1;
            _physicalBreakpoints[physical] = hits;
            stop = new DebugStop(StopKind.Breakpoint, eip, Cpu.Clock.Now, $"breakpoint at physical 0x{physical:x8} (linear 0x{eip:x8}, hit {hits})");
        }
        _skipBreakpointAt = null;
        return stop;
    }

    /// <summary>A physical breakpoint where the instruction at <paramref name="eip"/> is (translated without side effects).</summary>
    private bool PhysicalBreakpointHolds(uint eip, out uint physical)
    {
        physical = 0;
        return _physicalBreakpoints.Count > 0 && _skipBreakpointAt != eip &&
               Cpu.Mmu.Probe(eip, out physical, AccessKind.Execute) && _physicalBreakpoints.ContainsKey(physical) &&
               (!_physicalConditions.TryGetValue(physical, out var condition) || condition.Holds(Cpu));
    }

    private bool BreakpointHolds(uint eip) =>
        _skipBreakpointAt != eip && _breakpoints.ContainsKey(eip) &&
        (!_conditions.TryGetValue(eip, out var condition) || condition.Holds(Cpu));

    /// <summary>Called by the CPU after an instruction while armed: a single step ends here.</summary>
    internal void AfterInstruction()
    {
        lock (_gate)
        {
            if (!_stepping) return;
            _stepping = false;
            _pending = new DebugStop(StopKind.Step, LinearEip(), Cpu.Clock.Now, "step");
            Rearm();
        }
    }

    private void OnWatchedWrite(uint physical, int size) => OnWatchedAccess(physical, size, write: true);

    private void OnWatchedRead(uint physical, int size) => OnWatchedAccess(physical, size, write: false);

    private void OnWatchedAccess(uint physical, int size, bool write)
    {
        if (_frontEndWriting) return;
        lock (_gate)
        {
            foreach (var w in _watches)
                foreach (var (frame, offset, piece) in w.Pieces)
                    if ((write ? w.OnWrites : w.OnReads) && physical < frame + piece && physical + (uint)size > frame)
                    {
                        // Reported after the accessing instruction, with the address the debugger asked for.
                        uint at = w.Address + offset + (physical > frame ? physical - frame : 0);
                        _pending ??= new DebugStop(StopKind.Watchpoint, LinearEip(), Cpu.Clock.Now,
                            $"{(write ? "write to" : "read of")} {(w.Physical ? "physical " : "")}0x{at:x8}") { WatchAddress = w.Address, Watch = w.Kind };
                        Rearm();
                        return;
                    }
        }
    }

    private void OnPortAccess(ushort port, bool write, uint value)
    {
        lock (_gate)
        {
            if (_runUntil == RunUntilEvent.PortAccess)
            {
                _runUntil = null;
                UpdateHooks();
                _pending ??= new DebugStop(StopKind.Port, LinearEip(), Cpu.Clock.Now, $"{(write ? "out" : "in")} port 0x{port:x4} value 0x{value:x}");
                Rearm();
            }
            if (!_ports.TryGetValue(port, out long hits)) return;
            _ports[port] = hits + 1;
            _pending ??= new DebugStop(StopKind.Port, LinearEip(), Cpu.Clock.Now,
                $"{(write ? "out" : "in")} port 0x{port:x4} value 0x{value:x} (hit {hits + 1})");
            Rearm();
        }
    }

    /// <summary>Called by the CPU for every delivered exception or interrupt while an engine is attached.</summary>
    internal void OnEventDelivered(byte vector, EventKind kind)
    {
        if (!_listenToEvents) return;
        lock (_gate)
        {
            if (_runUntil is { } until && until != RunUntilEvent.Hypercall && until != RunUntilEvent.PortAccess &&
                (until == RunUntilEvent.Exception) == (kind != EventKind.External))
            {
                _runUntil = null;
                UpdateHooks();
                _pending ??= new DebugStop(StopKind.Vector, LinearEip(), Cpu.Clock.Now,
                    $"{(kind == EventKind.External ? "interrupt" : "exception")} vector {vector} delivered");
                Rearm();
            }
            if (!_vectors.TryGetValue(vector, out long hits)) return;
            _vectors[vector] = hits + 1;
            _pending ??= new DebugStop(StopKind.Vector, LinearEip(), Cpu.Clock.Now, $"vector {vector} delivered (hit {hits + 1})");
            Rearm();
        }
    }

    private void OnHypercall(HypercallEvent e)
    {
        if (_runUntil == RunUntilEvent.Hypercall)
        {
            lock (_gate)
            {
                _runUntil = null;
                UpdateHooks();
                _pending ??= new DebugStop(StopKind.Hypercall, LinearEip(), Cpu.Clock.Now, e.Describe());
                Rearm();
            }
            return;
        }
        var filter = HypercallBreak;
        if (filter == null || !filter(e)) return;
        lock (_gate)
        {
            _pending ??= new DebugStop(StopKind.Hypercall, LinearEip(), Cpu.Clock.Now, e.Describe());
            Rearm();
        }
    }

    private void Resume(bool step)
    {
        lock (_gate)
        {
            if (_stop == null || _stop.Kind == StopKind.Exited) return;
            _stepping = step;
            Rearm();
            ResumeLocked();
        }
    }

    private void ResumeLocked()
    {
        if (_stop == null) return; // running: nothing to resume
        _resumed = true;
        Monitor.PulseAll(_gate);
    }

    private void StopLocked(DebugStop stop)
    {
        _resumed = false;
        _stop = stop;
        _stopCount++;
        _stepping = false;
        Rearm();
        Monitor.PulseAll(_gate);
    }

    /// <summary>Whether the CPU must consult the engine at every instruction; and the fast loop must end now.</summary>
    private void Rearm()
    {
        bool armed = _breakpoints.Count > 0 || _physicalBreakpoints.Count > 0 || _stepping || _pauseRequested || _pending != null || _killed || _stepOverReturn != null ||
                     (_replay != ReplayMode.None && _replayArmed) || _rewindTo != null;
        Cpu.DebugArmed = armed;
        if (armed) Cpu.LeaveFastLoop = true;
    }
}
