using System.Text;

namespace Emulator.Core.Tracing;

/// <summary>
/// Sits between the guest's console (UART or console_io) and where it goes: passes every byte on
/// unchanged and records each complete line as a console event stamped when its newline was written.
/// A partial last line is recorded by <see cref="FlushLine"/> when the run ends.
/// </summary>
public sealed class TraceConsoleStream : ConsoleTapStream
{
    private readonly Tracer _tracer;
    private readonly List<byte> _line = new();

    public TraceConsoleStream(Stream? inner, Tracer tracer) : base(inner) => _tracer = tracer;

    protected override void Observe(ReadOnlySpan<byte> buffer)
    {
        foreach (byte b in buffer)
        {
            if (b == (byte)'\n') FlushLine();
            else if (b != (byte)'\r') _line.Add(b);
        }
    }

    /// <summary>Records the line collected so far (if any) as one console event.</summary>
    public void FlushLine()
    {
        if (_line.Count == 0) return;
        // Latin-1 keeps every byte a guest writes as one character, valid or not as UTF-8.
        _tracer.Emit(new ConsoleEvent(_tracer.Now, Encoding.Latin1.GetString(_line.ToArray())));
        _line.Clear();
    }
}
