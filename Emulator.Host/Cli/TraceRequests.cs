namespace Emulator.Host.Cli;

/// <summary>`emu trace diff A B`: compare two traces to their first divergence.</summary>
public sealed record TraceDiffRequest(string A, string B, int Context, bool AllowTruncated) : CliRequest;

/// <summary>`emu trace stats FILE`: counts per event type and per hypercall name.</summary>
public sealed record TraceStatsRequest(string File, bool AllowTruncated) : CliRequest;
