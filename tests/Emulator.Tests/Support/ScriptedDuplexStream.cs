namespace Emulator.Tests.Support;

/// <summary>A stream whose reads return a fixed script (then end of stream) and whose writes are collected.</summary>
public sealed class ScriptedDuplexStream(byte[] script) : Stream
{
    private readonly MemoryStream _input = new(script);
    private readonly MemoryStream _output = new();

    public byte[] Written { get { lock (_output) return _output.ToArray(); } }

    public override bool CanRead => true;
    public override bool CanWrite => true;
    public override bool CanSeek => false;
    public override long Length => throw new NotSupportedException();
    public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }
    public override int Read(byte[] buffer, int offset, int count) => _input.Read(buffer, offset, count);
    public override void Write(byte[] buffer, int offset, int count) { lock (_output) _output.Write(buffer, offset, count); }
    public override void Flush() { }
    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
    public override void SetLength(long value) => throw new NotSupportedException();
}
