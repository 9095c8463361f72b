namespace Emulator.Host.Benchmarking;

/// <summary>
/// The progress line on stderr: rewritten in place with \r on a terminal, one plain line per
/// step otherwise (a log file or a pipe gets no control characters).
/// </summary>
public sealed class BenchProgress
{
    private readonly TextWriter _stderr;
    private readonly bool _terminal;
    private int _shown;

    public BenchProgress(TextWriter stderr, bool terminal)
    {
        _stderr = stderr;
        _terminal = terminal;
    }

    public void Report(string text)
    {
        string line = "bench: " + text;
        if (_terminal)
        {
            _stderr.Write("\r" + line.PadRight(_shown));
            _shown = line.Length;
        }
        else
        {
            _stderr.WriteLine(line);
        }
        _stderr.Flush();
    }

    /// <summary>Clears the line on a terminal, so that what follows starts on a clean one.</summary>
    public void Finish()
    {
        if (!_terminal || _shown == 0) return;
        _stderr.Write("\r" + new string(' ', _shown) + "\r");
        _stderr.Flush();
        _shown = 0;
    }
}
