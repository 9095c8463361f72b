namespace Emulator.Core.Fuzzing.Differential;

/// <summary>
/// What a differential campaign did: cases run, instructions compared (each one executed by both
/// CPUs and its state compared), cases that ended in an exception (both CPUs' exception delivery
/// compared), mismatching cases, and the reproducers of the first mismatches (one per culprit mnemonic).
/// </summary>
public sealed record DiffCampaignResult(long Cases, long InstructionsCompared, long FaultingCases, long MismatchingCases,
    IReadOnlyList<DiffMismatch> Mismatches);
