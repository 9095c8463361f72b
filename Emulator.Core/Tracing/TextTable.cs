using System.Text;

namespace Emulator.Core.Tracing;

/// <summary>A plain-text table for reports: the first column left-aligned, the others right-aligned (numbers) unless told.</summary>
public sealed class TextTable
{
    private readonly List<string[]> _rows = new();
    private readonly int _columns;
    private readonly HashSet<int> _left = new() { 0 };

    public TextTable(params string[] header)
    {
        _columns = header.Length;
        _rows.Add(header);
    }

    /// <summary>Left-aligns a text column (the first one always is).</summary>
    public TextTable LeftAlign(int column)
    {
        _left.Add(column);
        return this;
    }

    public void Add(params string[] cells)
    {
        if (cells.Length != _columns) throw new ArgumentException($"expected {_columns} cells, got {cells.Length}", nameof(cells));
        _rows.Add(cells);
    }

    /// <summary>The table as lines, each starting with <paramref name="indent"/>, every line ending in '\n'.</summary>
    public string Render(string indent = "  ")
    {
        var widths = new int[_columns];
        foreach (var row in _rows)
            for (int c = 0; c < _columns; c++) widths[c] = Math.Max(widths[c], row[c].Length);
        var sb = new StringBuilder();
        foreach (var row in _rows)
        {
            sb.Append(indent);
            for (int c = 0; c < _columns; c++)
            {
                if (c > 0) sb.Append("  ");
                sb.Append(_left.Contains(c) ? row[c].PadRight(widths[c]) : row[c].PadLeft(widths[c]));
            }
            sb.Append('\n');
        }
        // No trailing spaces on a line whose last cells are short.
        return string.Join('\n', sb.ToString().Split('\n').Select(l => l.TrimEnd()));
    }
}
