namespace Emulator.Host.Cli;

public enum OutputTargetKind { None, Stdio, File }

/// <summary>Where a character device's output goes: -serial / -debugcon stdio|none|file:PATH.</summary>
public readonly record struct OutputTarget(OutputTargetKind Kind, string? Path = null)
{
    public static readonly OutputTarget None = new(OutputTargetKind.None);
    public static readonly OutputTarget Stdio = new(OutputTargetKind.Stdio);

    public static OutputTarget FromFile(string path) => new(OutputTargetKind.File, path);

    public override string ToString() => Kind switch
    {
        OutputTargetKind.None => "none",
        OutputTargetKind.Stdio => "stdio",
        _ => "file:" + Path,
    };
}
