using System.Text;
using Emulator.Core.Tracing;

namespace Emulator.Host.Debugging.Web;

/// <summary>
/// Sits in front of the guest's console output (COM1, or console_io under -machine xen): passes
/// every byte on and keeps the most recent text (Latin-1, one character per byte) for the web
/// debugger, which reads it from its own thread by offset (<see cref="Since"/>).
/// </summary>
public sealed class ConsoleCapture : ConsoleTapStream
{
    /// <summary>The most text kept; older text is dropped in chunks of a quarter of this.</summary>
    public const int MaxKept = 64 * 1024;

    private readonly StringBuilder _text = new();
    private long _dropped;

    public ConsoleCapture(Stream? inner) : base(inner) { }

    /// <summary>The text written from <paramref name="offset"/> on (what is still kept of it) and the offset after it.</summary>
    public (string Text, long Next) Since(long offset)
    {
        lock (_text)
        {
            long end = _dropped + _text.Length;
            long from = Math.Clamp(offset, _dropped, end);
            return (_text.ToString((int)(from - _dropped), (int)(end - from)), end);
        }
    }

    protected override void Observe(ReadOnlySpan<byte> buffer)
    {
        lock (_text)
        {
            _text.Append(Encoding.Latin1.GetString(buffer));
            if (_text.Length > MaxKept)
            {
                int drop = _text.Length - MaxKept + MaxKept / 4;
                _text.Remove(0, drop);
                _dropped += drop;
            }
        }
    }
}
