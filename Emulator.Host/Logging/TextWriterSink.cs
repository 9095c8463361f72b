using Serilog.Core;
using Serilog.Events;
using Serilog.Formatting;

namespace Emulator.Host.Logging;

/// <summary>Writes log events to a TextWriter (the stderr a test or an embedding host supplies).</summary>
public sealed class TextWriterSink : ILogEventSink
{
    private readonly TextWriter _writer;
    private readonly ITextFormatter _formatter;
    private readonly object _lock = new();

    public TextWriterSink(TextWriter writer, ITextFormatter formatter)
    {
        _writer = writer;
        _formatter = formatter;
    }

    public void Emit(LogEvent logEvent)
    {
        lock (_lock)
        {
            _formatter.Format(logEvent, _writer);
            _writer.Flush();
        }
    }
}
