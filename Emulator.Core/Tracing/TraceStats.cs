using System.Globalization;
using System.Text;

namespace Emulator.Core.Tracing;

/// <summary>What a trace holds: events per type, hypercalls per name (with failures per errno), and how it ended.</summary>
public sealed class TraceStats
{
    public sealed record HypercallCount(string Name, int Calls, int Failures, IReadOnlyDictionary<string, int> Errnos);

    private TraceStats(TraceFile file, IReadOnlyDictionary<string, int> perType, IReadOnlyList<HypercallCount> hypercalls)
    {
        File = file;
        PerType = perType;
        Hypercalls = hypercalls;
    }

    public TraceFile File { get; }
    /// <summary>Events per type, in order of first appearance.</summary>
    public IReadOnlyDictionary<string, int> PerType { get; }
    /// <summary>Hypercalls per name, most frequent first (then by name).</summary>
    public IReadOnlyList<HypercallCount> Hypercalls { get; }

    public static TraceStats Of(TraceFile file)
    {
        var perType = new Dictionary<string, int>(StringComparer.Ordinal);
        var order = new List<string>();
        var calls = new Dictionary<string, (int Calls, int Failures, Dictionary<string, int> Errnos)>(StringComparer.Ordinal);
        foreach (var e in file.Entries)
        {
            if (perType.TryGetValue(e.Type, out int n)) perType[e.Type] = n + 1;
            else { perType[e.Type] = 1; order.Add(e.Type); }

            if (e.HypercallName is not { } name) continue;
            if (!calls.TryGetValue(name, out var c)) c = (0, 0, new Dictionary<string, int>(StringComparer.Ordinal));
            c.Calls++;
            if (e.Fields["result"]?.GetValue<long>() < 0)
            {
                c.Failures++;
                string errno = e.Fields["errno"]?.GetValue<string>() ?? "?";
                c.Errnos[errno] = c.Errnos.GetValueOrDefault(errno) + 1;
            }
            calls[name] = c;
        }
        var ordered = order.ToDictionary(t => t, t => perType[t]);
        var hypercalls = calls
            .Select(kv => new HypercallCount(kv.Key, kv.Value.Calls, kv.Value.Failures, kv.Value.Errnos))
            .OrderByDescending(h => h.Calls).ThenBy(h => h.Name, StringComparer.Ordinal).ToList();
        return new TraceStats(file, ordered, hypercalls);
    }

    public string Report()
    {
        var sb = new StringBuilder();
        var f = File;
        sb.Append(CultureInfo.InvariantCulture,
            $"{f.Name}: {f.Entries.Count} events at level {f.Level}, i = {f.Entries[0].I} .. {f.Entries[^1].I}\n");
        if (f.End is { } end)
            sb.Append(CultureInfo.InvariantCulture,
                $"ended: {end.Fields["reason"]?.GetValue<string>()}, exit status {end.Fields["status"]}: {end.Fields["message"]?.GetValue<string>()}\n");
        else
            sb.Append("ended: truncated (no \"end\" event)\n");

        sb.Append("\nevents per type:\n");
        var types = new TextTable("type", "events");
        foreach (var (type, n) in PerType) types.Add(type, n.ToString(CultureInfo.InvariantCulture));
        sb.Append(types.Render());

        if (Hypercalls.Count > 0)
        {
            sb.Append("\nhypercalls per name:\n");
            var table = new TextTable("hypercall", "calls", "failed", "errors").LeftAlign(3);
            foreach (var h in Hypercalls)
                table.Add(h.Name, h.Calls.ToString(CultureInfo.InvariantCulture), h.Failures.ToString(CultureInfo.InvariantCulture),
                    string.Join(" ", h.Errnos.OrderBy(kv => kv.Key, StringComparer.Ordinal).Select(kv => $"{kv.Key}×{kv.Value}")));
            sb.Append(table.Render());
        }
        return sb.ToString();
    }
}
