using Emulator.Core.Tracing;

namespace Emulator.Tests.Tracing;

public sealed class TraceStatsTests
{
    [Fact]
    public void CountsEventsPerTypeAndHypercallsPerNameWithFailures()
    {
        var s = TraceStats.Of(TraceFile.Parse(TraceSamples.Complete, "t.jsonl"));
        Assert.Equal(new Dictionary<string, int> { ["trace"] = 1, ["boot"] = 1, ["console"] = 1, ["hypercall"] = 2, ["cr3"] = 1, ["end"] = 1 }, s.PerType);
        Assert.Equal(new[] { "console_io", "mmuext_op" }, s.Hypercalls.Select(h => h.Name));
        var pin = s.Hypercalls[1];
        Assert.Equal((1, 1), (pin.Calls, pin.Failures));
        Assert.Equal(1, pin.Errnos["EINVAL"]);
        string r = s.Report();
        Assert.StartsWith("t.jsonl: 7 events at level hypercall, i = 0 .. 50\nended: poweroff, exit status 0: xen: the domain shut down (poweroff)\n", r);
        Assert.Matches(@"\n  mmuext_op +1 +1  EINVAL×1\n", r);
        Assert.Matches(@"\n  console_io +1 +0\n", r);
    }

    [Fact]
    public void ATruncatedTraceSaysSo()
    {
        var f = TraceFile.Parse(TraceSamples.Lines(TraceSamples.Header, TraceSamples.Boot), "t.jsonl", allowTruncated: true);
        Assert.Contains("ended: truncated (no \"end\" event)\n", TraceStats.Of(f).Report());
    }
}
