namespace Emulator.Core.Fuzzing;

/// <summary>
/// The outcome of a hypercall fuzzing campaign: the calls issued (top-level traps, each counted
/// once however often it was continued), the entries run inside multicalls, the audits made (after
/// each K-th call, and again after a repair of the argument area that followed one), how
/// often the guest's argument area had to be mapped again (and could not be), the events delivered
/// to the guest's callback, the domains used (one more each time the guest got its domain killed), the
/// per-hypercall successes and failures of the calls (<paramref name="ByName"/>) and of the entries
/// inside multicalls (<paramref name="EntriesByName"/>), by name in ordinal order, and the finding
/// that stopped it (null when every audit was clean).
/// </summary>
public sealed record FuzzCampaignResult(ulong Seed, long Calls, long MulticallEntries, long Continuations, long Audits,
    long AreaRepairs, long AreaUnrepaired, string? AreaFailure, long EventDeliveries, long Domains,
    IReadOnlyDictionary<string, HypercallTally> ByName, IReadOnlyDictionary<string, HypercallTally> EntriesByName, FuzzFinding? Finding)
{
    public int Violations => Finding?.Violations.Count ?? 0;
}
