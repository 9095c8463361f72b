using Emulator.Host.Benchmarking;
using Emulator.Host.Commands;
using Emulator.Tests.Support;

namespace Emulator.Tests.Host;

public class BenchRunnerTests
{
    private static (BenchRunner Runner, StringWriter Stderr) Runner()
    {
        var stderr = new StringWriter();
        var console = new HostConsole { Stdout = Stream.Null, Stderr = stderr, GetEnvironmentVariable = _ => null };
        return (new BenchRunner(console, new BenchProgress(stderr, terminal: false)), stderr);
    }

    [Fact]
    public void WarmupRunsAreNotMeasured()
    {
        var (runner, stderr) = Runner();
        var phase = BenchCase.ForGuestPhase("io", "port I/O", 500);
        var result = runner.Run(phase, GuestImages.Bench, warmup: 2, runs: 3);
        Assert.Equal(3, result.Timings.Seconds.Count);
        Assert.All(result.Timings.Seconds, s => Assert.True(s > 0));
        Assert.Equal(CapturedRun.Execute(phase.ToRunOptions(GuestImages.Bench)).Outcome.Instructions, result.Instructions);
        Assert.Equal("bench: io warm-up 1/2\nbench: io warm-up 2/2\nbench: io run 1/3\nbench: io run 2/3\nbench: io run 3/3\n",
            stderr.ToString().ReplaceLineEndings("\n"));
    }

    [Fact]
    public void ARunThatEndsOtherwiseThanExpectedFailsTheCase()
    {
        var (runner, _) = Runner();
        var wrong = BenchCase.ForGuestPhase("io", "port I/O", 500) with { Append = "phase=bogus" };
        var e = Assert.Throws<BenchCaseFailedException>(() => runner.Run(wrong, GuestImages.Bench, warmup: 0, runs: 1));
        Assert.Contains("ended with status 5, expected 1", e.Message);
    }
}
