using System.Text;

namespace Emulator.Core.Tracing;

/// <summary>
/// Sits between the guest's console (UART or console_io) and where it goes: passes every byte on
/// unchanged and records each complete line as a console event stamped when its newline was written.
/// A partial last line is recorded by <see cref="FlushLine"/> when the run ends.
/// </summary>
public sealed class TraceConsoleStream : Stream
{
    private readonly Stream? _inner;
    private readonly Tracer _tracer;
    private readonly List<byte> _line = new();

    public TraceConsoleStream(Stream? inner, Tracer tracer)
    {
        _inner = inner;
        _tracer = tracer;
    }

    public override void Write(byte[] buffer, int offset, int count) => Write(buffer.AsSpan(offset, count));

    public override void Write(ReadOnlySpan<byte> buffer)
    {
        _inner?.Write(buffer);
        foreach (byte b in buffer)
        {
            if (b == (byte)'\n') FlushLine();
            else if (b != (byte)'\r') _line.Add(b);
        }
    }

    public override void WriteByte(byte value) => Write(new ReadOnlySpan<byte>(in value));

    /// <summary>Records the line collected so far (if any) as one console event.</summary>
    public void FlushLine()
    {
        if (_line.Count == 0) return;
        // Latin-1 keeps every byte a guest writes as one character, valid or not as UTF-8.
        _tracer.Emit(new ConsoleEvent(_tracer.Now, Encoding.Latin1.GetString(_line.ToArray())));
        _line.Clear();
    }

    public override void Flush() => _inner?.Flush();
    public override bool CanRead => false;
    public override bool CanSeek => false;
    public override bool CanWrite => true;
    public override long Length => throw new NotSupportedException();
    public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }
    public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
    public override void SetLength(long value) => throw new NotSupportedException();
}
