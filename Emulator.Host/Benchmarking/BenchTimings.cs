namespace Emulator.Host.Benchmarking;

/// <summary>The wall-clock seconds of the measured runs of one case, with their median, minimum and maximum.</summary>
public sealed record BenchTimings(IReadOnlyList<double> Seconds)
{
    public double Median
    {
        get
        {
            var sorted = Seconds.Order().ToArray();
            int mid = sorted.Length / 2;
            return sorted.Length % 2 == 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
        }
    }

    public double Min => Seconds.Min();
    public double Max => Seconds.Max();

    /// <summary>Millions of instructions per second at <paramref name="seconds"/> (0 when no time was measured).</summary>
    public static double Mips(ulong instructions, double seconds) => seconds > 0 ? instructions / seconds / 1e6 : 0;
}
