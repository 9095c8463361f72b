using System.Text;
using System.Text.Json.Nodes;
using Emulator.Core.Hypervisor;

namespace Emulator.Core.Debugging;

/// <summary>
/// One hypercall as the debugger remembers it: its sequence number in the run, the call (tick =
/// instructions executed when it completed, number, argument registers, result), its arguments
/// decoded when it completed (the structures it read from guest memory included, see
/// <see cref="HypercallTraceDecoder"/>) and the guest context it returned to.
/// </summary>
public sealed record HypercallLogEntry(long Sequence, HypercallEvent Call, JsonObject Arguments, HypercallContext Context)
{
    public string Name => Call.Name;

    /// <summary>"-EINVAL"-style name of a failed call's result, else null.</summary>
    public string? ErrorName => Call.Result < 0 ? HypercallTraceDecoder.ErrnoName(-Call.Result) : null;

    /// <summary>"mmu_update(reqs=0x..., count=1, entries=[{ptr=0x..., cmd=normal_pt_update, val=0x...}]) = 0".</summary>
    public string Summary()
    {
        var sb = new StringBuilder(Name).Append('(');
        AppendFields(sb, Arguments);
        sb.Append(") = ").Append(Call.Result);
        if (ErrorName is { } e) sb.Append(" (").Append(e).Append(')');
        return sb.ToString();
    }

    private static void AppendFields(StringBuilder sb, JsonObject o)
    {
        bool first = true;
        foreach (var (key, value) in o)
        {
            if (!first) sb.Append(", ");
            first = false;
            sb.Append(key).Append('=');
            AppendValue(sb, value);
        }
    }

    private static void AppendValue(StringBuilder sb, JsonNode? value)
    {
        switch (value)
        {
            case null: sb.Append("null"); break;
            case JsonObject o: sb.Append('{'); AppendFields(sb, o); sb.Append('}'); break;
            case JsonArray a:
                sb.Append('[');
                for (int k = 0; k < a.Count; k++)
                {
                    if (k > 0) sb.Append(", ");
                    AppendValue(sb, a[k]);
                }
                sb.Append(']');
                break;
            case JsonValue v when v.TryGetValue(out string? s): sb.Append(s); break;
            default: sb.Append(value.ToJsonString()); break;
        }
    }
}

/// <summary>Where the guest was when a hypercall completed: EIP (linear), ESP, the dword at ESP (the caller's return address when it went through the hypercall page), CR3 and CPL.</summary>
public readonly record struct HypercallContext(uint Eip, uint Esp, uint? ReturnAddress, uint Cr3, int Cpl);
