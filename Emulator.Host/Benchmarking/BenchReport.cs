namespace Emulator.Host.Benchmarking;

/// <summary>
/// The result of one `emu bench`, as written by --json and read by --compare
/// (<see cref="BenchReportJson"/>). <see cref="Version"/> changes when the schema does.
/// </summary>
public sealed record BenchReport(
    string Schema,
    int Version,
    DateTimeOffset Created,
    string EmulatorVersion,
    BenchHostInfo Host,
    int Runs,
    int Warmup,
    uint? Iterations,
    string? QemuVersion,
    IReadOnlyList<BenchResult> Cases)
{
    public const string SchemaName = "emu-bench";
    public const int CurrentVersion = 1;
}
