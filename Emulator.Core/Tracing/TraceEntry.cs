using System.Text.Json.Nodes;

namespace Emulator.Core.Tracing;

/// <summary>
/// One event read back from a trace file: its line number (1-based), virtual time, type, the whole
/// object as parsed, and the line as written (for reports).
/// </summary>
public sealed record TraceEntry(int Line, ulong I, string Type, JsonObject Fields, string Text)
{
    /// <summary>The hypercall name of a "hypercall" event; null for other events.</summary>
    public string? HypercallName => Type == "hypercall" ? Fields["name"]?.GetValue<string>() : null;
}
