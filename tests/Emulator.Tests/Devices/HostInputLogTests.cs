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
}
