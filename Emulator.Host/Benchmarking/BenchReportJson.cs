using System.Text.Json;
using System.Text.Json.Serialization;

namespace Emulator.Host.Benchmarking;

/// <summary>Writes and reads <see cref="BenchReport"/> as JSON (camelCase, indented; computed figures included for readers).</summary>
public static class BenchReportJson
{
    private static readonly JsonSerializerOptions Options = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
        WriteIndented = true,
        // A saved report missing a field, or with null where the schema has none, is malformed.
        RespectNullableAnnotations = true,
        RespectRequiredConstructorParameters = true,
        DefaultIgnoreCondition = JsonIgnoreCondition.Never,
    };

    public static string Serialize(BenchReport report) => JsonSerializer.Serialize(report, Options) + "\n";

    public static void Save(BenchReport report, string path) => File.WriteAllText(path, Serialize(report));

    /// <summary>Reads a saved report; every problem is a <see cref="BenchReportFormatException"/> naming the file.</summary>
    public static BenchReport Load(string path)
    {
        string text;
        try { text = File.ReadAllText(path); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or ArgumentException or NotSupportedException)
        {
            throw new BenchReportFormatException($"cannot read {path}: {e.Message}", e);
        }
        return Parse(text, path);
    }

    public static BenchReport Parse(string text, string source)
    {
        BenchReport? report;
        try { report = JsonSerializer.Deserialize<BenchReport>(text, Options); }
        catch (JsonException e)
        {
            throw new BenchReportFormatException($"{source} is not a bench result: {e.Message}", e);
        }
        if (report == null) throw new BenchReportFormatException($"{source} is not a bench result: it holds null");
        if (report.Schema != BenchReport.SchemaName)
            throw new BenchReportFormatException($"{source} is not a bench result: schema is '{report.Schema}', expected '{BenchReport.SchemaName}'");
        if (report.Version != BenchReport.CurrentVersion)
            throw new BenchReportFormatException($"{source} has version {report.Version} of the bench format; this emu reads version {BenchReport.CurrentVersion}");
        foreach (var c in report.Cases)
        {
            if (c is null || string.IsNullOrWhiteSpace(c.Name) || c.Instructions == 0)
                throw new BenchReportFormatException($"{source}: a case without a name or an instruction count");
            if (c.Timings.Seconds.Count == 0 || c.Timings.Seconds.Any(s => !double.IsFinite(s) || s <= 0))
                throw new BenchReportFormatException($"{source}: case {c.Name} has no valid run times");
        }
        return report;
    }
}
