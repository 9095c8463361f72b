namespace Emulator.Core.Snapshots;

/// <summary>
/// A guest output (serial, debug console, hypervisor console) that drops what the machine writes
/// while it re-executes history (<see cref="Machine.Machine.Reexecuting"/>): the user saw those
/// bytes the first time; going back and forth must not print them again.
/// </summary>
public sealed class ReexecutionMutedStream : Stream
{
    private readonly Stream _inner;
    private readonly Machine.Machine _machine;

    private ReexecutionMutedStream(Stream inner, Machine.Machine machine)
    {
        _inner = inner;
        _machine = machine;
    }

    /// <summary>Wraps <paramref name="inner"/> (null stays null).</summary>
    public static Stream? Wrap(Stream? inner, Machine.Machine machine) => inner == null ? null : new ReexecutionMutedStream(inner, machine);

    public override void Write(byte[] buffer, int offset, int count)
    {
        if (!_machine.Reexecuting) _inner.Write(buffer, offset, count);
    }

    public override void WriteByte(byte value)
    {
        if (!_machine.Reexecuting) _inner.WriteByte(value);
    }

    public override void Flush() => _inner.Flush();
    public override bool CanRead => false;
    public override bool CanSeek => false;
    public override bool CanWrite => true;
    public override long Length => throw new NotSupportedException();
    public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }
    public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
    public override void SetLength(long value) => throw new NotSupportedException();
}
