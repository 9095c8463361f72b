namespace Emulator.Host.Cli;

/// <summary>What a command line asks for.</summary>
public abstract record CliRequest;

/// <summary>Show help: the general help (Topic null) or a command's.</summary>
public sealed record HelpRequest(string? Topic) : CliRequest;

public sealed record VersionRequest : CliRequest;

public sealed record RunRequest(RunOptions Options) : CliRequest;
