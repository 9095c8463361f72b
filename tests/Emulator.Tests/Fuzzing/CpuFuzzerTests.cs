using Emulator.Core.Fuzzing;
using Emulator.Tests.Support;

namespace Emulator.Tests.Fuzzing;

/// <summary>The CPU fuzzer: a fixed-seed campaign with no host exception or broken invariant, that really exercises faults.</summary>
public sealed class CpuFuzzerTests
{
    [Fact]
    public void AFixedSeedCampaignFindsNothingAndReachesFaultsAndTripleFaults()
    {
        var result = new CpuFuzzer(seed: 7).Run(3000);
        Assert.Empty(result.Findings.Select(f => f.ToString()));
        Assert.Equal(3000, result.Cases);
        Assert.True(result.Instructions > 3000 * 10, $"only {result.Instructions} instructions");
        Assert.True(result.Faulted > 1000, $"only {result.Faulted} cases delivered an exception");
        Assert.True(result.TripleFaults > 50, $"only {result.TripleFaults} triple faults");
        Assert.True(result.TlbChecks > 20, $"only {result.TlbChecks} TLB checks after INVLPG or CR3 loads");
    }

    [Fact]
    public void ACampaignIsAFunctionOfItsSeed()
    {
        var a = new CpuFuzzer(seed: 11).Run(500);
        var b = new CpuFuzzer(seed: 11).Run(500);
        var c = new CpuFuzzer(seed: 12).Run(500);
        Assert.Equal((a.Instructions, a.Faulted, a.TripleFaults), (b.Instructions, b.Faulted, b.TripleFaults));
        Assert.NotEqual(a.Instructions, c.Instructions);
    }

    [Fact]
    public void TheCommandPrintsTheSummaryAndRejectsHypercallOptions()
    {
        var (status, stdout, _) = CapturedCli.Emu("fuzz", "cpu", "--seed", "3", "--count", "200");
        Assert.Equal(0, status);
        Assert.Contains("cases: 200\n", stdout);
        Assert.Contains("findings (host exceptions, broken invariants): 0\n", stdout);
        var (bad, _, stderr) = CapturedCli.Emu("fuzz", "cpu", "--audit-every", "2");
        Assert.Equal(2, bad);
        Assert.Contains("unknown option '--audit-every' for emu fuzz cpu", stderr);
    }
}
