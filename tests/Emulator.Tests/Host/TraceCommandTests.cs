using System.Text;
using Emulator.Host.Cli;
using Emulator.Host.Commands;
using Emulator.Tests.Support;
using Emulator.Tests.Tracing;

namespace Emulator.Tests.Host;

/// <summary>`emu trace diff` and `emu trace stats` end to end: exit statuses, reports, errors.</summary>
public sealed class TraceCommandTests : IDisposable
{
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "emu-trace-cmd-" + Guid.NewGuid().ToString("N"));

    public TraceCommandTests() => Directory.CreateDirectory(_dir);
    public void Dispose() { try { Directory.Delete(_dir, recursive: true); } catch (IOException) { } }

    private string File(string name, string text)
    {
        string p = Path.Combine(_dir, name);
        System.IO.File.WriteAllText(p, text);
        return p;
    }

    private static (int Status, string Stdout, string Stderr) Emu(params string[] args) => CapturedCli.Emu(args);

    [Fact]
    public void DiffOfEqualTracesIsStatus0()
    {
        string a = File("a.jsonl", TraceSamples.Complete), b = File("b.jsonl", TraceSamples.Complete);
        var (status, stdout, stderr) = Emu("trace", "diff", a, b);
        Assert.Equal(0, status);
        Assert.Equal("traces are equivalent: 7 events, level hypercall, ended poweroff\n", stdout);
        Assert.Equal("", stderr);
    }

    [Fact]
    public void DiffOfDifferentTracesIsStatus1WithTheFirstDivergence()
    {
        string a = File("a.jsonl", TraceSamples.Complete), b = File("b.jsonl", TraceSamples.Complete.Replace("\"hello\"", "\"hellO\""));
        var (status, stdout, _) = Emu("trace", "diff", "--context", "0", a, b);
        Assert.Equal(1, status);
        Assert.StartsWith("traces differ: first divergence at event 3 ", stdout);
        Assert.Contains("  text: \"hello\" → \"hellO\"\n", stdout);
        Assert.Contains($"context in {a}:\n> 3  {TraceSamples.Console1}\n\n", stdout);
    }

    [Fact]
    public void AMalformedTraceIsStatus2NamingTheLine()
    {
        string a = File("a.jsonl", TraceSamples.Complete), bad = File("bad.jsonl", TraceSamples.Lines(TraceSamples.Header, "{oops", TraceSamples.End));
        var (status, stdout, stderr) = Emu("trace", "diff", a, bad);
        Assert.Equal(2, status);
        Assert.Equal("", stdout);
        Assert.StartsWith($"emu: {bad}:2: not valid JSON", stderr);
    }

    [Fact]
    public void ATruncatedTraceNeedsAllowTruncated()
    {
        string cut = File("cut.jsonl", TraceSamples.Lines(TraceSamples.Header, TraceSamples.Boot));
        var (status, _, stderr) = Emu("trace", "stats", cut);
        Assert.Equal(2, status);
        Assert.Contains(":2: truncated trace", stderr);
        var (status2, stdout2, _) = Emu("trace", "stats", "--allow-truncated", cut);
        Assert.Equal(0, status2);
        Assert.Contains("ended: truncated", stdout2);
    }

    [Fact]
    public void StatsOfARecordedRun()
    {
        var run = TraceRun.Record(new RunOptions { Kernel = GuestImages.Hello, Append = "exit=0", TraceLevel = Emulator.Core.Tracing.TraceLevel.Boot });
        var (status, stdout, _) = Emu("trace", "stats", File("hello.jsonl", run.Trace));
        Assert.Equal(0, status);
        Assert.Contains(" events at level boot, i = 0 .. ", stdout);
        Assert.Contains("ended: debug-exit, exit status 1: ", stdout);
        Assert.Matches(@"\n  console +3\n", stdout);
    }

    [Theory]
    [InlineData(new[] { "trace" }, "emu trace needs a subcommand")]
    [InlineData(new[] { "trace", "merge", "a" }, "unknown trace subcommand 'merge'")]
    [InlineData(new[] { "trace", "diff", "a" }, "emu trace diff takes two trace files")]
    [InlineData(new[] { "trace", "stats", "a", "b" }, "emu trace stats takes one trace file, got 2")]
    [InlineData(new[] { "trace", "diff", "--context", "x", "a", "b" }, "bad value 'x' for --context")]
    [InlineData(new[] { "trace", "diff", "a", "b", "--context" }, "option --context needs a value (a number of events)")]
    [InlineData(new[] { "trace", "stats", "--context=2", "a" }, "unknown option '--context=2' for emu trace stats")]
    [InlineData(new[] { "trace", "diff", "--fast", "a", "b" }, "unknown option '--fast'")]
    public void UsageErrorsAreStatus2WithAHint(string[] args, string expected)
    {
        var (status, _, stderr) = Emu(args);
        Assert.Equal(2, status);
        Assert.Contains(expected, stderr);
        Assert.Contains("Try 'emu trace --help'", stderr);
    }

    [Fact]
    public void HelpExplainsDiffAndStats()
    {
        foreach (var args in new[] { new[] { "trace", "--help" }, new[] { "help", "trace" }, new[] { "trace", "diff", "-h" } })
        {
            var (status, stdout, _) = Emu(args);
            Assert.Equal(0, status);
            Assert.Contains("Usage: emu trace diff", stdout);
            Assert.Contains("--allow-truncated", stdout);
        }
        Assert.Contains("emu trace diff A B", Emu("--help").Stdout);
    }
}
