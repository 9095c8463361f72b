namespace Emulator.Host.Cli;

/// <summary>A command-line mistake: reported on one line with a hint to the help of <see cref="HelpTopic"/>; exit status 2.</summary>
public sealed class UsageException : Exception
{
    /// <summary>"run" for `emu run --help`, null for `emu --help`.</summary>
    public string? HelpTopic { get; }

    public UsageException(string message, string? helpTopic = null) : base(message) => HelpTopic = helpTopic;
}
