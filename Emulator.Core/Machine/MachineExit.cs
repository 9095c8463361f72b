namespace Emulator.Core.Machine;

/// <summary>Why a run ended, with the process exit status the `emu` command uses for it.</summary>
public enum ExitKind
{
    /// <summary>The guest powered off (ACPI-less: Bochs shutdown port, or the hypervisor's shutdown). Exit 0.</summary>
    PowerOff,
    /// <summary>The guest wrote to isa-debug-exit (port 0xF4). Exit (v &lt;&lt; 1) | 1.</summary>
    DebugExit,
    /// <summary>A triple fault (and -no-reboot), or a guest crash. Exit 4.</summary>
    GuestCrash,
    /// <summary>The CPU halted with interrupts disabled and nothing can wake it. Exit 4.</summary>
    HaltedForever,
    /// <summary>--max-instructions was reached. Exit 124.</summary>
    InstructionLimit,
    /// <summary>The host asked the run to stop (Ctrl-C). Exit 130.</summary>
    Interrupted,
}

/// <summary>The outcome of a machine run.</summary>
public readonly record struct MachineExit(ExitKind Kind, int ExitStatus, string Message)
{
    public static MachineExit PowerOff(string why) => new(ExitKind.PowerOff, 0, why);
    public static MachineExit DebugExit(uint value) => new(ExitKind.DebugExit, (int)(((value << 1) | 1) & 0xFF), $"isa-debug-exit: guest wrote 0x{value:X}");
    public static MachineExit Crash(string why) => new(ExitKind.GuestCrash, 4, why);
}
