namespace Emulator.Core.Snapshots;

/// <summary>
/// A guest output (serial, debug console, hypervisor console) that drops what the machine writes
/// while it re-executes history (<see cref="Machine.Machine.Reexecuting"/>): the user saw those
/// bytes the first time; going back and forth must not print them again.
/// </summary>
public sealed class ReexecutionMutedStream : Machine.WriteOnlyStream
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

    public override void Write(ReadOnlySpan<byte> buffer)
    {
        if (!_machine.Reexecuting) _inner.Write(buffer);
    }

    public override void Flush() => _inner.Flush();
}
