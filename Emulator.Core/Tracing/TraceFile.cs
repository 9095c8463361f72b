using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Emulator.Core.Tracing;

/// <summary>
/// A trace file read back and checked: the "trace" header first (a format version this reader
/// knows), one JSON object per line with "i" (virtual time, never decreasing) and "type", and the
/// "end" event last. A file without its end event is truncated (the recording process was killed,
/// or the file was cut): an error unless the reader allows it, since comparing half a trace would
/// hide exactly the events a regression test is for.
/// </summary>
public sealed class TraceFile
{
    private TraceFile(string name, IReadOnlyList<TraceEntry> entries, string level, bool complete)
    {
        Name = name;
        Entries = entries;
        Level = level;
        IsComplete = complete;
    }

    /// <summary>What reports call this file (its path).</summary>
    public string Name { get; }
    /// <summary>Every event, the header and the end event included.</summary>
    public IReadOnlyList<TraceEntry> Entries { get; }
    /// <summary>The level the trace was recorded at, as the header gives it (boot, hypercall, full).</summary>
    public string Level { get; }
    /// <summary>False when the end event is missing (only with allowTruncated).</summary>
    public bool IsComplete { get; }
    public TraceEntry? End => IsComplete ? Entries[^1] : null;

    public static TraceFile Load(string path, bool allowTruncated = false)
    {
        string text;
        try { text = File.ReadAllText(path, Encoding.UTF8); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or ArgumentException or NotSupportedException)
        {
            throw new TraceFormatException(path, 0, $"cannot read the trace file: {e.Message}");
        }
        return Parse(text, path, allowTruncated);
    }

    public static TraceFile Parse(string text, string name, bool allowTruncated = false)
    {
        var entries = new List<TraceEntry>();
        bool sawEnd = false;
        int lineNumber = 0;
        int start = 0;
        while (start < text.Length)
        {
            int nl = text.IndexOf('\n', start);
            bool lastLineUnterminated = nl < 0;
            string line = lastLineUnterminated ? text[start..] : text[start..nl];
            start = lastLineUnterminated ? text.Length : nl + 1;
            lineNumber++;
            if (line.EndsWith('\r')) line = line[..^1];

            if (line.Trim().Length == 0)
            {
                // Only the file's end may be blank (a final newline is written after every event).
                if (start >= text.Length) break;
                throw new TraceFormatException(name, lineNumber, "empty line inside the trace");
            }
            if (sawEnd)
                throw new TraceFormatException(name, lineNumber, "event after the \"end\" event (two traces in one file?)");

            TraceEntry entry;
            try { entry = ParseLine(line, lineNumber); }
            catch (TraceLineException e)
            {
                // A broken last line without its newline is a write cut short: say so.
                if (lastLineUnterminated && allowTruncated) break;
                string why = lastLineUnterminated ? $"{e.Message} (the last line is cut short: the file is truncated)" : e.Message;
                throw new TraceFormatException(name, lineNumber, why);
            }

            if (entries.Count == 0)
                CheckHeader(entry, name);
            else if (entry.Type == "trace")
                throw new TraceFormatException(name, lineNumber, "a second \"trace\" header (two traces in one file?)");
            else if (entry.I < entries[^1].I)
                throw new TraceFormatException(name, lineNumber,
                    $"virtual time goes backwards: i={entry.I} after i={entries[^1].I} on line {entries[^1].Line}");
            entries.Add(entry);
            if (entry.Type == "end") sawEnd = true;
        }

        if (entries.Count == 0)
            throw new TraceFormatException(name, 0, "empty file: not a trace (a trace starts with its \"trace\" header)");
        if (!sawEnd && !allowTruncated)
            throw new TraceFormatException(name, entries[^1].Line,
                $"truncated trace: no \"end\" event after the last event (line {entries[^1].Line}, type \"{entries[^1].Type}\"); " +
                "the recording did not finish (use --allow-truncated to read it anyway)");
        string level = entries[0].Fields["level"]!.GetValue<string>();
        return new TraceFile(name, entries, level, sawEnd);
    }

    private static void CheckHeader(TraceEntry first, string name)
    {
        if (first.Type != "trace")
            throw new TraceFormatException(name, first.Line, $"not a trace: the first event is \"{first.Type}\", expected the \"trace\" header");
        if (first.Fields["version"] is not JsonValue v || !v.TryGetValue(out int version))
            throw new TraceFormatException(name, first.Line, "the \"trace\" header has no numeric \"version\"");
        if (version != TraceHeaderEvent.FormatVersion)
            throw new TraceFormatException(name, first.Line,
                $"trace format version {version} is not supported (this emu reads version {TraceHeaderEvent.FormatVersion})");
        if (first.Fields["level"] is not JsonValue l || !l.TryGetValue(out string? level) ||
            level is not ("boot" or "hypercall" or "full"))
            throw new TraceFormatException(name, first.Line, "the \"trace\" header has no \"level\" of boot, hypercall or full");
    }

    private sealed class TraceLineException(string message) : Exception(message);

    private static TraceEntry ParseLine(string line, int lineNumber)
    {
        JsonNode? node;
        try { node = JsonNode.Parse(line, documentOptions: new JsonDocumentOptions { MaxDepth = 32 }); }
        catch (JsonException e)
        {
            // System.Text.Json appends its own position ("LineNumber: 0 | BytePositionInLine: 57."): give the column instead.
            string why = e.Message;
            int at = why.IndexOf(" LineNumber:", StringComparison.Ordinal);
            if (at > 0) why = why[..at];
            string column = e.BytePositionInLine is long b ? $" at byte {b + 1}" : "";
            throw new TraceLineException($"not valid JSON{column}: {why}");
        }
        if (node is not JsonObject obj)
            throw new TraceLineException($"expected a JSON object, found {Describe(node)}");
        if (obj["i"] is not JsonValue iv || !iv.TryGetValue(out ulong i))
            throw new TraceLineException("the event has no \"i\" (virtual time, a whole number)");
        if (obj["type"] is not JsonValue tv || !tv.TryGetValue(out string? type) || type.Length == 0)
            throw new TraceLineException("the event has no \"type\" (a string)");
        return new TraceEntry(lineNumber, i, type, obj, line);
    }

    private static string Describe(JsonNode? node) => node switch
    {
        null => "null",
        JsonArray => "an array",
        _ => $"the value {node.ToJsonString()}",
    };
}
