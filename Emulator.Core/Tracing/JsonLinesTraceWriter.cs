using System.Text.Encodings.Web;
using System.Text.Json;

namespace Emulator.Core.Tracing;

/// <summary>
/// Writes trace events as JSON Lines (System.Text.Json): one object per line, "i" and "type" first,
/// then the event's fields in their fixed order. <see cref="Complete"/> writes the "end" line and
/// flushes, so a finished run always leaves a complete, valid file.
/// </summary>
public sealed class JsonLinesTraceWriter : IDisposable
{
    private static readonly byte[] NewLine = { (byte)'\n' };
    private readonly Stream _stream;
    private readonly Utf8JsonWriter _json;
    private bool _completed;

    public JsonLinesTraceWriter(Stream stream)
    {
        _stream = stream;
        // Relaxed escaping keeps console text readable ("<", "'" and non-ASCII stay as they are); still valid JSON.
        _json = new Utf8JsonWriter(stream, new JsonWriterOptions { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping, SkipValidation = false });
    }

    public long EventsWritten { get; private set; }

    public void Write(TraceEvent e)
    {
        if (_completed) return;
        e.WriteObject(_json);
        _json.Flush();
        _json.Reset();
        _stream.Write(NewLine);
        EventsWritten++;
    }

    /// <summary>Writes the end event (once) and flushes the file.</summary>
    public void Complete(EndEvent end)
    {
        if (_completed) return;
        Write(end);
        _completed = true;
        _stream.Flush();
    }

    public void Dispose()
    {
        _json.Dispose();
        _stream.Dispose();
    }
}
