using Emulator.Core.Bus;
using Emulator.Core.Memory;
using Emulator.Core.Timing;
using Serilog;

namespace Emulator.Core.Machine;

/// <summary>
/// The board: physical memory, the port bus, the virtual clock and the CPU, wired together.
/// Devices are attached by the Devices project (Core never depends on it).
/// </summary>
public sealed class Machine : IMachineControl
{
    public PhysicalMemory Memory { get; }
    public PortBus Ports { get; }
    public VirtualClock Clock { get; }
    public Cpu.Cpu Cpu { get; }
    public ILogger Log { get; }

    /// <summary>When true a reset request (including a triple fault) ends the run instead (QEMU's -no-reboot).</summary>
    public bool NoReboot { get; set; }

    /// <summary>Called after a CPU reset so that firmware or a loader can set the machine up again.</summary>
    public Action? AfterReset { get; set; }

    private MachineExit? _exit;
    private string? _resetRequest;
    private volatile bool _interrupt;

    public Machine(uint ramBytes, ILogger? log = null)
    {
        Log = log ?? Serilog.Log.Logger;
        Memory = new PhysicalMemory(ramBytes);
        Ports = new PortBus(Log);
        Clock = new VirtualClock();
        Cpu = new Cpu.Cpu(Memory, Ports, Clock, Log);
        // The clock comes first: loading it drops every scheduled event, and the owners that
        // follow re-create theirs.
        RegisterSnapshotState(Clock);
        RegisterSnapshotState(Memory);
        RegisterSnapshotState(Cpu);
    }

    private readonly List<Snapshots.ISnapshotState> _snapshotStates = new();

    /// <summary>Everything whose state a snapshot carries, in load order.</summary>
    public IReadOnlyList<Snapshots.ISnapshotState> SnapshotStates => _snapshotStates;

    /// <summary>
    /// Adds a device or the hypervisor to what snapshots carry. A later owner of a section name
    /// replaces the earlier one (a hypervisor re-created on the same machine, as the fuzzer does).
    /// </summary>
    public void RegisterSnapshotState(Snapshots.ISnapshotState state)
    {
        for (int i = 0; i < _snapshotStates.Count; i++)
            if (_snapshotStates[i].SnapshotSection == state.SnapshotSection) { _snapshotStates[i] = state; return; }
        _snapshotStates.Add(state);
    }

    public void RequestExit(MachineExit exit)
    {
        _exit ??= exit;
        Cpu.StopReason = Emulator.Core.Cpu.CpuStopReason.Requested;
    }

    public void RequestReset(string why)
    {
        _resetRequest = why;
        Cpu.StopReason = Emulator.Core.Cpu.CpuStopReason.Requested;
    }

    /// <summary>Asks a running machine to stop (thread-safe; Ctrl-C).</summary>
    public void Interrupt()
    {
        _interrupt = true;
        Cpu.StopReason = Emulator.Core.Cpu.CpuStopReason.Requested;
    }

    /// <summary>The checkpoint history for reverse execution, once <see cref="EnableTimeline"/> was called.</summary>
    public Snapshots.MachineTimeline? Timeline { get; private set; }

    /// <summary>
    /// Starts keeping checkpoints every <paramref name="interval"/> ticks while the machine runs
    /// (reverse execution; see <see cref="Snapshots.MachineTimeline"/>). The first is taken when
    /// <see cref="Run"/> next starts.
    /// </summary>
    public Snapshots.MachineTimeline EnableTimeline(ulong interval = Snapshots.MachineTimeline.DefaultInterval)
    {
        Timeline ??= new Snapshots.MachineTimeline(this, interval);
        Cpu.Debugger?.AttachTimeline(Timeline);
        return Timeline;
    }

    /// <summary>True while reverse execution re-runs what already ran: consoles and traces must not repeat it.</summary>
    public bool Reexecuting => Timeline?.Reexecuting == true;

    /// <summary>Instructions executed so far (virtual time).</summary>
    public ulong InstructionsRetired => Clock.Now;

    /// <summary>Runs until the guest ends the run, the CPU dies, or <paramref name="maxInstructions"/> have executed.</summary>
    public MachineExit Run(ulong maxInstructions = ulong.MaxValue)
    {
        ulong limit = maxInstructions == ulong.MaxValue ? ulong.MaxValue : Clock.Now + maxInstructions;
        while (true)
        {
            ulong sliceEnd = limit;
            if (Timeline is { } timeline)
            {
                // Checkpoints are taken here, between CPU runs, never inside an instruction step:
                // restoring one and calling Cpu.Run again is exactly what happened the first time.
                if (Cpu.Debugger?.TakeHistoryEdited() == true) timeline.Clear();
                if (timeline.Count == 0 || Clock.Now >= timeline.NextCheckpointAt) timeline.Take();
                sliceEnd = Math.Min(limit, timeline.NextCheckpointAt);
                // Re-execution for reverse debugging runs at full speed up to where it must look at every instruction.
                if (Cpu.Debugger?.ReplayArmAt is ulong armAt) sliceEnd = Math.Min(sliceEnd, armAt);
            }
            var reason = Cpu.Run(sliceEnd);
            if (_exit is { } exit) return exit;
            if (_interrupt) return new MachineExit(ExitKind.Interrupted, 130, "interrupted by the host");
            if (Timeline != null && Cpu.Debugger?.TakeRewind() is int checkpoint)
            {
                Timeline.RestoreTo(checkpoint);
                continue;
            }
            if (reason == Emulator.Core.Cpu.CpuStopReason.TickLimit && Timeline != null &&
                Cpu.Debugger?.ReplayArmAt is ulong armTick && Clock.Now >= armTick)
            {
                Cpu.Debugger.ArmReplay();
                continue;
            }
            switch (reason)
            {
                case Emulator.Core.Cpu.CpuStopReason.TickLimit:
                    if (Clock.Now < limit) continue; // the end of a checkpoint interval
                    return new MachineExit(ExitKind.InstructionLimit, 124, $"instruction limit reached after {Clock.Now} instructions");
                case Emulator.Core.Cpu.CpuStopReason.TripleFault:
                    // A triple fault ends the run (exit 4) so that a crashing guest is reported, not rebooted in a loop.
                    return MachineExit.Crash($"triple fault at {Cpu.Segs[1].Selector:X4}:{Cpu.Eip:X8}: the guest crashed");
                case Emulator.Core.Cpu.CpuStopReason.HaltForever:
                    return new MachineExit(ExitKind.HaltedForever, 4,
                        $"the CPU halted at {Cpu.Segs[1].Selector:X4}:{Cpu.Eip:X8} with interrupts disabled and nothing can wake it");
            }
            if (_resetRequest is { } why)
            {
                _resetRequest = null;
                if (NoReboot) return MachineExit.Crash($"the guest requested a reset ({why}) and -no-reboot is set");
                DoReset(why);
            }
        }
    }

    private void DoReset(string why)
    {
        Log.Information("System reset: {Why}", why);
        // A loader may write RAM directly when the machine restarts: the history starts again after a reset.
        Timeline?.Clear();
        Cpu.Reset();
        Cpu.TripleFaulted = false;
        Memory.A20Enabled = true;
        if (AfterReset is null)
        {
            // Without firmware a reset lands at F000:FFF0 in whatever is there; usually all ones.
            Log.Warning("Reset without firmware: execution restarts at F000:FFF0");
        }
        AfterReset?.Invoke();
    }
}
