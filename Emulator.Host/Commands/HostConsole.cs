namespace Emulator.Host.Commands;

/// <summary>
/// The outside world a command talks to. The real console for the `emu` process; tests pass
/// in-memory streams so that a whole run can be checked in-process.
/// </summary>
public sealed class HostConsole
{
    /// <summary>The guest's console output (COM1, -debugcon stdio): raw bytes, nothing else.</summary>
    public required Stream Stdout { get; init; }
    /// <summary>Messages for the user: errors, --stats, and the log.</summary>
    public required TextWriter Stderr { get; init; }
    /// <summary>Input for COM1 (null: none).</summary>
    public Stream? Stdin { get; init; }
    /// <summary>True for the process console: Ctrl-C interrupts the run and Serilog's console sink is used.</summary>
    public bool IsProcessConsole { get; init; }
    /// <summary>Environment lookup (EMU_GUESTS); replaceable in tests.</summary>
    public Func<string, string?> GetEnvironmentVariable { get; init; } = Environment.GetEnvironmentVariable;
    /// <summary>Where the executable lives, the start of the search for the default guest.</summary>
    public string BaseDirectory { get; init; } = AppContext.BaseDirectory;

    /// <summary>The console of this process. Stdin is forwarded only when it is not /dev/null.</summary>
    public static HostConsole ForProcess() => new()
    {
        Stdout = Console.OpenStandardOutput(),
        Stderr = Console.Error,
        Stdin = StdinIsDevNull() ? null : Console.OpenStandardInput(),
        IsProcessConsole = true,
    };

    private static bool StdinIsDevNull()
    {
        try
        {
            // On Linux /proc/self/fd/0 is a link to what stdin is.
            var link = new FileInfo("/proc/self/fd/0").LinkTarget;
            return link == "/dev/null";
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or PlatformNotSupportedException)
        {
            return false;
        }
    }
}
