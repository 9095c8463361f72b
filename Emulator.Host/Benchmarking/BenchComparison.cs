namespace Emulator.Host.Benchmarking;

/// <summary>
/// One case's MIPS now against a saved result. <see cref="InstructionsDiffer"/> warns that the
/// workload itself changed by more than <see cref="InstructionTolerance"/> (another guest build or
/// emulator semantics), so the MIPS are not like for like; a few instructions more in the guest's
/// start-up are not worth a warning.
/// </summary>
public sealed record BenchComparison(string Name, double? BaselineMips, double CurrentMips, bool InstructionsDiffer)
{
    public const double InstructionTolerance = 0.001;

    /// <summary>The change in percent (+10: 10 % faster now); null for a case the saved result does not have.</summary>
    public double? ChangePercent => BaselineMips is > 0 ? (CurrentMips / BaselineMips - 1) * 100 : null;

    public static IReadOnlyList<BenchComparison> Compare(BenchReport baseline, IEnumerable<BenchResult> current)
    {
        var saved = new Dictionary<string, BenchResult>();
        foreach (var c in baseline.Cases) saved.TryAdd(c.Name, c);
        return current.Select(c => saved.TryGetValue(c.Name, out var b)
                ? new BenchComparison(c.Name, b.Mips, c.Mips, Math.Abs((double)c.Instructions / b.Instructions - 1) > InstructionTolerance)
                : new BenchComparison(c.Name, null, c.Mips, false))
            .ToList();
    }
}
