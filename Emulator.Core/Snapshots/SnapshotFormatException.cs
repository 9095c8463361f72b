namespace Emulator.Core.Snapshots;

/// <summary>A snapshot that cannot be loaded: corrupt, truncated, of another format version, or of another machine.</summary>
public sealed class SnapshotFormatException : Exception
{
    public SnapshotFormatException(string message) : base(message) { }
}
