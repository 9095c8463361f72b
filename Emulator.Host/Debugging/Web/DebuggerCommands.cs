using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;
using Emulator.Core.Debugging;
using Emulator.Core.Hypervisor;

namespace Emulator.Host.Debugging.Web;

/// <summary>
/// Carries out the web debugger's requests on the engine (one instance per server, shared by its
/// sessions): run control, breakpoints of every kind, memory, page-table walks and hypercall
/// details. Anything wrong with a request is a <see cref="DebuggerRequestException"/> whose
/// message becomes the error reply; reads of machine state need the machine stopped.
/// </summary>
public sealed class DebuggerCommands
{
    /// <summary>The most bytes one memory request reads.</summary>
    public const int MaxMemoryBytes = 4096;

    private readonly DebuggedMachine _m;
    private readonly GuestDisassembler _disassembler;
    private readonly object _hypercallGate = new();
    private readonly HashSet<string> _hypercallBreaks = new(StringComparer.Ordinal); // names, "any"

    public DebuggerCommands(DebuggedMachine machine)
    {
        _m = machine;
        _disassembler = new GuestDisassembler(machine.Engine.Cpu, machine.Symbols);
    }

    private DebugEngine Engine => _m.Engine;

    /// <summary>The state to show: registers and code while stopped, or that it runs.</summary>
    public JsonObject State() => Engine.CurrentStop is { } stop && stop.Kind != StopKind.Exited
        ? DebuggerProtocol.StoppedState(_m, stop, _disassembler, AllBreakpoints())
        : Engine.CurrentStop is { Kind: StopKind.Exited } exited
            ? new JsonObject { ["type"] = "state", ["running"] = false, ["exited"] = true, ["stops"] = Engine.StopCount, ["detail"] = exited.Detail, ["exitStatus"] = exited.ExitStatus }
            : DebuggerProtocol.RunningState(_m);

    /// <summary>Carries out one request; returns the reply's fields (the session adds type, id and cmd).</summary>
    public JsonObject Execute(JsonObject request)
    {
        string cmd = DebuggerProtocol.Command(request);
        switch (cmd)
        {
            case "state": return State();
            case "step": Stopped(); Engine.Step(); return Ok();
            case "stepOver": Stopped(); Engine.StepOver(); return Ok();
            case "continue": Stopped(); Engine.Continue(); return Ok();
            case "runToHypercall":
                Stopped();
                if (_m.Hypercalls == null) throw new DebuggerRequestException("no hypercalls to run to: this is not a -machine xen run");
                Engine.RunUntil(RunUntilEvent.Hypercall);
                return Ok();
            case "reverseStep": Stopped(); Engine.ReverseStep(); return Ok();
            case "reverseContinue": Stopped(); Engine.ReverseContinue(); return Ok();
            case "pause":
                // Only a running machine is paused: a request left pending would stop the next resume at once.
                if (Engine.CurrentStop == null) Engine.RequestPause();
                return Ok();
            case "kill": Engine.Kill(); return Ok();
            case "memory": return Memory(request);
            case "walk":
                Stopped();
                return DebuggerProtocol.Walk(PageTableWalk.Of(Engine.Cpu, DebuggerProtocol.Number(request, "address")));
            case "hypercall": return HypercallDetail(request);
            case "hypercalls": return RecentHypercalls(request);
            case "break": return AddBreakpoint(request);
            case "unbreak":
                {
                    bool physical = DebuggerProtocol.Physical(request);
                    uint address = DebuggerProtocol.Number(request, "address");
                    return Done(physical ? Engine.RemovePhysicalBreakpoint(address) : Engine.RemoveBreakpoint(address), "no breakpoint at that address");
                }
            case "breakHypercall": return BreakHypercall(request, add: true);
            case "unbreakHypercall": return BreakHypercall(request, add: false);
            case "breakPort": Engine.AddPortBreakpoint((ushort)DebuggerProtocol.Number(request, "port", 0xFFFF)); return Listed();
            case "unbreakPort": return Done(Engine.RemovePortBreakpoint((ushort)DebuggerProtocol.Number(request, "port", 0xFFFF)), "no breakpoint on that port");
            case "breakVector": Engine.AddVectorBreakpoint((byte)DebuggerProtocol.Number(request, "vector", 0xFF)); return Listed();
            case "unbreakVector": return Done(Engine.RemoveVectorBreakpoint((byte)DebuggerProtocol.Number(request, "vector", 0xFF)), "no breakpoint on that vector");
            case "watch":
                {
                    Stopped();
                    var (address, length, kind, physical) = WatchOf(request);
                    return Done(Engine.AddMemoryWatch(address, length, kind, physical),
                        $"cannot watch that range: 1 to {DebugEngine.MaxWatchLength} bytes, not past 4 GiB" +
                        $"{(physical ? "" : ", every page of it mapped")}{(kind == WatchKind.Write ? "" : ", RAM only")}");
                }
            case "unwatch":
                {
                    var (address, length, kind, physical) = WatchOf(request);
                    return Done(Engine.RemoveMemoryWatch(address, length, kind, physical), "no such watch");
                }
            case "breakpoints": return Listed();
            default: throw new DebuggerRequestException($"unknown command '{(cmd.Length > 40 ? cmd[..40] + "..." : cmd)}'");
        }
    }

    private static JsonObject Ok() => new() { ["ok"] = true };

    private JsonObject Listed() => new() { ["ok"] = true, ["breakpoints"] = AllBreakpoints() };

    private JsonObject Done(bool done, string otherwise) => done ? Listed() : throw new DebuggerRequestException(otherwise);

    /// <summary>The engine's breakpoints and the hypercall ones this front end set.</summary>
    private JsonArray AllBreakpoints()
    {
        var list = DebuggerProtocol.Breakpoints(Engine);
        lock (_hypercallGate)
            foreach (var h in _hypercallBreaks.Order(StringComparer.Ordinal)) list.Add(new JsonObject { ["what"] = $"hypercall {h}", ["hits"] = null });
        return list;
    }

    private void Stopped()
    {
        var stop = Engine.CurrentStop;
        if (stop == null) throw new DebuggerRequestException("the machine is running: pause it first");
        if (stop.Kind == StopKind.Exited) throw new DebuggerRequestException("the run is over");
    }

    private JsonObject AddBreakpoint(JsonObject request)
    {
        uint address = DebuggerProtocol.Number(request, "address");
        string? text = DebuggerProtocol.Text(request, "condition")?.Trim();
        BreakpointCondition? condition = null;
        if (!string.IsNullOrEmpty(text))
        {
            try { condition = BreakpointCondition.Parse(text); }
            catch (FormatException e) { throw new DebuggerRequestException($"bad condition: {e.Message}"); }
        }
        if (DebuggerProtocol.Physical(request)) Engine.AddPhysicalBreakpoint(address, condition);
        else Engine.AddBreakpoint(address, condition);
        return Listed();
    }

    /// <summary>A hypercall breakpoint by name ("mmu_update"), number ("1" or "0x1") or "any".</summary>
    private JsonObject BreakHypercall(JsonObject request, bool add)
    {
        if (_m.Hypercalls == null) throw new DebuggerRequestException("no hypercalls to break on: this is not a -machine xen run");
        string what = DebuggerProtocol.Text(request, "what")?.Trim() ?? (request["what"] != null ? DebuggerProtocol.Number(request, "what").ToString(CultureInfo.InvariantCulture) : "");
        string name = HypercallName(what);
        lock (_hypercallGate)
        {
            if (add) _hypercallBreaks.Add(name);
            else if (!_hypercallBreaks.Remove(name)) throw new DebuggerRequestException($"no hypercall breakpoint on {name}");
            var names = _hypercallBreaks.ToHashSet(StringComparer.Ordinal);
            Engine.HypercallBreak = names.Count == 0 ? null : names.Contains("any") ? _ => true : e => names.Contains(e.Name);
        }
        return Listed();
    }

    /// <summary>A watch request's range, kind and address space.</summary>
    private static (uint Address, uint Length, WatchKind Kind, bool Physical) WatchOf(JsonObject request) =>
        (DebuggerProtocol.Number(request, "address"), DebuggerProtocol.Number(request, "length", DebugEngine.MaxWatchLength),
         WatchKindOf(request), DebuggerProtocol.Physical(request));

    /// <summary>"kind": "write" (the default), "read" or "access".</summary>
    private static WatchKind WatchKindOf(JsonObject request)
    {
        var node = request["kind"];
        if (node == null) return WatchKind.Write;
        string? kind = node.GetValueKind() == System.Text.Json.JsonValueKind.String ? (string?)node : null;
        return kind switch
        {
            "write" => WatchKind.Write,
            "read" => WatchKind.Read,
            "access" => WatchKind.Access,
            _ => throw new DebuggerRequestException("\"kind\" must be write, read or access"),
        };
    }

    private static string HypercallName(string what)
    {
        if (what.Length == 0) throw new DebuggerRequestException("\"what\" is missing: a hypercall name, number or any");
        if (what == "any") return what;
        if (XenAbi.TryResolveHypercall(what, out string name)) return name;
        throw new DebuggerRequestException($"unknown hypercall '{(what.Length > 40 ? what[..40] + "..." : what)}'");
    }

    private JsonObject Memory(JsonObject request)
    {
        Stopped();
        uint address = DebuggerProtocol.Number(request, "address");
        int length = (int)DebuggerProtocol.Number(request, "length", MaxMemoryBytes);
        bool physical = DebuggerProtocol.Physical(request);
        var bytes = new byte[length];
        var readable = new bool[length];
        if (!physical)
        {
            int n = Engine.ReadMemory(address, bytes);
            for (int k = 0; k < n; k++) readable[k] = true;
        }
        else
        {
            for (int k = 0; k < length; k++)
            {
                uint a = address + (uint)k;
                if (a < address || !_m.Memory.IsRam(a, 1)) continue; // only RAM: a device's registers are not read behind its back
                bytes[k] = _m.Memory.Read8(a);
                readable[k] = true;
            }
        }
        var hex = new StringBuilder(length * 2);
        for (int k = 0; k < length; k++) hex.Append(readable[k] ? bytes[k].ToString("x2", CultureInfo.InvariantCulture) : "??");
        return new JsonObject { ["address"] = DebuggerProtocol.Hex(address), ["space"] = physical ? "physical" : "virtual", ["length"] = length, ["hex"] = hex.ToString() };
    }

    private JsonObject HypercallDetail(JsonObject request)
    {
        if (_m.Hypercalls == null) throw new DebuggerRequestException("no hypercall log: this is not a -machine xen run");
        long seq = DebuggerProtocol.Number(request, "seq");
        var entry = _m.Hypercalls.Find(seq) ?? throw new DebuggerRequestException($"hypercall #{seq} is not in the log (any more)");
        return new JsonObject { ["entry"] = DebuggerProtocol.Hypercall(entry, _m, detail: true) };
    }

    private JsonObject RecentHypercalls(JsonObject request)
    {
        var list = new JsonArray();
        if (_m.Hypercalls != null)
            foreach (var e in _m.Hypercalls.Recent(request["count"] != null ? (int)DebuggerProtocol.Number(request, "count", 4096) : 100))
                list.Add(DebuggerProtocol.Hypercall(e, _m, detail: false));
        return new JsonObject { ["entries"] = list };
    }
}
