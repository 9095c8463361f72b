using System.Globalization;

namespace Emulator.Core.Input;

/// <summary>
/// The text format of an input log (`emu run -input-record FILE` / `-input-replay FILE`): one event
/// per line, <c>TICK key CODE down|up</c>, with TICK the instruction count the event enters the
/// machine at (decimal) and CODE its set-1 scan code in hex (<c>1e</c>, <c>e048</c> for an extended
/// key). Blank lines and lines starting with <c>#</c> are ignored; ticks never decrease.
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
            var e = ParseLine(t) ?? throw new FormatException(
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

    private static string Shorten(string s) => s.Length <= 60 ? s : s[..60] + "...";
}
