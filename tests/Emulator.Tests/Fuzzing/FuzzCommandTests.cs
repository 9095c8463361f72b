using Emulator.Host.Cli;
using Emulator.Tests.Support;

namespace Emulator.Tests.Fuzzing;

/// <summary>`emu fuzz hypercalls`: its options, its help, its summary and its exit status.</summary>
public sealed class FuzzCommandTests
{
    [Theory]
    [InlineData("fuzz")]
    [InlineData("fuzz", "syscalls")]
    [InlineData("fuzz", "hypercalls", "--count", "0")]
    [InlineData("fuzz", "hypercalls", "--count")]
    [InlineData("fuzz", "hypercalls", "--count", "12x")]
    [InlineData("fuzz", "hypercalls", "--seed", "-1")]
    [InlineData("fuzz", "hypercalls", "--seed=0xZZ")]
    [InlineData("fuzz", "hypercalls", "--seed", "18446744073709551616")]
    [InlineData("fuzz", "hypercalls", "--audit-every", "0")]
    [InlineData("fuzz", "hypercalls", "--bogus")]
    [InlineData("fuzz", "hypercalls", "extra")]
    [InlineData("fuzz", "hypercalls", "--help=yes")]
    public void MistakesExitWithStatus2AndPointToTheFuzzHelp(params string[] args)
    {
        var (status, stdout, stderr) = CapturedCli.Emu(args);
        Assert.Equal(ExitStatus.Usage, status);
        Assert.Equal("", stdout);
        Assert.Contains("Try 'emu fuzz --help'", stderr);
    }

    [Fact]
    public void OptionsAreParsedInBothSpellings()
    {
        Assert.Equal(new FuzzRequest(FuzzRequest.DefaultSeed, FuzzRequest.DefaultCount, FuzzRequest.DefaultAuditEvery),
            FuzzCommandLine.Parse(["hypercalls"]));
        Assert.Equal(new FuzzRequest(0x2A, 5000, 10), FuzzCommandLine.Parse(["hypercalls", "-seed", "0x2A", "--count=5000", "--audit-every", "10"]));
        Assert.Equal(new FuzzRequest(ulong.MaxValue, 1, 1), FuzzCommandLine.Parse(["hypercalls", "--seed", "18446744073709551615", "--count", "1"]));
    }

    [Theory]
    [InlineData("fuzz", "--help")]
    [InlineData("fuzz", "hypercalls", "-h")]
    [InlineData("help", "fuzz")]
    [InlineData("--help", "fuzz")]
    public void HelpIsShown(params string[] args)
    {
        var (status, stdout, _) = CapturedCli.Emu(args);
        Assert.Equal(ExitStatus.Success, status);
        Assert.StartsWith("Usage: emu fuzz hypercalls [--seed S] [--count N] [--audit-every K]", stdout);
        Assert.Contains("emu fuzz hypercalls", CapturedCli.Emu("--help").Stdout);
    }

    [Fact]
    public void AShortCampaignPrintsItsSummaryAndExits0()
    {
        var (status, stdout, stderr) = CapturedCli.Emu("fuzz", "hypercalls", "--seed", "5", "--count", "300");
        Assert.True(status == ExitStatus.Success, stdout + stderr);
        Assert.StartsWith("emu fuzz hypercalls --seed 5: 300 hypercalls (", stdout);
        Assert.Matches(@"\), \d+ audits, wall time ", stdout);
        Assert.Matches(@"\n  mmu_update +\d+ +\d+\n", stdout);
        Assert.EndsWith("violations: 0\n", stdout);
        Assert.Contains("emu: fuzz: seed 5, 300 hypercalls, audit after every 1", stderr);
    }
}
