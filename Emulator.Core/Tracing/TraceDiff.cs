using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;

namespace Emulator.Core.Tracing;

/// <summary>
/// Compares two traces event by event and finds the first divergence: the first position where
/// the events differ in any field, virtual time included (a guest that executes one instruction
/// more diverges at its next event), or where one trace ends and the other goes on. After that
/// point the traces are out of step, so only the first divergence is reported, with context and
/// the per-type counts of both files to show the size of the change.
/// </summary>
public sealed class TraceDiff
{
    /// <summary>Events shown before and after the divergence on each side unless told otherwise.</summary>
    public const int DefaultContext = 3;
    private const int MaxFieldDifferences = 8;
    private const int ContextLineWidth = 200;

    private TraceDiff(TraceFile a, TraceFile b, int? divergence, int context)
    {
        A = a;
        B = b;
        Divergence = divergence;
        Context = context;
    }

    public TraceFile A { get; }
    public TraceFile B { get; }
    /// <summary>The index (into both traces' events) of the first divergence; null when the traces are equivalent.</summary>
    public int? Divergence { get; }
    public int Context { get; }
    public bool IsEquivalent => Divergence == null;

    public static TraceDiff Compare(TraceFile a, TraceFile b, int context = DefaultContext)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(context);
        int common = Math.Min(a.Entries.Count, b.Entries.Count);
        for (int k = 0; k < common; k++)
            if (!Same(a.Entries[k], b.Entries[k])) return new TraceDiff(a, b, k, context);
        int? end = a.Entries.Count == b.Entries.Count ? null : common;
        return new TraceDiff(a, b, end, context);
    }

    /// <summary>Equal lines are equal events; otherwise the objects are compared as JSON (field order and spacing do not matter).</summary>
    private static bool Same(TraceEntry x, TraceEntry y) =>
        x.Text == y.Text || JsonNode.DeepEquals(x.Fields, y.Fields);

    /// <summary>A readable report: "equivalent", or the first divergence with context and per-type counts.</summary>
    public string Report()
    {
        var sb = new StringBuilder();
        if (Divergence is not int k)
        {
            sb.Append(CultureInfo.InvariantCulture, $"traces are equivalent: {A.Entries.Count} events, level {A.Level}");
            if (A.End is { } end) sb.Append(CultureInfo.InvariantCulture, $", ended {end.Fields["reason"]?.GetValue<string>()}");
            sb.Append('\n');
            return sb.ToString();
        }

        TraceEntry? x = k < A.Entries.Count ? A.Entries[k] : null;
        TraceEntry? y = k < B.Entries.Count ? B.Entries[k] : null;
        sb.Append(CultureInfo.InvariantCulture, $"traces differ: first divergence at event {k + 1}");
        if (x != null && y != null) sb.Append(CultureInfo.InvariantCulture, $" (virtual time i={x.I} in {A.Name}, i={y.I} in {B.Name})");
        sb.Append('\n');
        if (A.Level != B.Level)
            sb.Append(CultureInfo.InvariantCulture,
                $"note: the traces were recorded at different levels ({A.Level}, {B.Level}); compare traces of one level\n");

        sb.Append(Describe(A, x)).Append(Describe(B, y));
        if (x != null && y != null)
        {
            var differences = new List<string>();
            FieldDifferences(x.Fields, y.Fields, "", differences);
            if (differences.Count > 0)
            {
                sb.Append("fields that differ:\n");
                foreach (var d in differences.Take(MaxFieldDifferences)) sb.Append("  ").Append(d).Append('\n');
                if (differences.Count > MaxFieldDifferences)
                    sb.Append(CultureInfo.InvariantCulture, $"  ... and {differences.Count - MaxFieldDifferences} more\n");
            }
        }

        sb.Append('\n').Append(ContextOf(A, k)).Append('\n').Append(ContextOf(B, k));
        sb.Append('\n').Append(CountsTable());
        return sb.ToString();
    }

    private static string Describe(TraceFile f, TraceEntry? e) => e != null
        ? $"  {f.Name} line {e.Line}:\n    {e.Text}\n"
        : $"  {f.Name}: ends after line {f.Entries[^1].Line}{(f.IsComplete ? "" : " (truncated)")}, with no event here\n";

    private string ContextOf(TraceFile f, int k)
    {
        var sb = new StringBuilder();
        sb.Append(CultureInfo.InvariantCulture, $"context in {f.Name}:\n");
        int from = Math.Max(0, k - Context);
        int to = Math.Min(f.Entries.Count - 1, k + Context);
        if (from > to || from >= f.Entries.Count)
        {
            sb.Append("  (no events)\n");
            return sb.ToString();
        }
        int width = f.Entries[to].Line.ToString(CultureInfo.InvariantCulture).Length;
        for (int n = from; n <= to; n++)
        {
            var e = f.Entries[n];
            string text = e.Text.Length > ContextLineWidth ? e.Text[..(ContextLineWidth - 1)] + "…" : e.Text;
            sb.Append(n == k ? "> " : "  ").Append(e.Line.ToString(CultureInfo.InvariantCulture).PadLeft(width)).Append("  ").Append(text).Append('\n');
        }
        if (k >= f.Entries.Count) sb.Append("> (end of file)\n");
        return sb.ToString();
    }

    private string CountsTable()
    {
        var a = TraceStats.Of(A).PerType;
        var b = TraceStats.Of(B).PerType;
        var table = new TextTable("type", A.Name, B.Name, "change");
        foreach (var type in a.Keys.Concat(b.Keys.Where(t => !a.ContainsKey(t))))
        {
            int na = a.GetValueOrDefault(type), nb = b.GetValueOrDefault(type);
            table.Add(type, na.ToString(CultureInfo.InvariantCulture), nb.ToString(CultureInfo.InvariantCulture), Change(na, nb));
        }
        table.Add("total", A.Entries.Count.ToString(CultureInfo.InvariantCulture), B.Entries.Count.ToString(CultureInfo.InvariantCulture),
            Change(A.Entries.Count, B.Entries.Count));
        return "events per type:\n" + table.Render();
    }

    private static string Change(int a, int b) => a == b ? "" : (b - a).ToString("+0;-0", CultureInfo.InvariantCulture);

    /// <summary>Paths of the fields whose values differ ("i: 10 → 11", "args.count: 3 → 4", "args.req[2]: missing → ...").</summary>
    private static void FieldDifferences(JsonNode? x, JsonNode? y, string path, List<string> into)
    {
        if (x is JsonObject ox && y is JsonObject oy)
        {
            foreach (var (key, vx) in ox)
                FieldDifferences(vx, oy.TryGetPropertyValue(key, out var vy) ? vy : Missing, Join(path, key), into);
            foreach (var (key, vy) in oy)
                if (!ox.ContainsKey(key)) FieldDifferences(Missing, vy, Join(path, key), into);
            return;
        }
        if (x is JsonArray ax && y is JsonArray ay)
        {
            if (ax.Count != ay.Count) into.Add($"{path}: {ax.Count} items → {ay.Count} items");
            for (int n = 0; n < Math.Min(ax.Count, ay.Count); n++)
                FieldDifferences(ax[n], ay[n], $"{path}[{n}]", into);
            return;
        }
        if (!JsonNode.DeepEquals(x, y)) into.Add($"{path}: {Show(x)} → {Show(y)}");
    }

    /// <summary>Marks a field one side does not have (distinct from a JSON null).</summary>
    private static readonly JsonNode Missing = JsonValue.Create("\u0000missing")!;

    private static string Show(JsonNode? v) => ReferenceEquals(v, Missing) ? "(missing)" : v?.ToJsonString() ?? "null";
    private static string Join(string path, string key) => path.Length == 0 ? key : path + "." + key;
}
