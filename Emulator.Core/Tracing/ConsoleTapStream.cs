namespace Emulator.Core.Tracing;

/// <summary>
/// A write-only stream in front of a console output: passes every byte on to the inner stream
/// (which may be null: the output goes nowhere) and shows it to <see cref="Observe"/> — the trace's
/// console lines, the web debugger's console panel.
/// </summary>
public abstract class ConsoleTapStream : Stream
{
    private readonly Stream? _inner;

    protected ConsoleTapStream(Stream? inner) => _inner = inner;

    /// <summary>Sees the bytes just passed on.</summary>
    protected abstract void Observe(ReadOnlySpan<byte> bytes);

    public override void Write(byte[] buffer, int offset, int count) => Write(buffer.AsSpan(offset, count));

    public override void Write(ReadOnlySpan<byte> buffer)
    {
        _inner?.Write(buffer);
        Observe(buffer);
    }

    public override void WriteByte(byte value) => Write(new ReadOnlySpan<byte>(in value));
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
