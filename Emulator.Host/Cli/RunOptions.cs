using Emulator.Core.Tracing;
using Emulator.Host.Display;
using Serilog.Events;

namespace Emulator.Host.Cli;

/// <summary>Everything `emu run` was asked to do.</summary>
public sealed class RunOptions
{
    public const uint DefaultMemoryMiB = 128;

    /// <summary>-kernel: a multiboot kernel (null: the default guest, unless -bios is given).</summary>
    public string? Kernel { get; set; }
    /// <summary>-initrd: multiboot modules, "FILE[ ARGS][,FILE...]".</summary>
    public string? Initrd { get; set; }
    /// <summary>-append: the kernel's arguments.</summary>
    public string? Append { get; set; }
    /// <summary>-bios: a firmware image mapped below 4 GiB and below 1 MiB.</summary>
    public string? Bios { get; set; }
    /// <summary>-m: RAM in MiB.</summary>
    public uint MemoryMiB { get; set; } = DefaultMemoryMiB;
    /// <summary>-machine: "pc" (bare hardware) or "xen" (the in-emulator hypervisor).</summary>
    public string MachineType { get; set; } = "pc";
    /// <summary>--p2m-seed: the seed of the xen domain's PFN to MFN order.</summary>
    public ulong P2mSeed { get; set; } = 1;
    public OutputTarget Serial { get; set; } = OutputTarget.Stdio;
    public OutputTarget DebugCon { get; set; } = OutputTarget.None;
    public bool NoReboot { get; set; }
    public ulong? MaxInstructions { get; set; }
    public bool Stats { get; set; }
    /// <summary>-trace: the JSON Lines file a trace is recorded into (null: no trace).</summary>
    public string? TraceFile { get; set; }
    /// <summary>-trace-level: how much the trace records.</summary>
    public TraceLevel TraceLevel { get; set; } = TraceLevel.Hypercall;
    public LogEventLevel LogLevel { get; set; } = LogEventLevel.Warning;
    public string? LogFile { get; set; }
    /// <summary>-s / -gdb tcp::PORT: serve the gdb remote protocol on 127.0.0.1:PORT (null: no stub).</summary>
    public int? GdbPort { get; set; }
    /// <summary>-snapshot-load: start from the machine state in this file instead of booting.</summary>
    public string? SnapshotLoad { get; set; }
    /// <summary>-snapshot-save: write the machine state to this file when the run stops.</summary>
    public string? SnapshotSave { get; set; }
    /// <summary>-S: do not start the CPU until a debugger continues it.</summary>
    public bool WaitForDebugger { get; set; }
    /// <summary>`emu debug`: serve the web debugger on 127.0.0.1 at this port (0: any free one), the machine paused at its first instruction; null for `emu run`.</summary>
    public int? WebDebuggerPort { get; set; }
    /// <summary>-display: how the VGA text screen is shown (and where keys come from).</summary>
    public DisplayKind Display { get; set; } = DisplayKind.None;
    /// <summary>-input-record: the file every key event is written to with the instruction count it entered at.</summary>
    public string? InputRecordFile { get; set; }
    /// <summary>-input-replay: an input log whose key events enter at their recorded instruction counts.</summary>
    public string? InputReplayFile { get; set; }
}
