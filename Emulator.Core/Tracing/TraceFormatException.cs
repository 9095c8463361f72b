namespace Emulator.Core.Tracing;

/// <summary>A trace file that is not a valid trace: names the file and the line.</summary>
public sealed class TraceFormatException : Exception
{
    public TraceFormatException(string file, int line, string problem)
        : base(line > 0 ? $"{file}:{line}: {problem}" : $"{file}: {problem}")
    {
        File = file;
        Line = line;
        Problem = problem;
    }

    public string File { get; }
    /// <summary>The 1-based line of the problem; 0 for the file as a whole.</summary>
    public int Line { get; }
    public string Problem { get; }
}
