using System.Buffers;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using Emulator.Core.Tracing;

namespace Emulator.Host.Debugging.Web;

/// <summary>
/// The trace events of a debugged run as they happen (a sink of the run's <see cref="Tracer"/>),
/// each kept as its JSON line in a bounded ring for the web debugger to read by sequence number.
/// </summary>
public sealed class TraceFeed
{
    public const int DefaultCapacity = 2000;

    private readonly string[] _ring;
    private long _count;
    private readonly ArrayBufferWriter<byte> _buffer = new();
    private readonly Utf8JsonWriter _json;

    public TraceFeed(int capacity = DefaultCapacity)
    {
        _ring = new string[capacity];
        _json = new Utf8JsonWriter(_buffer, new JsonWriterOptions { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping });
    }

    /// <summary>How many events were added in all (the next one's sequence number).</summary>
    public long Count { get { lock (_ring) return _count; } }

    /// <summary>The sink to add to the run's tracer (called on the machine thread).</summary>
    public void Add(TraceEvent e)
    {
        lock (_ring)
        {
            _buffer.ResetWrittenCount();
            _json.Reset();
            e.WriteObject(_json);
            _json.Flush();
            _ring[_count % _ring.Length] = Encoding.UTF8.GetString(_buffer.WrittenSpan);
            _count++;
        }
    }

    /// <summary>The events (JSON objects) from sequence number <paramref name="sequence"/> on that are still kept, and the next sequence number.</summary>
    public (IReadOnlyList<string> Events, long Next) Since(long sequence)
    {
        lock (_ring)
        {
            long from = Math.Clamp(sequence, Math.Max(0, _count - _ring.Length), _count);
            var list = new List<string>((int)(_count - from));
            for (long s = from; s < _count; s++) list.Add(_ring[s % _ring.Length]);
            return (list, _count);
        }
    }
}
