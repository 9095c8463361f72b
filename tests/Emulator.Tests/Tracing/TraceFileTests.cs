using Emulator.Core.Tracing;

namespace Emulator.Tests.Tracing;

/// <summary>Reading traces back: valid files, and a clear error naming the line for every malformed or truncated one.</summary>
public sealed class TraceFileTests
{
    private static TraceFormatException Bad(string text, bool allowTruncated = false) =>
        Assert.Throws<TraceFormatException>(() => TraceFile.Parse(text, "t.jsonl", allowTruncated));

    [Fact]
    public void ReadsACompleteTrace()
    {
        var f = TraceFile.Parse(TraceSamples.Complete, "t.jsonl");
        Assert.True(f.IsComplete);
        Assert.Equal("hypercall", f.Level);
        Assert.Equal(new[] { "trace", "boot", "console", "hypercall", "hypercall", "cr3", "end" }, f.Entries.Select(e => e.Type));
        Assert.Equal(new[] { 1, 2, 3, 4, 5, 6, 7 }, f.Entries.Select(e => e.Line));
        Assert.Equal(30UL, f.Entries[4].I);
        Assert.Equal("mmuext_op", f.Entries[4].HypercallName);
        Assert.Null(f.Entries[2].HypercallName);
        Assert.Equal(TraceSamples.PinFails, f.Entries[4].Text);
    }

    [Fact]
    public void AcceptsAMissingFinalNewlineAndCrLf()
    {
        var f = TraceFile.Parse(TraceSamples.Complete.TrimEnd('\n').Replace("\n", "\r\n"), "t.jsonl");
        Assert.Equal(7, f.Entries.Count);
    }

    [Fact]
    public void MissingEndEventIsATruncatedTrace()
    {
        string text = TraceSamples.Lines(TraceSamples.Header, TraceSamples.Boot, TraceSamples.Console1);
        var e = Bad(text);
        Assert.Equal(3, e.Line);
        Assert.Contains("truncated trace: no \"end\" event", e.Message);
        Assert.StartsWith("t.jsonl:3: ", e.Message);

        var f = TraceFile.Parse(text, "t.jsonl", allowTruncated: true);
        Assert.False(f.IsComplete);
        Assert.Null(f.End);
        Assert.Equal(3, f.Entries.Count);
    }

    [Fact]
    public void ALastLineCutInTheMiddleNamesTheLineAndSaysTruncated()
    {
        string text = TraceSamples.Lines(TraceSamples.Header, TraceSamples.Boot) + TraceSamples.Write5[..40];
        var e = Bad(text);
        Assert.Equal(3, e.Line);
        Assert.Contains("not valid JSON", e.Message);
        Assert.Contains("the file is truncated", e.Message);
        // Allowed: the broken tail is dropped, the events before it are read.
        Assert.Equal(2, TraceFile.Parse(text, "t.jsonl", allowTruncated: true).Entries.Count);
    }

    [Theory]
    [InlineData("{\"i\":5,\"type\":\"console\",\"text\":\"x\"", 3, "not valid JSON")]
    [InlineData("[1,2]", 3, "expected a JSON object, found an array")]
    [InlineData("{\"type\":\"console\"}", 3, "no \"i\"")]
    [InlineData("{\"i\":\"12\",\"type\":\"console\"}", 3, "no \"i\"")]
    [InlineData("{\"i\":-1,\"type\":\"console\"}", 3, "no \"i\"")]
    [InlineData("{\"i\":12}", 3, "no \"type\"")]
    [InlineData("{\"i\":5,\"type\":\"console\",\"text\":\"x\"}", 3, "virtual time goes backwards: i=5 after i=10 on line 2")]
    [InlineData("", 3, "empty line inside the trace")]
    [InlineData("{\"i\":12,\"type\":\"trace\",\"version\":1,\"level\":\"boot\"}", 3, "a second \"trace\" header")]
    public void AMalformedLineInTheMiddleIsAnErrorNamingIt(string line, int expectedLine, string expected)
    {
        string text = TraceSamples.Lines(TraceSamples.Header, TraceSamples.Boot, line, TraceSamples.End);
        var e = Bad(text);
        Assert.Equal(expectedLine, e.Line);
        Assert.Contains(expected, e.Message);
        Assert.StartsWith($"t.jsonl:{expectedLine}: ", e.Message);
        // Allowing truncation does not make a malformed line in the middle acceptable.
        Assert.Throws<TraceFormatException>(() => TraceFile.Parse(text, "t.jsonl", allowTruncated: true));
    }

    [Theory]
    [InlineData("", "empty file")]
    [InlineData("\n", "empty file")]
    [InlineData("{\"i\":0,\"type\":\"boot\"}\n", "the first event is \"boot\", expected the \"trace\" header")]
    [InlineData("{\"i\":0,\"type\":\"trace\",\"version\":2,\"level\":\"boot\"}\n", "trace format version 2 is not supported")]
    [InlineData("{\"i\":0,\"type\":\"trace\",\"level\":\"boot\"}\n", "no numeric \"version\"")]
    [InlineData("{\"i\":0,\"type\":\"trace\",\"version\":1,\"level\":\"verbose\"}\n", "no \"level\" of boot, hypercall or full")]
    [InlineData("hello world\n", "not valid JSON")]
    public void NotATrace(string text, string expected) => Assert.Contains(expected, Bad(text).Message);

    [Fact]
    public void EventsAfterTheEndAreAnError()
    {
        var e = Bad(TraceSamples.Complete + TraceSamples.Lines(TraceSamples.Header));
        Assert.Equal(8, e.Line);
        Assert.Contains("event after the \"end\" event", e.Message);
    }

    [Fact]
    public void AMissingFileIsAClearError()
    {
        string path = Path.Combine(Path.GetTempPath(), "emu-no-such-trace-" + Guid.NewGuid().ToString("N") + ".jsonl");
        var e = Assert.Throws<TraceFormatException>(() => TraceFile.Load(path));
        Assert.Equal(0, e.Line);
        Assert.StartsWith($"{path}: cannot read the trace file", e.Message);
    }
}
