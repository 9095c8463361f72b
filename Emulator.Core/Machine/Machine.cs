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

    /// <summary>Instructions executed so far (virtual time).</summary>
    public ulong InstructionsRetired => Clock.Now;

    /// <summary>Runs until the guest ends the run, the CPU dies, or <paramref name="maxInstructions"/> have executed.</summary>
    public MachineExit Run(ulong maxInstructions = ulong.MaxValue)
    {
        ulong limit = maxInstructions == ulong.MaxValue ? ulong.MaxValue : Clock.Now + maxInstructions;
        while (true)
        {
            var reason = Cpu.Run(limit);
            if (_exit is { } exit) return exit;
            if (_interrupt) return new MachineExit(ExitKind.Interrupted, 130, "interrupted by the host");
            switch (reason)
            {
                case Emulator.Core.Cpu.CpuStopReason.TickLimit:
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
