using System.Globalization;
using System.Text.Json;

namespace Emulator.Core.Input;

/// <summary>
/// The text format of an input log (`emu run -input-record FILE` / `-input-replay FILE`): one event
/// per line, <c>TICK key CODE down|up</c>, with TICK the instruction count the event enters the
/// machine at (decimal) and CODE its set-1 scan code in hex (<c>1e</c>, <c>e048</c> for an extended
/// key). Blank lines and lines starting with <c>#</c> are ignored; ticks never decrease.
/// A trace (JSON Lines, `emu run -trace`) is read too: its <c>input</c> events are the log, so the
/// trace of a session is enough to replay it.
/// </summary>
public static class InputLogFile
{
    public const string Header = "# emu input log: TICK key SCANCODE(set 1, hex) down|up";

    public static string FormatLine(RecordedInput e) =>
        string.Create(CultureInfo.InvariantCulture, $"{e.Tick} key {e.Key.ScanCode:x2} {(e.Key.Pressed ? "down" : "up")}");

    /// <summary>Parses a whole log; a malformed line throws <see cref="FormatException"/> naming its line number.</summary>
    public static IReadOnlyList<RecordedInput> Parse(TextReader reader, string name = "input log")
    {
        var events = new List<RecordedInput>();
        ulong last = 0;
        int lineNumber = 0;
        string? line;
        while ((line = reader.ReadLine()) != null)
        {
            lineNumber++;
            string t = line.Trim();
            if (t.Length == 0 || t[0] == '#') continue;
            RecordedInput? parsed;
            if (t[0] == '{')
            {
                if (!TryParseTraceLine(t, out parsed, out string? error))
                    throw new FormatException($"{name}:{lineNumber}: {error}");
                if (parsed is null) continue; // another trace event
            }
            else parsed = ParseLine(t);
            var e = parsed ?? throw new FormatException(
                $"{name}:{lineNumber}: expected 'TICK key SCANCODE down|up' (e.g. '200000 key 1e down'), got '{Shorten(t)}'");
            if (e.Tick < last)
                throw new FormatException($"{name}:{lineNumber}: tick {e.Tick} is before the previous event's tick {last}");
            last = e.Tick;
            events.Add(e);
        }
        return events;
    }

    public static IReadOnlyList<RecordedInput> ParseFile(string path)
    {
        using var reader = new StreamReader(path);
        return Parse(reader, path);
    }

    private static RecordedInput? ParseLine(string line)
    {
        var parts = line.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries);
        if (parts.Length != 4 || parts[1] != "key") return null;
        if (!ulong.TryParse(parts[0], NumberStyles.None, CultureInfo.InvariantCulture, out ulong tick)) return null;
        if (parts[2].Length > 4 || !ushort.TryParse(parts[2], NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out ushort code)) return null;
        if (!KeyInput.IsValidScanCode(code)) return null;
        bool? pressed = parts[3] switch { "down" => true, "up" => false, _ => null };
        if (pressed is null) return null;
        return new RecordedInput(tick, new KeyInput(code, pressed.Value));
    }

    /// <summary>One line of a trace: an input event, null for any other event, false for a malformed line.</summary>
    private static bool TryParseTraceLine(string line, out RecordedInput? e, out string? error)
    {
        e = null;
        error = null;
        try
        {
            using var doc = JsonDocument.Parse(line);
            var root = doc.RootElement;
            if (root.ValueKind != JsonValueKind.Object || !root.TryGetProperty("type", out var type) || type.GetString() != "input")
                return true;
            if (root.TryGetProperty("i", out var i) && i.TryGetUInt64(out ulong tick) &&
                root.TryGetProperty("device", out var device) && device.GetString() == "keyboard" &&
                root.TryGetProperty("scancode", out var code) && code.GetString() is { } hex && hex.StartsWith("0x", StringComparison.Ordinal) &&
                ushort.TryParse(hex.AsSpan(2), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out ushort scanCode) &&
                KeyInput.IsValidScanCode(scanCode) &&
                root.TryGetProperty("action", out var action) && action.GetString() is "down" or "up")
            {
                e = new RecordedInput(tick, new KeyInput(scanCode, action.GetString() == "down"));
                return true;
            }
            error = $"a malformed input event in the trace: '{Shorten(line)}'";
            return false;
        }
        catch (JsonException ex)
        {
            error = $"not a JSON trace line ({ex.Message})";
            return false;
        }
    }

    private static string Shorten(string s) => s.Length <= 60 ? s : s[..60] + "...";
}
