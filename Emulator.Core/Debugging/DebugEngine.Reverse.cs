using Emulator.Core.Cpu;
using Emulator.Core.Snapshots;

namespace Emulator.Core.Debugging;

/// <summary>
/// Reverse execution: reverse step (back to the previous instruction boundary) and reverse
/// continue (back to the most recent breakpoint, watchpoint or other stop before now).
///
/// Nothing runs backwards. The machine keeps checkpoints (<see cref="MachineTimeline"/>); going
/// back restores the last checkpoint before now and re-executes forward, watching every
/// instruction boundary, twice: a first pass finds the target (the last boundary, or the last stop
/// event, before the one we are leaving), a second runs to it and stops there. Virtual time is
/// strictly increasing from one boundary to the next, so a boundary is named by its tick. When a
/// checkpoint interval holds no target, the scan starts again one checkpoint earlier.
///
/// The rewind itself happens on the machine thread between CPU runs: the engine returns false
/// from <see cref="BeforeInstruction"/>, the machine loop takes <see cref="TakeRewind"/> and
/// restores the checkpoint.
/// </summary>
public sealed partial class DebugEngine
{
    private enum ReplayMode { None, FindPrevious, FindLastStop, RunTo }
    private enum ReverseKind { Step, Continue }

    private MachineTimeline? _timeline;
    private ReverseKind? _reverseRequest;   // set by a front end, taken by the machine thread
    private ReplayMode _replay;
    private ReverseKind _reverseKind;
    private ulong _replayEnd;               // the boundary reverse execution leaves from
    private int _replayCheckpoint;          // the checkpoint the current pass started from
    private ulong? _found;                  // the target boundary found by the first pass
    private DebugStop? _foundStop;          // what stopped there (reverse continue)
    private bool _runToFirst;               // reverse continue found nothing: stop at the history's first boundary
    private int? _rewindTo;                 // the checkpoint the machine loop restores next
    private bool _replayArmed;              // re-execution checks every boundary (else it runs at full speed until _replayArmAt)
    private ulong _replayArmAt;
    private bool _fullScan;                 // this pass checks every boundary from the checkpoint on

    /// <summary>
    /// How far before the boundary it leaves a reverse step starts checking boundaries: the
    /// re-execution runs at full speed up to there. When the previous boundary is further back (an
    /// idle HLT, a long hypercall), the interval is scanned again from its checkpoint.
    /// </summary>
    public const ulong ReverseStepWindow = 65_536;

    /// <summary>
    /// Gives the engine the machine's checkpoint history (<see cref="Machine.Machine.EnableTimeline"/>);
    /// without one, reverse requests stop again where they are with a message.
    /// </summary>
    public void AttachTimeline(MachineTimeline timeline) { lock (_gate) _timeline = timeline; }

    /// <summary>Whether reverse execution is available (a timeline is attached).</summary>
    public bool CanReverse { get { lock (_gate) return _timeline != null; } }

    /// <summary>Goes back to the previous instruction boundary (a stopped machine).</summary>
    public void ReverseStep() => RequestReverse(ReverseKind.Step);

    /// <summary>Goes back to the latest stop event (breakpoint, watchpoint, hypercall, port or vector) before now, or to the start of the history.</summary>
    public void ReverseContinue() => RequestReverse(ReverseKind.Continue);

    private void RequestReverse(ReverseKind kind)
    {
        lock (_gate)
        {
            if (_stop == null || _stop.Kind == StopKind.Exited) return;
            _reverseRequest = kind;
            _stepping = false;
            _stepOverReturn = null;
            _runUntil = null;
            UpdateHooks();
            Rearm();
            ResumeLocked();
        }
    }

    /// <summary>For the machine loop: the checkpoint to restore before running on, once.</summary>
    internal int? TakeRewind()
    {
        lock (_gate)
        {
            int? c = _rewindTo;
            _rewindTo = null;
            Rearm();
            return c;
        }
    }

    /// <summary>Starts a reverse request at the current boundary; returns a stop when there is nothing to go back to.</summary>
    private DebugStop? BeginReverse(ReverseKind kind)
    {
        ulong now = Cpu.Clock.Now;
        uint eip = LinearEip();
        if (_timeline == null)
            return new DebugStop(StopKind.Step, eip, now, "reverse execution needs the checkpoint history (emu debug, or -s/-gdb with reverse enabled)");
        if (_historyEdited)
            return new DebugStop(StopKind.Step, eip, now, "reverse: the debugger changed registers or memory here; the history starts again at the next checkpoint");
        int checkpoint = _timeline.LastBefore(now);
        if (checkpoint < 0)
            return new DebugStop(StopKind.Step, eip, now, "reverse: at the start of the recorded history") { HistoryStart = true };
        _reverseKind = kind;
        _replay = kind == ReverseKind.Step ? ReplayMode.FindPrevious : ReplayMode.FindLastStop;
        ulong start = _timeline.TickOf(checkpoint);
        _fullScan = kind == ReverseKind.Continue || now - start <= ReverseStepWindow;
        ArmReplayAt(_fullScan ? start : now - ReverseStepWindow);
        _replayEnd = now;
        _replayCheckpoint = checkpoint;
        _found = null;
        _foundStop = null;
        _runToFirst = false;
        _pending = null;
        _rewindTo = checkpoint;
        Rearm();
        return null;
    }

    /// <summary>
    /// One boundary during re-execution. Returns true/false for <see cref="BeforeInstruction"/> to
    /// return at once (go on / rewind), or null with the stop to publish in <paramref name="stop"/>.
    /// </summary>
    private bool? ReplayBoundary(out DebugStop? stop)
    {
        stop = null;
        ulong now = Cpu.Clock.Now;
        var pending = _pending;
        _pending = null; // events of re-executed instructions are history, not new stops
        switch (_replay)
        {
            case ReplayMode.FindPrevious:
            case ReplayMode.FindLastStop:
                if (now < _replayEnd)
                {
                    if (_replay == ReplayMode.FindPrevious) _found = now;
                    else
                    {
                        uint eip = LinearEip();
                        var hit = pending ?? (BreakpointHolds(eip)
                            ? new DebugStop(StopKind.Breakpoint, eip, now, $"breakpoint at 0x{eip:x8}")
                            : PhysicalBreakpointHolds(eip, out uint physical)
                                ? new DebugStop(StopKind.Breakpoint, eip, now, $"breakpoint at physical 0x{physical:x8} (linear 0x{eip:x8})")
                                : null);
                        if (hit != null) { _found = now; _foundStop = hit; }
                        _skipBreakpointAt = null;
                    }
                    return true;
                }
                if (now > _replayEnd) return Diverged(out stop);
                if (_found is { } found)
                {
                    _replay = ReplayMode.RunTo;
                    _rewindTo = _replayCheckpoint;
                    ArmReplayAt(found); // full speed up to the target itself
                    return false;
                }
                if (!_fullScan)
                {
                    _fullScan = true;                // the previous boundary is older than the window: scan all of the interval
                    _rewindTo = _replayCheckpoint;
                    ArmReplayAt(_timeline!.TickOf(_replayCheckpoint));
                    return false;
                }
                if (_replayCheckpoint > 0)
                {
                    _replayCheckpoint--;             // nothing in that interval: scan from one checkpoint earlier
                    _rewindTo = _replayCheckpoint;
                    ArmReplayAt(_timeline!.TickOf(_replayCheckpoint));
                    return false;
                }
                if (_replay == ReplayMode.FindPrevious)
                {
                    // Back where we started, with no earlier boundary recorded.
                    _replay = ReplayMode.None;
                    Rearm();
                    stop = new DebugStop(StopKind.Step, LinearEip(), now, "reverse: at the start of the recorded history") { HistoryStart = true };
                    return null;
                }
                _replay = ReplayMode.RunTo;
                _runToFirst = true;
                _rewindTo = 0;
                ArmReplayAt(_timeline!.TickOf(0));
                return false;

            case ReplayMode.RunTo:
                if (!_runToFirst && now < _found) return true;
                if (!_runToFirst && now > _found) return Diverged(out stop);
                _replay = ReplayMode.None;
                Rearm();
                uint at = LinearEip();
                stop = _runToFirst
                    ? new DebugStop(StopKind.Step, at, now, "reverse: at the start of the recorded history") { HistoryStart = true }
                    : _reverseKind == ReverseKind.Step
                        ? new DebugStop(StopKind.Step, at, now, "reverse step")
                        : _foundStop! with { Detail = "reverse: " + _foundStop!.Detail };
                if (stop.Kind == StopKind.Breakpoint) CountHit(stop.Eip);
                return null;
        }
        return true;
    }

    /// <summary>Drops a reverse request or re-execution under way: the machine runs on from where it is (re-executed history stays quiet).</summary>
    private void CancelReverse()
    {
        _reverseRequest = null;
        _replay = ReplayMode.None;
        _replayArmed = false;
    }

    /// <summary>Re-execution checks boundaries from <paramref name="tick"/> on; before it, the machine runs at full speed.</summary>
    private void ArmReplayAt(ulong tick)
    {
        _replayArmAt = tick;
        _replayArmed = false;
        Rearm();
    }

    /// <summary>For the machine loop: the tick a re-execution must stop running at full speed at (the slice ends there), or null.</summary>
    internal ulong? ReplayArmAt
    {
        get { lock (_gate) return _replay != ReplayMode.None && !_replayArmed ? _replayArmAt : null; }
    }

    /// <summary>For the machine loop: the re-execution reached <see cref="ReplayArmAt"/>; from here every boundary is checked.</summary>
    internal void ArmReplay()
    {
        lock (_gate)
        {
            _replayArmed = true;
            Rearm();
        }
    }

    private void CountHit(uint eip)
    {
        if (_breakpoints.TryGetValue(eip, out long hits)) _breakpoints[eip] = hits + 1;
        else if (Cpu.Mmu.Probe(eip, out uint physical, AccessKind.Execute) && _physicalBreakpoints.TryGetValue(physical, out hits))
            _physicalBreakpoints[physical] = hits + 1;
    }

    /// <summary>Re-execution passed its target: something made the run non-deterministic (host input, a front-end write).</summary>
    private bool? Diverged(out DebugStop? stop)
    {
        _replay = ReplayMode.None;
        Rearm();
        stop = new DebugStop(StopKind.Step, LinearEip(), Cpu.Clock.Now,
            $"reverse: re-execution did not come back to tick {_replayEnd} (host input or a debugger write changed the history); stopped here");
        return null;
    }

    /// <summary>A front end changed registers or memory: the recorded history no longer leads here, so it starts again now.</summary>
    public void NoteStateEdited()
    {
        lock (_gate) _historyEdited = true;
    }

    private bool _historyEdited;

    /// <summary>For the machine loop: whether the history must be dropped (taken once).</summary>
    internal bool TakeHistoryEdited()
    {
        lock (_gate)
        {
            bool edited = _historyEdited;
            _historyEdited = false;
            return edited;
        }
    }
}
