using Emulator.Host.Cli;

namespace Emulator.Tests.Host;

public class BenchCommandLineTests
{
    private static BenchRequest Bench(params string[] args) =>
        Assert.IsType<BenchRequest>(CommandLineParser.Parse(["bench", .. args]));

    private static UsageException Error(params string[] args) =>
        Assert.Throws<UsageException>(() => CommandLineParser.Parse(["bench", .. args]));

    [Fact]
    public void Defaults()
    {
        var b = Bench();
        Assert.Equal(5, b.Runs);
        Assert.Equal(1, b.Warmup);
        Assert.Null(b.Only);
        Assert.Null(b.Iterations);
        Assert.Null(b.JsonFile);
        Assert.Null(b.CompareFile);
        Assert.False(b.Qemu);
    }

    [Fact]
    public void EveryOptionInBothSpellings()
    {
        var b = Bench("--runs", "7", "-warmup=0", "--only", "alu, paging,toykernel-bench-xen,alu", "--iterations=1000",
            "--json", "out.json", "--compare=before.json", "--qemu");
        Assert.Equal(7, b.Runs);
        Assert.Equal(0, b.Warmup);
        Assert.Equal(new[] { "alu", "paging", "toykernel-bench-xen" }, b.Only);
        Assert.Equal(1000u, b.Iterations);
        Assert.Equal("out.json", b.JsonFile);
        Assert.Equal("before.json", b.CompareFile);
        Assert.True(b.Qemu);
    }

    [Theory]
    [InlineData("--runs", "0")]
    [InlineData("--runs", "1001")]
    [InlineData("--runs", "-3")]
    [InlineData("--runs", "five")]
    [InlineData("--warmup", "x")]
    [InlineData("--iterations", "0")]
    [InlineData("--iterations", "4294967296")]
    [InlineData("--only", "alu,warp")]
    [InlineData("--only", ",")]
    [InlineData("--json", "")]
    [InlineData("--qemu=yes")]
    [InlineData("--bogus")]
    [InlineData("alu")]
    [InlineData("--runs")]
    public void BadOptionsAreUsageErrors(params string[] args)
    {
        var e = Error(args);
        Assert.Equal(BenchCommandLine.HelpTopic, e.HelpTopic);
    }

    [Fact]
    public void UnknownCaseNamesTheKnownOnes()
    {
        var e = Error("--only", "warp");
        Assert.Contains("'warp'", e.Message);
        Assert.Contains("toykernel-boot", e.Message);
    }

    [Theory]
    [InlineData("bench", "--help")]
    [InlineData("bench", "-h")]
    [InlineData("help", "bench")]
    [InlineData("--help", "bench")]
    public void HelpForBench(params string[] args) =>
        Assert.Equal("bench", Assert.IsType<HelpRequest>(CommandLineParser.Parse(args)).Topic);
}
