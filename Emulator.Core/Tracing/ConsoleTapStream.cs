using Emulator.Core.Machine;

namespace Emulator.Core.Tracing;

/// <summary>
/// A write-only stream in front of a console output: passes every byte on to the inner stream
/// (which may be null: the output goes nowhere) and shows it to <see cref="Observe"/> — the trace's
/// console lines, the web debugger's console panel.
/// </summary>
public abstract class ConsoleTapStream : WriteOnlyStream
{
    private readonly Stream? _inner;

    protected ConsoleTapStream(Stream? inner) => _inner = inner;

    /// <summary>Sees the bytes just passed on.</summary>
    protected abstract void Observe(ReadOnlySpan<byte> bytes);

    public override void Write(ReadOnlySpan<byte> buffer)
    {
        _inner?.Write(buffer);
        Observe(buffer);
    }

    public override void Flush() => _inner?.Flush();
}
