using System.Globalization;
using Emulator.Host.Display;
using Serilog.Events;

namespace Emulator.Host.Cli;

/// <summary>
/// Parses `emu` command lines. Options follow QEMU's spelling with one dash (-kernel FILE); two
/// dashes work too (--kernel FILE), and so does NAME=VALUE in the option word (--kernel=FILE).
/// Mistakes throw <see cref="UsageException"/> with a message fit for one line of stderr.
/// </summary>
public static class CommandLineParser
{
    public const uint MinMemoryMiB = 2;
    /// <summary>RAM must end below 3 GiB: the top of the address space is for devices and firmware.</summary>
    public const uint MaxMemoryMiB = 3072;

    public static CliRequest Parse(IReadOnlyList<string> args)
    {
        if (args.Count == 0)
            throw new UsageException("no command given (the command that boots a machine is `emu run`)");
        string first = args[0];
        switch (first)
        {
            case "-h" or "-help" or "--help" or "help":
                if (args.Count > 1 && args[1] is "run" or "debug" or "trace" or BenchCommandLine.HelpTopic) return new HelpRequest(args[1]);
                if (args.Count > 1 && args[1] == FuzzCommandLine.HelpTopic) return new HelpRequest(args[1]);
                if (args.Count > 1 && first == "help") throw new UsageException($"no help on '{args[1]}': the commands are run, debug, trace, bench and fuzz");
                return new HelpRequest(null);
            case "-version" or "--version":
                return new VersionRequest();
            case "run":
                return ParseRun(args.Skip(1).ToArray(), "run");
            case "debug":
                return ParseRun(args.Skip(1).ToArray(), "debug");
            case "trace":
                return TraceCommandLine.Parse(args.Skip(1).ToArray());
            case "bench":
                return BenchCommandLine.Parse(args.Skip(1).ToArray());
            case "fuzz": return FuzzCommandLine.Parse(args.Skip(1).ToArray());
        }
        if (first.StartsWith('-'))
            throw new UsageException($"unknown option '{first}' (options come after the command: emu run {first} ...)");
        throw new UsageException($"unknown command '{first}' (the commands are `emu run`, `emu debug`, `emu trace`, `emu bench` and `emu fuzz`; see `emu --help`)");
    }

    private static Emulator.Core.Tracing.TraceLevel ParseTraceLevel(string text) => text.ToLowerInvariant() switch
    {
        "boot" => Emulator.Core.Tracing.TraceLevel.Boot,
        "hypercall" => Emulator.Core.Tracing.TraceLevel.Hypercall,
        "full" => Emulator.Core.Tracing.TraceLevel.Full,
        _ => throw new UsageException($"bad trace level '{text}' for -trace-level: expected boot, hypercall or full", "run"),
    };

    /// <summary>`emu run` and `emu debug` (<paramref name="command"/>): the same options; debug adds --port and serves the web debugger.</summary>
    private static CliRequest ParseRun(string[] args, string command)
    {
        bool debug = command == "debug";
        var o = new RunOptions { WebDebuggerPort = debug ? 0 : null };
        bool traceLevelGiven = false, serialGiven = false;
        for (int i = 0; i < args.Length; i++)
        {
            string word = args[i];
            if (!word.StartsWith('-') || word == "-" || word == "--")
                throw new UsageException($"unexpected argument '{word}' (every option starts with a dash)", command);

            string name = word.StartsWith("--") ? word[2..] : word[1..];
            string? inlineValue = null;
            int eq = name.IndexOf('=');
            if (eq >= 0)
            {
                inlineValue = name[(eq + 1)..];
                name = name[..eq];
            }

            string Value(string what)
            {
                if (inlineValue != null) return inlineValue;
                if (i + 1 >= args.Length)
                    throw new UsageException($"option {word} needs a value ({what})", command);
                return args[++i];
            }
            void NoValue()
            {
                if (inlineValue != null) throw new UsageException($"option -{name} takes no value", command);
            }

            switch (name)
            {
                case "h" or "help":
                    NoValue();
                    return new HelpRequest(command);
                case "kernel": o.Kernel = NonEmpty(Value("a multiboot kernel file"), word); break;
                case "initrd": o.Initrd = NonEmpty(Value("module files, FILE[ ARGS][,FILE...]"), word); break;
                case "append": o.Append = Value("the kernel's command line"); break;
                case "bios": o.Bios = NonEmpty(Value("a firmware image file"), word); break;
                case "m": o.MemoryMiB = ParseMemory(Value("a size in MiB: 128, 128M or 1G")); break;
                case "machine" or "M": o.MachineType = ParseMachine(Value("a machine type: pc or xen")); break;
                case "serial": o.Serial = ParseTarget(Value("stdio, none or file:PATH"), word); serialGiven = true; break;
                case "debugcon": o.DebugCon = ParseTarget(Value("stdio, none or file:PATH"), word); break;
                case "no-reboot": NoValue(); o.NoReboot = true; break;
                case "p2m-seed": o.P2mSeed = ParseSeed(Value("a number"), word); break;
                case "max-instructions": o.MaxInstructions = ParseCount(Value("a number of instructions"), word); break;
                case "stats": NoValue(); o.Stats = true; break;
                case "trace": o.TraceFile = NonEmpty(Value("a trace file (JSON Lines)"), word); break;
                case "trace-level": o.TraceLevel = ParseTraceLevel(Value("boot, hypercall or full")); traceLevelGiven = true; break;
                case "log-level": o.LogLevel = ParseLogLevel(Value("verbose, debug, information, warning or error")); break;
                case "log-file": o.LogFile = NonEmpty(Value("a file name"), word); break;
                case "s": NoValue(); o.GdbPort = DefaultGdbPort; break;
                case "gdb": o.GdbPort = ParseGdbDevice(Value("tcp::PORT")); break;
                case "S": NoValue(); o.WaitForDebugger = true; break;
                case "display": o.Display = ParseDisplay(Value("none, gl or curses")); break;
                case "input-record": o.InputRecordFile = NonEmpty(Value("a file to record key events into"), word); break;
                case "input-replay": o.InputReplayFile = NonEmpty(Value("an input log recorded with -input-record"), word); break;
                case "snapshot-load": o.SnapshotLoad = NonEmpty(Value("a snapshot file"), word); break;
                case "snapshot-save": o.SnapshotSave = NonEmpty(Value("a snapshot file to write"), word); break;
                case "port" when debug: o.WebDebuggerPort = ParsePort(Value("a TCP port, 0 to 65535 (0: any free port)"), word); break;
                default:
                    throw new UsageException($"unknown option '{word}'", command);
            }
        }
        if (debug && (o.GdbPort != null || o.WaitForDebugger))
            throw new UsageException("emu debug serves the web debugger and starts paused: -s, -gdb and -S are for emu run", command);
        if (o.WaitForDebugger && o.GdbPort == null)
            throw new UsageException("-S needs a debugger to continue the machine: add -s or -gdb tcp::PORT", command);
        if (traceLevelGiven && o.TraceFile == null)
            throw new UsageException("-trace-level needs -trace FILE (the file the trace is recorded into)", command);
        if (o.InputRecordFile != null && o.InputReplayFile != null)
            throw new UsageException("-input-record and -input-replay cannot be combined (a replayed run's input is its replay file)", command);
        if (o.InputRecordFile != null && o.Display == DisplayKind.None)
            throw new UsageException("-input-record needs a display that takes keys: -display gl or -display curses", command);
        // The terminal shows the screen under -display curses: the serial console goes there only when asked for.
        if (o.Display == DisplayKind.Curses && !serialGiven) o.Serial = OutputTarget.None;
        if (o.Initrd != null && o.Kernel == null)
            throw new UsageException("-initrd needs -kernel (modules are loaded with a multiboot kernel)", command);
        // Without -kernel and -bios the default guest boots, and -append is its command line.
        if (o.Append != null && o.Kernel == null && o.Bios != null)
            throw new UsageException("-append needs a kernel (it is the kernel's command line), not -bios alone", command);
        return new RunRequest(o);
    }

    /// <summary>QEMU's -s: the gdb stub on tcp::1234.</summary>
    public const int DefaultGdbPort = 1234;

    /// <summary>-gdb tcp::PORT, tcp:127.0.0.1:PORT, tcp:localhost:PORT or a bare PORT (0: any free port).</summary>
    private static int ParseGdbDevice(string text)
    {
        string t = text;
        if (t.StartsWith("tcp:", StringComparison.Ordinal))
        {
            t = t[4..];
            int colon = t.LastIndexOf(':');
            if (colon < 0) throw new UsageException($"bad value '{text}' for -gdb: expected tcp::PORT", "run");
            string host = t[..colon];
            if (host is not ("" or "127.0.0.1" or "localhost"))
                throw new UsageException($"-gdb listens on 127.0.0.1 only, not on '{host}'", "run");
            t = t[(colon + 1)..];
        }
        if (!int.TryParse(t, NumberStyles.None, CultureInfo.InvariantCulture, out int port) || port > 65535)
            throw new UsageException($"bad value '{text}' for -gdb: expected tcp::PORT with a port from 0 to 65535", "run");
        return port;
    }

    private static string NonEmpty(string value, string option) =>
        value.Length == 0 ? throw new UsageException($"option {option} needs a non-empty value", "run") : value;

    private static int ParsePort(string text, string option) =>
        int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out int port) && port <= 65535
            ? port
            : throw new UsageException($"bad value '{text}' for {option}: expected a port from 0 to 65535", "debug");

    /// <summary>A RAM size: a number of MiB, or a number with a suffix M (MiB) or G (GiB), as QEMU's -m.</summary>
    public static uint ParseMemory(string text)
    {
        string t = text.Trim();
        ulong multiplier = 1;
        string digits = t;
        if (t.Length > 0)
        {
            char last = char.ToUpperInvariant(t[^1]);
            if (last == 'M') digits = t[..^1];
            else if (last == 'G') { digits = t[..^1]; multiplier = 1024; }
        }
        if (digits.Length == 0 || !digits.All(char.IsAsciiDigit))
            throw new UsageException($"bad memory size '{text}' for -m: expected a size in MiB such as 128, 128M or 1G", "run");
        bool fits = ulong.TryParse(digits, NumberStyles.None, CultureInfo.InvariantCulture, out ulong n) && n <= MaxMemoryMiB;
        ulong mib = n * multiplier;
        if (!fits || mib < MinMemoryMiB || mib > MaxMemoryMiB)
            throw new UsageException($"memory size '{text}' is out of range: -m takes {MinMemoryMiB} MiB to {MaxMemoryMiB} MiB (3G)", "run");
        return (uint)mib;
    }

    private static ulong ParseCount(string text, string option)
    {
        if (text.Length == 0 || !text.All(char.IsAsciiDigit) ||
            !ulong.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out ulong n) || n == 0)
            throw new UsageException($"bad value '{text}' for {option}: expected a positive whole number", "run");
        return n;
    }

    private static ulong ParseSeed(string text, string option)
    {
        if (text.Length == 0 || !text.All(char.IsAsciiDigit) ||
            !ulong.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out ulong n))
            throw new UsageException($"bad value '{text}' for {option}: expected a whole number", "run");
        return n;
    }

    private static DisplayKind ParseDisplay(string text) => text switch
    {
        "none" => DisplayKind.None,
        "gl" or "sdl" or "gtk" => DisplayKind.Gl,
        "curses" => DisplayKind.Curses,
        _ => throw new UsageException($"unknown display '{text}' for -display (known: none, gl, curses)", "run"),
    };

    private static string ParseMachine(string text) => text switch
    {
        "pc" or "xen" => text,
        _ => throw new UsageException($"unknown machine type '{text}' (known: pc, xen)", "run"),
    };

    public static OutputTarget ParseTarget(string text, string option)
    {
        if (text == "stdio") return OutputTarget.Stdio;
        if (text == "none" || text == "null") return OutputTarget.None;
        if (text.StartsWith("file:", StringComparison.Ordinal) && text.Length > 5) return OutputTarget.FromFile(text[5..]);
        throw new UsageException($"bad value '{text}' for {option}: expected stdio, none or file:PATH", "run");
    }

    public static LogEventLevel ParseLogLevel(string text) => text.ToLowerInvariant() switch
    {
        "verbose" => LogEventLevel.Verbose,
        "debug" => LogEventLevel.Debug,
        "information" or "info" => LogEventLevel.Information,
        "warning" or "warn" => LogEventLevel.Warning,
        "error" => LogEventLevel.Error,
        _ => throw new UsageException($"bad log level '{text}': expected verbose, debug, information, warning or error", "run"),
    };
}
