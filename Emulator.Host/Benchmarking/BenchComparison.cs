namespace Emulator.Host.Benchmarking;

/// <summary>
/// One case's MIPS now against a saved result. <see cref="InstructionsDiffer"/> warns that the
/// workload itself changed (another guest build or emulator semantics), so the MIPS are not like for like.
/// </summary>
public sealed record BenchComparison(string Name, double? BaselineMips, double CurrentMips, bool InstructionsDiffer)
{
    /// <summary>The change in percent (+10: 10 % faster now); null for a case the saved result does not have.</summary>
    public double? ChangePercent => BaselineMips is > 0 ? (CurrentMips / BaselineMips - 1) * 100 : null;

    public static IReadOnlyList<BenchComparison> Compare(BenchReport baseline, IEnumerable<BenchResult> current)
    {
        var saved = new Dictionary<string, BenchResult>();
        foreach (var c in baseline.Cases) saved.TryAdd(c.Name, c);
        return current.Select(c => saved.TryGetValue(c.Name, out var b)
                ? new BenchComparison(c.Name, b.Mips, c.Mips, b.Instructions != c.Instructions)
                : new BenchComparison(c.Name, null, c.Mips, false))
            .ToList();
    }
}
