using Emulator.Core.Input;
using Emulator.Core.Timing;

namespace Emulator.Tests.Devices;

/// <summary>The deterministic input log: live events enter at polls chosen by virtual time, are recorded, and replay at the same ticks.</summary>
public class HostInputLogTests
{
    [Fact]
    public void LiveEventsEnterAtTheNextPollAndAreRecordedWithThatTick()
    {
        var clock = new VirtualClock();
        var delivered = new List<(ulong, KeyInput)>();
        var record = new StringWriter();
        var log = new HostInputLog(clock, () => false, k => delivered.Add((clock.Now, k)));
        log.RecordTo(record);
        log.StartLive();
        clock.AdvanceTo(150_000);
        log.Post(new KeyInput(0x1E, true));
        log.Post(new KeyInput(0x1E, false));
        Assert.Empty(delivered); // posting never touches the machine
        clock.AdvanceTo(250_000);
        Assert.Equal(new[] { (200_000ul, new KeyInput(0x1E, true)), (200_000ul, new KeyInput(0x1E, false)) }, delivered);
        var lines = record.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(new[] { InputLogFile.Header, "200000 key 1e down", "200000 key 1e up" }, lines);
    }

    [Fact]
    public void ReplayDeliversAtTheRecordedTicks()
    {
        var text = "# a comment\n100 key 1c down\n\n100 key 1c up\n123456 key e048 down\n";
        var events = InputLogFile.Parse(new StringReader(text));
        var clock = new VirtualClock();
        var delivered = new List<(ulong, KeyInput)>();
        var log = new HostInputLog(clock, () => false, k => delivered.Add((clock.Now, k)));
        var traced = new List<RecordedInput>();
        log.Injected = traced.Add;
        log.Replay(events);
        clock.AdvanceTo(1_000_000);
        Assert.Equal(new[]
        {
            (100ul, new KeyInput(0x1C, true)), (100ul, new KeyInput(0x1C, false)), (123456ul, new KeyInput(0xE048, true)),
        }, delivered);
        Assert.Equal(events, traced);
    }

    [Theory]
    [InlineData("100 key 1e sideways")]
    [InlineData("100 key 80 down")]
    [InlineData("100 key e1048 down")]
    [InlineData("x key 1e down")]
    [InlineData("100 mouse 1e down")]
    public void MalformedLinesAreRejectedWithTheirLineNumber(string line)
    {
        var e = Assert.Throws<FormatException>(() => InputLogFile.Parse(new StringReader("1 key 1e down\n" + line + "\n"), "keys.txt"));
        Assert.StartsWith("keys.txt:2:", e.Message);
    }

    [Fact]
    public void TicksMustNotGoBackwards()
    {
        var e = Assert.Throws<FormatException>(() => InputLogFile.Parse(new StringReader("500 key 1e down\n400 key 1e up\n")));
        Assert.Contains("before the previous event", e.Message);
    }

    [Fact]
    public void AFloodOfHostEventsIsBounded()
    {
        var clock = new VirtualClock();
        int delivered = 0;
        var log = new HostInputLog(clock, () => false, _ => delivered++);
        log.StartLive();
        for (int i = 0; i < HostInputLog.MaxQueued + 10; i++) log.Post(new KeyInput(0x1E, true));
        clock.AdvanceTo(HostInputLog.PollTicks);
        Assert.Equal(HostInputLog.MaxQueued, delivered);
        Assert.Equal(10, log.Dropped);
    }

    private sealed class FailingWriter : StringWriter
    {
        public bool Fail;
        public override void WriteLine(string? value)
        {
            if (Fail) throw new IOException("disk full");
            base.WriteLine(value);
        }
    }

    [Fact]
    public void AFailingRecordFileStopsTheRecordNotTheRun()
    {
        var clock = new VirtualClock();
        int delivered = 0;
        var log = new HostInputLog(clock, () => false, _ => delivered++, Serilog.Core.Logger.None);
        var writer = new FailingWriter();
        log.RecordTo(writer);
        log.Replay([new RecordedInput(10, new KeyInput(0x1E, true)), new RecordedInput(20, new KeyInput(0x1E, false))]);
        writer.Fail = true;
        clock.AdvanceTo(100);
        Assert.Equal(2, delivered);
        Assert.Equal(InputLogFile.Header + Environment.NewLine, writer.ToString());
    }

    [Fact]
    public void ATracesInputEventsAreAnInputLog()
    {
        string trace = """
            {"i":0,"type":"trace","version":1,"level":"boot"}
            {"i":4959,"type":"console","text":"hello"}
            {"i":10000000,"type":"input","device":"keyboard","scancode":"0x2d","action":"down"}
            {"i":10100000,"type":"input","device":"keyboard","scancode":"0xe048","action":"up"}
            {"i":20000000,"type":"end","reason":"instruction-limit","status":124,"message":"..."}
            """;
        Assert.Equal(new[]
        {
            new RecordedInput(10_000_000, new KeyInput(0x2D, true)), new RecordedInput(10_100_000, new KeyInput(0xE048, false)),
        }, InputLogFile.Parse(new StringReader(trace)));
    }

    [Theory]
    [InlineData("{\"i\":5,\"type\":\"input\",\"device\":\"keyboard\",\"scancode\":\"0x80\",\"action\":\"down\"}", "malformed input event")]
    [InlineData("{\"i\":5,\"type\":\"input\",\"device\":\"mouse\",\"scancode\":\"0x1e\",\"action\":\"down\"}", "malformed input event")]
    [InlineData("{\"i\":5,\"type\":", "not a JSON trace line")]
    public void MalformedTraceLinesAreRejected(string line, string message)
    {
        var e = Assert.Throws<FormatException>(() => InputLogFile.Parse(new StringReader(line), "t.jsonl"));
        Assert.StartsWith("t.jsonl:1: ", e.Message);
        Assert.Contains(message, e.Message);
    }

    [Fact]
    public void AfterARestoreTheLoggedKeysReenterAndLiveKeysWaitForThem()
    {
        var clock = new VirtualClock();
        var delivered = new List<(ulong, KeyInput)>();
        var record = new StringWriter();
        var log = new HostInputLog(clock, () => false, k => delivered.Add((clock.Now, k)), Serilog.Core.Logger.None);
        log.RecordTo(record);
        log.StartLive();
        KeyInput a = new(0x1E, true), b = new(0x30, true), c = new(0x2E, true);
        log.Post(a);
        clock.AdvanceTo(150_000); // a enters at the poll at 100,000
        var clockState = new Emulator.Core.Snapshots.SnapshotWriter();
        var logState = new Emulator.Core.Snapshots.SnapshotWriter();
        clock.SaveState(clockState);
        log.SaveState(logState);
        log.Post(b);
        clock.AdvanceTo(250_000); // b enters at 200,000

        // Back to 150,000 (the clock first: it drops every event, the log re-creates its own).
        clock.LoadState(new Emulator.Core.Snapshots.SnapshotReader("clock", clockState.ToArray()));
        log.LoadState(new Emulator.Core.Snapshots.SnapshotReader("input", logState.ToArray()));
        Assert.Equal(1, log.InjectedCount);
        log.Post(c); // typed while the machine re-executes: it waits until b has entered again
        clock.AdvanceTo(450_000);
        Assert.Equal(new[] { (100_000ul, a), (200_000ul, b), (200_000ul, b), (300_000ul, c) }, delivered);
        Assert.Equal(new[] { new RecordedInput(100_000, a), new RecordedInput(200_000, b), new RecordedInput(300_000, c) }, log.Events);
        Assert.Equal(new[] { InputLogFile.Header, "100000 key 1e down", "200000 key 30 down", "300000 key 2e down" },
            record.ToString().Split(Environment.NewLine, StringSplitOptions.RemoveEmptyEntries));
    }
}
