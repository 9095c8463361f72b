namespace Emulator.Host.Cli;

/// <summary>
/// `emu fuzz hypercalls`: a hypercall fuzzing campaign against the hypervisor.
/// </summary>
/// <param name="Seed">The campaign's seed: the same seed issues the same calls.</param>
/// <param name="Count">How many hypercalls to issue.</param>
/// <param name="AuditEvery">Audit the PV MMU from scratch after every K-th call (and after the last).</param>
public sealed record FuzzRequest(ulong Seed, long Count, int AuditEvery) : CliRequest
{
    public const ulong DefaultSeed = 1;
    public const long DefaultCount = 100_000;
    public const int DefaultAuditEvery = 1;
    public const long MaxCount = 1_000_000_000_000;
}

/// <summary>`emu fuzz cpu`: random code on a bare CPU, checking the invariants of <c>CpuFuzzer</c>.</summary>
/// <param name="Seed">The campaign's seed: the same seed runs the same cases.</param>
/// <param name="Count">How many cases (each up to 64 instructions).</param>
public sealed record CpuFuzzRequest(ulong Seed, long Count) : CliRequest;

/// <summary>`emu fuzz diff`: differential testing of our CPU against QEMU (see <c>DifferentialCampaign</c>).</summary>
/// <param name="Seed">The campaign's seed: the same seed generates the same cases.</param>
/// <param name="Count">How many cases (each up to a few dozen instructions).</param>
/// <param name="Bits">The code sizes to test: 16, 32 or both (cases alternate).</param>
/// <param name="Rings">The privilege levels to test: 0, 3 or both.</param>
public sealed record DiffFuzzRequest(ulong Seed, long Count, IReadOnlyList<int> Bits, IReadOnlyList<int> Rings) : CliRequest
{
    public const long DefaultCount = 10_000;
}
