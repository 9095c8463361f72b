using Emulator.Core.Hypervisor;

namespace Emulator.Core.Fuzzing;

/// <summary>
/// What stopped a campaign: the seed and iteration that reproduce it (`emu fuzz hypercalls --seed S
/// --count iteration+1`), the call with its decoded arguments and result, and the broken invariants.
/// </summary>
public sealed record FuzzFinding(ulong Seed, long Iteration, string Call, IReadOnlyList<PvMmuViolation> Violations)
{
    public string Reproducer =>
        $"seed {Seed}, iteration {Iteration} (reproduce: emu fuzz hypercalls --seed {Seed} --count {Iteration + 1})\n" +
        $"call: {Call}\n" +
        string.Join("\n", Violations.Select(v => $"violation: {v}"));
}
