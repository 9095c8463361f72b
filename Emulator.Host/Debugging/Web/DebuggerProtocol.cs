using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Emulator.Core.Debugging;
using CpuCore = Emulator.Core.Cpu.Cpu;

namespace Emulator.Host.Debugging.Web;

/// <summary>
/// The web debugger's messages (JSON over the WebSocket). A request is an object with "cmd", an
/// optional "id" echoed in the reply, and the command's fields; numbers are JSON numbers or
/// strings, "0x..." in hex. Replies are {"type":"reply","id","cmd",...} or
/// {"type":"error","id","error"}; the server also pushes "state" (after every stop and when the
/// machine starts running), "console", "trace" and "hypercalls" messages.
/// </summary>
public static class DebuggerProtocol
{
    /// <summary>The largest request taken; a longer one is answered with an error and dropped.</summary>
    public const int MaxRequestBytes = 16 * 1024;

    /// <summary>Parses a request: an object with a string "cmd".</summary>
    public static JsonObject ParseRequest(ReadOnlySpan<byte> utf8)
    {
        JsonNode? node;
        try { node = JsonNode.Parse(utf8, documentOptions: new JsonDocumentOptions { MaxDepth = 8 }); }
        catch (JsonException e) { throw new DebuggerRequestException($"not JSON: {e.Message}"); }
        if (node is not JsonObject o) throw new DebuggerRequestException("a request is a JSON object with \"cmd\"");
        if (o["cmd"] is not JsonValue cmd || cmd.GetValueKind() != JsonValueKind.String)
            throw new DebuggerRequestException("a request needs \"cmd\" (a string)");
        return o;
    }

    public static string Command(JsonObject request) => request["cmd"]!.GetValue<string>();

    /// <summary>The request's "id" when it is a number or a string (echoed in the reply), else null.</summary>
    public static JsonNode? Id(JsonObject? request) =>
        request?["id"] is JsonValue v && v.GetValueKind() is JsonValueKind.Number or JsonValueKind.String ? v.DeepClone() : null;

    /// <summary>A required number field at most <paramref name="max"/>: a JSON number, or a string in decimal or "0x" hex.</summary>
    public static uint Number(JsonObject request, string field, uint max = uint.MaxValue)
    {
        if (!request.TryGetPropertyValue(field, out var node) || node == null)
            throw new DebuggerRequestException($"\"{field}\" is missing");
        ulong value;
        if (node is JsonValue v && v.GetValueKind() == JsonValueKind.Number)
        {
            if (!v.TryGetValue(out long n) || n < 0) throw new DebuggerRequestException($"\"{field}\": {v.ToJsonString()} is not a whole number from 0 to {max}");
            value = (ulong)n;
        }
        else if (node is JsonValue s && s.GetValueKind() == JsonValueKind.String)
        {
            string t = s.GetValue<string>().Trim();
            bool ok = t.StartsWith("0x", StringComparison.OrdinalIgnoreCase)
                ? ulong.TryParse(t.AsSpan(2), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out value)
                : ulong.TryParse(t, NumberStyles.None, CultureInfo.InvariantCulture, out value);
            if (!ok) throw new DebuggerRequestException($"\"{field}\": '{Clip(t)}' is not a number (decimal, or hex with 0x)");
        }
        else throw new DebuggerRequestException($"\"{field}\" must be a number");
        if (value > max) throw new DebuggerRequestException($"\"{field}\": {value} is out of range (at most {max})");
        return (uint)value;
    }

    /// <summary>The optional "space": "virtual" (the default: linear addresses through the page tables) or "physical".</summary>
    public static bool Physical(JsonObject request) => request["space"] is null ? false : Text(request, "space") switch
    {
        "virtual" => false,
        "physical" => true,
        _ => throw new DebuggerRequestException("\"space\" must be virtual or physical"),
    };

    /// <summary>An optional string field, or null.</summary>
    public static string? Text(JsonObject request, string field) =>
        request[field] is JsonValue v && v.GetValueKind() == JsonValueKind.String ? v.GetValue<string>() : null;

    private static string Clip(string s) => s.Length > 40 ? s[..40] + "..." : s;

    public static string Hex(uint v) => "0x" + v.ToString("x8", CultureInfo.InvariantCulture);

    /// <summary>The machine's state for the page: registers, the stop, the disassembly around EIP and the breakpoints (the machine must be stopped).</summary>
    public static JsonObject StoppedState(DebuggedMachine m, DebugStop stop, GuestDisassembler disassembler, JsonArray breakpoints)
    {
        var cpu = m.Engine.Cpu;
        var registers = new JsonObject();
        string[] names = ["eax", "ecx", "edx", "ebx", "esp", "ebp", "esi", "edi"];
        for (int r = 0; r < 8; r++) registers[names[r]] = Hex(cpu.Regs[r]);
        registers["eip"] = Hex(cpu.Eip);
        registers["eflags"] = Hex(cpu.GetEflags());
        string[] segments = ["es", "cs", "ss", "ds", "fs", "gs"];
        foreach (int s in new[] { CpuCore.CS, CpuCore.SS, CpuCore.DS, CpuCore.ES, CpuCore.FS, CpuCore.GS })
            registers[segments[s]] = "0x" + cpu.Segs[s].Selector.ToString("x4", CultureInfo.InvariantCulture);
        registers["cr0"] = Hex(cpu.Cr0);
        registers["cr2"] = Hex(cpu.Cr2);
        registers["cr3"] = Hex(cpu.Cr3);
        registers["cr4"] = Hex(cpu.Cr4);
        registers["cpl"] = cpu.Cpl.ToString(CultureInfo.InvariantCulture);

        uint eip = m.Engine.LinearEip();
        var lines = new JsonArray();
        foreach (var l in disassembler.Around(eip, before: 6, after: 14))
            lines.Add(new JsonObject
            {
                ["address"] = Hex(l.Address), ["symbol"] = l.Symbol, ["bytes"] = l.Bytes, ["text"] = l.Text, ["current"] = l.IsCurrent,
            });
        return new JsonObject
        {
            ["type"] = "state",
            ["running"] = false,
            ["exited"] = stop.Kind == StopKind.Exited,
            ["stop"] = new JsonObject
            {
                ["kind"] = stop.Kind.ToString().ToLowerInvariant(), ["eip"] = Hex(stop.Eip), ["tick"] = stop.Tick, ["detail"] = stop.Detail,
            },
            ["stops"] = m.Engine.StopCount,
            ["tick"] = cpu.Clock.Now,
            ["where"] = m.Symbols.Describe(eip),
            ["flags"] = FlagNames(cpu.GetEflags()),
            ["registers"] = registers,
            ["disassembly"] = lines,
            ["screen"] = Screen(m),
            ["breakpoints"] = breakpoints,
        };
    }

    /// <summary>The state pushed while the machine runs (nothing of it can be read consistently then).</summary>
    public static JsonObject RunningState(DebuggedMachine m) => new()
    {
        ["type"] = "state", ["running"] = true, ["exited"] = false, ["stops"] = m.Engine.StopCount, ["tick"] = m.Engine.Cpu.Clock.Now,
    };

    private static JsonArray Screen(DebuggedMachine m)
    {
        var rows = new JsonArray();
        if (m.Vga != null) foreach (var line in m.Vga.RenderLines()) rows.Add(line);
        return rows;
    }

    public static JsonArray Breakpoints(DebugEngine engine)
    {
        var list = new JsonArray();
        foreach (var (what, hits) in engine.Breakpoints()) list.Add(new JsonObject { ["what"] = what, ["hits"] = hits });
        return list;
    }

    private static string FlagNames(uint eflags)
    {
        var names = new List<string>();
        (uint Bit, string Name)[] flags = [(1u << 0, "CF"), (1u << 2, "PF"), (1u << 4, "AF"), (1u << 6, "ZF"), (1u << 7, "SF"), (1u << 8, "TF"), (1u << 9, "IF"), (1u << 10, "DF"), (1u << 11, "OF")];
        foreach (var (bit, name) in flags) if ((eflags & bit) != 0) names.Add(name);
        names.Add($"IOPL={(eflags >> 12) & 3}");
        return string.Join(' ', names);
    }

    /// <summary>One hypercall log entry: the summary in the list; with <paramref name="detail"/> its decoded arguments, registers and context.</summary>
    public static JsonObject Hypercall(HypercallLogEntry e, DebuggedMachine m, bool detail)
    {
        var o = new JsonObject
        {
            ["seq"] = e.Sequence,
            ["tick"] = e.Call.Tick,
            ["name"] = e.Name,
            ["number"] = e.Call.Number,
            ["result"] = e.Call.Result,
            ["error"] = e.ErrorName,
            ["summary"] = e.Summary(),
        };
        if (!detail) return o;
        o["arguments"] = e.Arguments.DeepClone();
        o["registers"] = new JsonObject
        {
            ["ebx"] = Hex(e.Call.Arg1), ["ecx"] = Hex(e.Call.Arg2), ["edx"] = Hex(e.Call.Arg3), ["esi"] = Hex(e.Call.Arg4), ["edi"] = Hex(e.Call.Arg5),
        };
        var c = e.Context;
        o["context"] = new JsonObject
        {
            ["eip"] = Hex(c.Eip), ["eipSymbol"] = m.Symbols.Describe(c.Eip),
            ["esp"] = Hex(c.Esp),
            ["returnAddress"] = c.ReturnAddress is { } r ? Hex(r) : null, ["returnSymbol"] = c.ReturnAddress is { } r2 ? m.Symbols.Describe(r2) : null,
            ["cr3"] = Hex(c.Cr3), ["cpl"] = c.Cpl, ["inMulticall"] = e.Call.InMulticall,
        };
        return o;
    }

    /// <summary>A page-table walk for the page.</summary>
    public static JsonObject Walk(PageTableWalk w)
    {
        var levels = new JsonArray();
        foreach (var l in w.Levels)
            levels.Add(new JsonObject { ["name"] = l.Name, ["entryAddress"] = Hex(l.EntryAddress), ["value"] = "0x" + l.Value.ToString("x16", CultureInfo.InvariantCulture), ["flags"] = l.Flags });
        return new JsonObject
        {
            ["linear"] = Hex(w.Linear), ["mode"] = w.Mode, ["cr3"] = Hex(w.Cr3), ["levels"] = levels,
            ["physical"] = w.TablesPhysical is { } p ? Hex(p) : null,
            ["cpuPhysical"] = w.Physical is { } q ? Hex(q) : null,
            ["stoppedAt"] = w.StoppedAt,
            ["text"] = w.Render(),
        };
    }
}
