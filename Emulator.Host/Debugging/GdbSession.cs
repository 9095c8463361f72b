using System.Collections.Concurrent;
using System.Globalization;
using System.Text;
using Emulator.Core.Debugging;
using Emulator.Core.Hypervisor;
using Serilog;

namespace Emulator.Host.Debugging;

/// <summary>
/// One gdb connection (the GDB remote serial protocol, all-stop mode): registers through
/// <see cref="I386Registers"/>, memory through the guest's page tables, software and hardware
/// breakpoints (both become the engine's execution breakpoints: guest memory is never patched),
/// write watchpoints, continue/step (also through vCont), Ctrl-C, detach and kill, and monitor
/// commands for what gdb cannot say. A malformed packet gets a NAK ('-') or an error reply and the
/// session goes on; an unknown one the empty reply ("not supported").
/// </summary>
public sealed class GdbSession
{
    private readonly Stream _stream;
    private readonly DebugEngine _engine;
    private readonly ILogger _log;
    private readonly HypercallLog? _hypercalls;
    private readonly BlockingCollection<GdbInput> _inputs = new();
    private readonly object _writeLock = new();

    public GdbSession(Stream stream, DebugEngine engine, ILogger log, HypercallLog? hypercalls = null)
    {
        _stream = stream;
        _engine = engine;
        _log = log;
        _hypercalls = hypercalls;
        hypercalls?.Listen(); // `monitor hypercalls` lists what happened since a debugger connected
    }

    /// <summary>Serves the connection until gdb detaches, kills, disconnects or the run ends.</summary>
    public void Run()
    {
        var reader = new Thread(ReadInputs) { IsBackground = true, Name = "gdb input" };
        reader.Start();
        // gdb attaches to a stopped target: stop the machine now if it runs.
        if (_engine.CurrentStop == null) _engine.RequestPause();
        _engine.WaitForStop(Timeout.InfiniteTimeSpan);
        foreach (var input in _inputs.GetConsumingEnumerable())
        {
            if (input is GdbBadPacket bad)
            {
                _log.Debug("gdb: bad packet ({Why}): NAK", bad.Why);
                Send("-", raw: true);
                continue;
            }
            if (input is not GdbPacket p) continue; // an interrupt while stopped: nothing to do
            Send("+", raw: true);
            string? reply;
            bool end = false;
            // Bad numbers and field counts in a packet (a monitor command's too) are answered E01.
            try { reply = Handle(p.Payload, out end); }
            catch (Exception e) when (e is FormatException or OverflowException or ArgumentException or IndexOutOfRangeException)
            {
                _log.Debug("gdb: malformed packet {Packet}: {Error}", p.Payload, e.Message);
                reply = "E01";
            }
            if (reply != null) Send(reply);
            if (end) return;
        }
    }

    private void ReadInputs()
    {
        var reader = new GdbPacketReader(_stream);
        try
        {
            while (reader.Read() is { } input)
            {
                if (input is GdbInterrupt) { _engine.RequestPause(); continue; }
                _inputs.Add(input);
            }
        }
        catch (IOException) { }
        catch (ObjectDisposedException) { }
        _inputs.CompleteAdding();
    }

    /// <summary>Answers one packet; <paramref name="end"/> when the session is over (detach, kill, exit).</summary>
    private string? Handle(string packet, out bool end)
    {
        end = false;
        if (packet.Length == 0) return "";
        char command = packet[0];
        string args = packet[1..];
        switch (command)
        {
            case '?': return StopReply(_engine.CurrentStop);
            case 'g': return I386Registers.ReadAll(_engine.Cpu);
            case 'G': return WriteAllRegisters(args);
            case 'p': return I386Registers.Read(_engine.Cpu, ParseHex(args)) ?? "E01";
            case 'P':
                {
                    int eq = args.IndexOf('=');
                    if (eq < 0) return "E01";
                    _engine.NoteStateEdited();
                    return I386Registers.Write(_engine.Cpu, ParseHex(args[..eq]), args[(eq + 1)..]) ? "OK" : "E01";
                }
            case 'm': return ReadMemory(args);
            case 'M': return WriteMemory(args, binary: false);
            case 'X': return WriteMemory(args, binary: true);
            case 'c': case 'C': return Resume(args, command == 'c' ? args : AddressAfterSignal(args), step: false, out end);
            case 's': case 'S': return Resume(args, command == 's' ? args : AddressAfterSignal(args), step: true, out end);
            case 'Z': case 'z': return Breakpoint(command == 'Z', args);
            case 'b' when args is "s" or "c": return Reverse(step: args == "s");
            case 'H': case 'T': return "OK";
            case 'D':
                _engine.Detach();
                end = true;
                return "OK";
            case 'k':
                _engine.Kill();
                end = true;
                return null;
            case 'v': return VPacket(packet, out end);
            case 'q': return Query(packet);
            case 'Q': return "";
            default: return "";
        }
    }

    private static string AddressAfterSignal(string args)
    {
        int semi = args.IndexOf(';');
        return semi < 0 ? "" : args[(semi + 1)..];
    }

    private string? VPacket(string packet, out bool end)
    {
        end = false;
        if (packet == "vCont?") return "vCont;c;C;s;S";
        if (packet.StartsWith("vCont;", StringComparison.Ordinal))
        {
            // One thread: the first action decides (s: step, c: continue).
            string action = packet[6..].Split(';')[0];
            bool step = action.Length > 0 && action[0] is 's' or 'S';
            if (action.Length == 0 || action[0] is not ('s' or 'S' or 'c' or 'C')) return "E01";
            return Resume("", "", step, out end);
        }
        if (packet.StartsWith("vKill", StringComparison.Ordinal)) { _engine.Kill(); end = true; return "OK"; }
        return "";
    }

    private string Query(string packet)
    {
        if (packet.StartsWith("qSupported", StringComparison.Ordinal))
            return $"PacketSize={GdbPacketReader.MaxPayload:x};qXfer:features:read+;vContSupported+;swbreak+;hwbreak+" +
                   (_engine.CanReverse ? ";ReverseStep+;ReverseContinue+" : "");
        if (packet.StartsWith("qXfer:features:read:target.xml:", StringComparison.Ordinal))
            return XferChunk(I386Registers.TargetXml, packet["qXfer:features:read:target.xml:".Length..]);
        if (packet.StartsWith("qXfer:", StringComparison.Ordinal)) return "E00";
        if (packet == "qAttached") return "1";
        if (packet == "qC") return "QC1";
        if (packet == "qfThreadInfo") return "m1";
        if (packet == "qsThreadInfo") return "l";
        if (packet.StartsWith("qSymbol", StringComparison.Ordinal)) return "OK";
        if (packet.StartsWith("qRcmd,", StringComparison.Ordinal)) return MonitorCommand(FromHex(packet[6..]));
        return "";
    }

    private static string XferChunk(string document, string range)
    {
        var parts = range.Split(',');
        int offset = ParseHex(parts[0]), length = ParseHex(parts[1]);
        if (offset >= document.Length) return "l";
        string chunk = document.Substring(offset, Math.Min(length, document.Length - offset));
        return (offset + chunk.Length >= document.Length ? "l" : "m") + chunk;
    }

    private string WriteAllRegisters(string hex)
    {
        // Only the writable registers (general, EIP, EFLAGS) are taken; the rest of the packet is ignored.
        _engine.NoteStateEdited();
        for (int n = 0, at = 0; n <= I386Registers.Eflags; at += I386Registers.HexWidth(n), n++)
        {
            if (at + 8 > hex.Length) return "E01";
            if (!I386Registers.Write(_engine.Cpu, n, hex.Substring(at, 8))) return "E01";
        }
        return "OK";
    }

    private string ReadMemory(string args)
    {
        var (address, length) = AddressAndLength(args);
        if (length > GdbPacketReader.MaxPayload / 2) length = GdbPacketReader.MaxPayload / 2;
        var buffer = new byte[length];
        int n = _engine.ReadMemory(address, buffer);
        if (n == 0 && length > 0) return "E14"; // EFAULT
        return Convert.ToHexString(buffer, 0, n).ToLowerInvariant();
    }

    private string WriteMemory(string args, bool binary)
    {
        int colon = args.IndexOf(':');
        if (colon < 0) return "E01";
        var (address, length) = AddressAndLength(args[..colon]);
        string data = args[(colon + 1)..];
        byte[] bytes = binary ? Encoding.Latin1.GetBytes(data) : Convert.FromHexString(data);
        if (bytes.Length != length) return "E01";
        return _engine.WriteMemory(address, bytes) == length ? "OK" : "E14";
    }

    private string Breakpoint(bool insert, string args)
    {
        var parts = args.Split(',');
        if (parts.Length < 3) return "E01";
        uint address = ParseHexU(parts[1]);
        uint kind = ParseHexU(parts[2]);
        switch (parts[0])
        {
            case "0": // software: the engine stops before executing the address; memory is not patched
            case "1": // hardware execution breakpoint
                if (insert) _engine.AddBreakpoint(address); else _engine.RemoveBreakpoint(address);
                return "OK";
            case "2": // write watchpoint of `kind` bytes
                return (insert ? _engine.AddWriteWatch(address, kind) : _engine.RemoveWriteWatch(address, kind)) ? "OK" : "E01";
            case "3": // read watchpoint (rwatch)
            case "4": // access watchpoint (awatch)
                var watch = parts[0] == "3" ? WatchKind.Read : WatchKind.Access;
                return (insert ? _engine.AddReadWatch(address, kind, watch) : _engine.RemoveReadWatch(address, kind, watch)) ? "OK" : "E01";
            default:
                return "";
        }
    }

    private string? Resume(string args, string addressText, bool step, out bool end)
    {
        end = false;
        if (addressText.Length > 0) { _engine.NoteStateEdited(); _engine.Cpu.Eip = ParseHexU(addressText); }
        var stop = ResumeAndWait(step ? _engine.Step : _engine.Continue);
        if (stop.Kind == StopKind.Exited) end = true;
        return StopReply(stop);
    }

    /// <summary>
    /// monitor reverse-step / reverse-continue, for front ends that do not send bs/bc: the machine
    /// goes back and the text says where it stopped (gdb then needs `flushregs` to re-read registers).
    /// </summary>
    private string MonitorReverse(bool step)
    {
        if (!_engine.CanReverse) return "reverse execution needs the checkpoint history, which this run does not keep\n";
        var stop = GoBack(step);
        return $"{stop.Detail}: EIP 0x{stop.Eip:x8} (linear), virtual time {stop.Tick}; in gdb, `maintenance flush register-cache` re-reads the registers " +
               "(gdb's own reverse-stepi and reverse-continue need nothing more)\n";
    }

    /// <summary>bs / bc: reverse step and reverse continue (gdb's reverse-stepi, reverse-continue).</summary>
    private string Reverse(bool step) => _engine.CanReverse ? StopReply(GoBack(step)) : "E01";

    private DebugStop GoBack(bool step) => ResumeAndWait(step ? _engine.ReverseStep : _engine.ReverseContinue);

    /// <summary>Resumes the machine one way or another and waits for the stop that follows.</summary>
    private DebugStop ResumeAndWait(Action resume)
    {
        long before = _engine.StopCount;
        resume();
        DebugStop? stop;
        do stop = _engine.WaitForStopAfter(before, TimeSpan.FromSeconds(1));
        while (stop == null);
        return stop;
    }

    private static string StopReply(DebugStop? stop)
    {
        if (stop == null) return "S05";
        if (stop.HistoryStart) return "T05replaylog:begin;thread:1;";
        return stop.Kind switch
        {
            StopKind.Exited => $"W{stop.ExitStatus & 0xFF:x2}",
            StopKind.Watchpoint => stop.Watch switch
            {
                WatchKind.Read => $"T05rwatch:{stop.WatchAddress ?? 0:x};thread:1;",
                WatchKind.Access => $"T05awatch:{stop.WatchAddress ?? 0:x};thread:1;",
                _ => $"T05watch:{stop.WatchAddress ?? 0:x};thread:1;",
            },
            StopKind.Breakpoint => "T05swbreak:;thread:1;",
            StopKind.Paused => "T02thread:1;", // SIGINT: gdb says "Program received signal SIGINT"
            _ => "T05thread:1;",
        };
    }

    private string MonitorCommand(string command)
    {
        var words = command.Trim().Split(' ', StringSplitOptions.RemoveEmptyEntries);
        string output = words.Length == 0 ? MonitorHelp : words[0] switch
        {
            "help" => MonitorHelp,
            "break-hypercall" => BreakHypercall(words.Length > 1 ? words[1] : "any"),
            "break" when words.Length > 1 => BreakWithCondition(command.Trim()[5..].Trim(), physical: false),
            "break-physical" when words.Length > 1 => BreakWithCondition(command.Trim()["break-physical".Length..].Trim(), physical: true),
            "watch-physical" when words.Length > 2 => WatchPhysical(words),
            "break-port" when words.Length > 1 => Toggle(words, p => _engine.AddPortBreakpoint(checked((ushort)p)), p => _engine.RemovePortBreakpoint(checked((ushort)p)), "port"),
            "break-vector" when words.Length > 1 => Toggle(words, v => _engine.AddVectorBreakpoint(checked((byte)v)), v => _engine.RemoveVectorBreakpoint(checked((byte)v)), "vector"),
            "info" => string.Concat(_engine.Breakpoints().Select(b => $"{b.What}: {b.Hits} hits\n")) is { Length: > 0 } list ? list : "no breakpoints\n",
            "walk" when words.Length > 1 => PageTableWalk.Of(_engine.Cpu, ParseHexU(words[1].StartsWith("0x") ? words[1][2..] : words[1])).Render(),
            "hypercalls" => Hypercalls(words.Length > 1 ? int.Parse(words[1], NumberStyles.None, CultureInfo.InvariantCulture) : DefaultHypercallsListed),
            "reverse-step" => MonitorReverse(step: true),
            "reverse-continue" => MonitorReverse(step: false),
            "where" => $"EIP 0x{_engine.LinearEip():x8} (linear), virtual time {_engine.Cpu.Clock.Now}, CPL {_engine.Cpu.Cpl}\n",
            _ => $"unknown monitor command '{words[0]}'\n" + MonitorHelp,
        };
        return Convert.ToHexString(Encoding.UTF8.GetBytes(output)).ToLowerInvariant();
    }

    /// <summary>"break ADDR [if CONDITION]" (the engine's own breakpoint, condition evaluated in the stub); "break ADDR off" removes it.</summary>
    private string BreakWithCondition(string rest, bool physical)
    {
        string where = physical ? "physical " : "";
        int space = rest.IndexOf(' ');
        string addressText = space < 0 ? rest : rest[..space];
        string tail = space < 0 ? "" : rest[(space + 1)..].Trim();
        uint address = ParseHexU(addressText.StartsWith("0x", StringComparison.OrdinalIgnoreCase) ? addressText[2..] : addressText);
        if (tail == "off")
            return (physical ? _engine.RemovePhysicalBreakpoint(address) : _engine.RemoveBreakpoint(address))
                ? $"breakpoint at {where}0x{address:x8} removed\n" : $"no breakpoint at {where}0x{address:x8}\n";
        BreakpointCondition? condition = null;
        if (tail.StartsWith("if ", StringComparison.Ordinal))
        {
            try { condition = BreakpointCondition.Parse(tail[3..]); }
            catch (FormatException e) { return $"bad condition: {e.Message}\n"; }
        }
        else if (tail.Length > 0) return "usage: break ADDR [if CONDITION] | break ADDR off\n";
        if (physical) _engine.AddPhysicalBreakpoint(address, condition); else _engine.AddBreakpoint(address, condition);
        return $"breakpoint at {where}0x{address:x8}{(condition != null ? " if " + condition.Text : "")}\n";
    }

    /// <summary>"watch-physical ADDR LEN [off]": stop after a write into physical memory, whoever maps it.</summary>
    private string WatchPhysical(string[] words)
    {
        uint address = ParseNumber(words[1]), length = ParseNumber(words[2]);
        if (words.Length > 3 && words[3] == "off")
            return _engine.RemovePhysicalWriteWatch(address, length) ? "physical watchpoint removed\n" : "no such physical watchpoint\n";
        return _engine.AddPhysicalWriteWatch(address, length)
            ? $"stopping after writes to physical 0x{address:x8}..0x{(ulong)address + length - 1:x8}\n"
            : $"bad range: 1 to {DebugEngine.MaxWatchLength} bytes below 4 GiB\n";
    }

    /// <summary>A number in hex with 0x, else decimal (monitor arguments).</summary>
    private static uint ParseNumber(string t) =>
        t.StartsWith("0x", StringComparison.OrdinalIgnoreCase)
            ? uint.Parse(t[2..], NumberStyles.HexNumber, CultureInfo.InvariantCulture)
            : uint.Parse(t, CultureInfo.InvariantCulture);

    /// <summary>"break-port 0x3f8" adds, "break-port 0x3f8 off" removes (numbers in hex with 0x, else decimal).</summary>
    private static string Toggle(string[] words, Action<uint> add, Func<uint, bool> remove, string what)
    {
        string t = words[1];
        uint n = ParseNumber(t);
        if (words.Length > 2 && words[2] == "off") return remove(n) ? $"{what} {t} breakpoint removed\n" : $"no {what} {t} breakpoint\n";
        add(n);
        return $"stopping at {what} {t}\n";
    }

    private const string MonitorHelp =
        "monitor commands:\n" +
        "  break ADDR [if COND] | break ADDR off  an execution breakpoint with a condition, e.g.\n" +
        "                                  break 0x107380 if eax == 0x10 && [esp+4] != 0 || cpl == 3\n" +
        "  break-physical ADDR [if COND] | off  an execution breakpoint at a physical address (any mapping)\n" +
        "  watch-physical ADDR LEN [off]   stop after writes to physical memory (the hypervisor's too)\n" +
        "  break-hypercall [NAME|N|any|off]  stop after every hypercall, or those named NAME or numbered N (mmu_update, 1)\n" +
        "  break-port PORT [off]           stop after each IN/OUT on PORT (0x3f8, 0x80 ...)\n" +
        "  break-vector N [off]            stop when exception or interrupt N is delivered (14: #PF)\n" +
        "  info                            every breakpoint with its hit count\n" +
        "  walk ADDR                       translate a linear address through the current page tables\n" +
        "  hypercalls [N]                  the last N (10) hypercalls with decoded arguments and results\n" +
        "  reverse-step | reverse-continue back one instruction, or to the latest stop event (gdb's own\n" +
        "                                  reverse-stepi / reverse-continue do the same and refresh registers)\n" +
        "  where                           the next instruction's linear address, virtual time and CPL\n";

    /// <summary>"break-hypercall mmu_update", "break-hypercall 1" (a number: decimal or 0x-hex), "any" or "off".</summary>
    private string BreakHypercall(string what)
    {
        if (what is "off" or "any")
        {
            _engine.HypercallBreak = what == "off" ? null : _ => true;
            return what == "off" ? "hypercall breakpoints off\n" : "stopping after every hypercall\n";
        }
        if (!XenAbi.TryResolveHypercall(what, out string name)) return $"unknown hypercall '{what}'\n";
        _engine.HypercallBreak = e => e.Name == name;
        return $"stopping after {name}\n";
    }

    private const int DefaultHypercallsListed = 10;

    /// <summary>"hypercalls [N]": the last N hypercalls, oldest first, with the tick (instructions executed) each completed at.</summary>
    private string Hypercalls(int n)
    {
        if (_hypercalls == null) return "no hypercall log: hypercalls are made under -machine xen\n";
        if (n < 1) return "usage: hypercalls [N] with N at least 1\n";
        // After going back in time the log still holds the calls of the history ahead: list those before now.
        ulong now = _engine.Cpu.Clock.Now;
        var (entries, ahead) = _hypercalls.RecentUpTo(n, now);
        if (entries.Count == 0) return ahead > 0 ? $"no hypercalls before virtual time {now} ({ahead} later in the recorded history)\n" : "no hypercalls yet\n";
        return string.Concat(entries.Select(e => $"#{e.Sequence} tick {e.Call.Tick}: {e.Summary()}\n")) +
               (ahead > 0 ? $"({ahead} later calls in the recorded history, after virtual time {now})\n" : "");
    }

    private void Send(string text, bool raw = false)
    {
        byte[] bytes = raw ? Encoding.Latin1.GetBytes(text) : GdbPacketReader.Frame(text);
        lock (_writeLock)
        {
            try
            {
                _stream.Write(bytes);
                _stream.Flush();
            }
            catch (IOException) { }
            catch (ObjectDisposedException) { }
        }
    }

    private static (uint Address, int Length) AddressAndLength(string text)
    {
        int comma = text.IndexOf(',');
        if (comma < 0) throw new FormatException("expected ADDR,LENGTH");
        return (ParseHexU(text[..comma]), ParseHex(text[(comma + 1)..]));
    }

    private static int ParseHex(string s) => int.Parse(s, NumberStyles.HexNumber, CultureInfo.InvariantCulture);
    private static uint ParseHexU(string s) => uint.Parse(s, NumberStyles.HexNumber, CultureInfo.InvariantCulture);
    private static string FromHex(string hex) => Encoding.UTF8.GetString(Convert.FromHexString(hex));
}
