using Emulator.Core.Tracing;

namespace Emulator.Tests.Tracing;

/// <summary>The first-divergence diff: equivalence, the divergent event and its fields, context, counts.</summary>
public sealed class TraceDiffTests
{
    private static TraceFile T(string text, string name) => TraceFile.Parse(text, name, allowTruncated: true);

    [Fact]
    public void EqualTracesAreEquivalent()
    {
        var d = TraceDiff.Compare(T(TraceSamples.Complete, "a"), T(TraceSamples.Complete, "b"));
        Assert.True(d.IsEquivalent);
        Assert.Null(d.Divergence);
        Assert.Equal("traces are equivalent: 7 events, level hypercall, ended poweroff\n", d.Report());
    }

    [Fact]
    public void FieldOrderAndSpacingDoNotMatter()
    {
        string reordered = TraceSamples.Complete.Replace(TraceSamples.Cr3, "{ \"type\": \"cr3\", \"i\": 40, \"by\": \"new_baseptr\", \"value\": \"0x00005000\" }");
        Assert.True(TraceDiff.Compare(T(TraceSamples.Complete, "a"), T(reordered, "b")).IsEquivalent);
    }

    [Fact]
    public void ReportsTheFirstDivergentEventWithTheFieldsThatDiffer()
    {
        string changed = TraceSamples.Complete.Replace("\"count\":5", "\"count\":6").Replace("\"0x00005000\"", "\"0x00006000\"");
        var d = TraceDiff.Compare(T(TraceSamples.Complete, "golden"), T(changed, "actual"), context: 1);
        Assert.False(d.IsEquivalent);
        Assert.Equal(3, d.Divergence); // the console_io hypercall, the first of the two changes
        string r = d.Report();
        Assert.StartsWith("traces differ: first divergence at event 4 (virtual time i=20 in golden, i=20 in actual)\n", r);
        Assert.Contains("  golden line 4:\n    " + TraceSamples.Write5 + "\n", r);
        Assert.Contains("fields that differ:\n  args.count: 5 → 6\n", r);
        Assert.DoesNotContain("0x00006000", r[..r.IndexOf("context in", StringComparison.Ordinal)]);
        // One event of context each side, the divergent one marked.
        Assert.Contains("context in golden:\n  3  " + TraceSamples.Console1 + "\n> 4  " + TraceSamples.Write5 + "\n  5  " + TraceSamples.PinFails + "\n", r);
        Assert.Contains("events per type:\n", r);
    }

    [Fact]
    public void ADifferenceInVirtualTimeAloneIsADivergence()
    {
        string shifted = TraceSamples.Complete.Replace("{\"i\":40,", "{\"i\":41,").Replace("{\"i\":50,", "{\"i\":51,");
        var d = TraceDiff.Compare(T(TraceSamples.Complete, "a"), T(shifted, "b"));
        Assert.Equal(5, d.Divergence);
        Assert.Contains("fields that differ:\n  i: 40 → 41\n", d.Report());
    }

    [Fact]
    public void ExtraAndMissingEventsShowInTheCounts()
    {
        string extra = TraceSamples.Lines(TraceSamples.Header, TraceSamples.Boot, TraceSamples.Console1, TraceSamples.Write5,
            TraceSamples.Console1.Replace("20", "25"), TraceSamples.Write5.Replace("\"i\":20", "\"i\":25"),
            TraceSamples.PinFails, TraceSamples.Cr3, TraceSamples.End);
        var d = TraceDiff.Compare(T(TraceSamples.Complete, "a"), T(extra, "b"));
        Assert.Equal(4, d.Divergence);
        string r = d.Report();
        Assert.Contains("fields that differ:\n", r);
        Assert.Matches(@"\n  console +1 +2 +\+1\n", r);
        Assert.Matches(@"\n  hypercall +2 +3 +\+1\n", r);
        Assert.Matches(@"\n  cr3 +1 +1\n", r);
        Assert.Matches(@"\n  total +7 +9 +\+2\n", r);
    }

    [Fact]
    public void ATraceThatStopsEarlyDivergesWhereItEnds()
    {
        string cut = TraceSamples.Lines(TraceSamples.Header, TraceSamples.Boot, TraceSamples.Console1);
        var d = TraceDiff.Compare(T(TraceSamples.Complete, "full"), T(cut, "cut"));
        Assert.Equal(3, d.Divergence);
        string r = d.Report();
        Assert.Contains("  cut: ends after line 3 (truncated), with no event here\n", r);
        Assert.Contains("context in cut:\n", r);
        Assert.Contains("> (end of file)\n", r);
    }

    [Fact]
    public void DifferentLevelsAreNamedInTheReport()
    {
        string boot = TraceSamples.Complete.Replace("\"level\":\"hypercall\"", "\"level\":\"boot\"");
        var d = TraceDiff.Compare(T(boot, "a"), T(TraceSamples.Complete, "b"));
        Assert.Equal(0, d.Divergence);
        Assert.Contains("recorded at different levels (boot, hypercall)", d.Report());
    }

    [Fact]
    public void NestedArrayDifferencesNameThePath()
    {
        string changed = TraceSamples.Complete.Replace("\"arg1\":\"0x00000005\"", "\"arg1\":\"0x00000007\"");
        string r = TraceDiff.Compare(T(TraceSamples.Complete, "a"), T(changed, "b")).Report();
        Assert.Contains("  args.entries[0].arg1: \"0x00000005\" → \"0x00000007\"\n", r);
    }
}
