using System.Globalization;
using System.Text;

namespace Emulator.Host.Benchmarking;

/// <summary>The plain-text tables `emu bench` prints on stdout: the results, and the change against a saved result.</summary>
public static class BenchTable
{
    public static string Results(IReadOnlyList<BenchResult> results, bool withQemu)
    {
        var header = new List<string> { "case", "instructions", "median s", "MIPS", "min-max MIPS" };
        if (withQemu) header.AddRange(["QEMU MIPS", "ours/QEMU"]);
        var rows = new List<string[]> { header.ToArray() };
        foreach (var r in results)
        {
            var row = new List<string>
            {
                r.Name,
                r.Instructions.ToString("N0", CultureInfo.InvariantCulture),
                Format(r.Timings.Median, "F3"),
                Format(r.Mips, "F2"),
                Format(r.MinMips, "F2") + "-" + Format(r.MaxMips, "F2"),
            };
            if (withQemu)
            {
                row.Add(r.Qemu?.Mips is { } q ? Format(q, "F1") : "-");
                row.Add(r.Qemu?.Ratio is { } ratio ? Format(ratio, "F3") : "-");
            }
            rows.Add(row.ToArray());
        }
        return Layout(rows, textColumns: [0]);
    }

    public static string Comparison(IReadOnlyList<BenchComparison> comparisons, string baselineFile, BenchReport baseline)
    {
        var rows = new List<string[]> { new[] { "case", "saved MIPS", "MIPS now", "change", "note" } };
        foreach (var c in comparisons)
        {
            string change = c.ChangePercent is { } p ? (p >= 0 ? "+" : "") + Format(p, "F1") + "%" : "new";
            string note = c.InstructionsDiffer ? "instruction count differs: another workload" : "";
            rows.Add([c.Name, c.BaselineMips is { } b ? Format(b, "F2") : "-", Format(c.CurrentMips, "F2"), change, note]);
        }
        string created = baseline.Created.ToUniversalTime().ToString("yyyy-MM-dd HH:mm 'UTC'", CultureInfo.InvariantCulture);
        return $"Against {baselineFile} (measured {created}, {baseline.Host.ProcessorCount} processors):\n" + Layout(rows, textColumns: [0, 4]);
    }

    private static string Format(double value, string format) => value.ToString(format, CultureInfo.InvariantCulture);

    /// <summary>Columns padded to their widest cell: text columns left-aligned, numbers right-aligned.</summary>
    private static string Layout(List<string[]> rows, int[] textColumns)
    {
        int columns = rows.Max(r => r.Length);
        var widths = new int[columns];
        foreach (var row in rows)
            for (int i = 0; i < row.Length; i++)
                widths[i] = Math.Max(widths[i], row[i].Length);
        var text = new StringBuilder();
        foreach (var row in rows)
        {
            var line = new StringBuilder();
            for (int i = 0; i < row.Length; i++)
            {
                if (i > 0) line.Append("  ");
                line.Append(textColumns.Contains(i) ? row[i].PadRight(widths[i]) : row[i].PadLeft(widths[i]));
            }
            text.Append(line.ToString().TrimEnd()).Append('\n');
        }
        return text.ToString();
    }
}
