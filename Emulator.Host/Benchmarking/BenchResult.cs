namespace Emulator.Host.Benchmarking;

/// <summary>
/// The measurement of one case: its instruction count (virtual-time ticks, the same on every run)
/// and the wall time of each measured run; MIPS from the median, min–max from the fastest and
/// slowest runs.
/// </summary>
public sealed record BenchResult(string Name, string Description, ulong Instructions, BenchTimings Timings, QemuResult? Qemu = null)
{
    public double Mips => BenchTimings.Mips(Instructions, Timings.Median);
    public double MinMips => BenchTimings.Mips(Instructions, Timings.Max);
    public double MaxMips => BenchTimings.Mips(Instructions, Timings.Min);
}
