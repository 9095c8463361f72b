using Emulator.Core.Timing;
using Emulator.Devices;

namespace Emulator.Tests.Devices;

public class Pit8254Tests
{
    // Reference conversion, independent of the device: the PIT runs at 1.193182 MHz and virtual
    // time runs at VirtualClock.TicksPerSecond ticks per second.
    private const ulong PitHz = 1_193_182;
    private const ulong Tps = 100_000_000;

    private static ulong PitTicks(ulong virtualTicks) => (ulong)((System.Numerics.BigInteger)virtualTicks * PitHz / Tps);

    /// <summary>The first virtual tick at which <paramref name="pitTicks"/> PIT clocks have elapsed since tick 0.</summary>
    private static ulong VirtualTickOfPit(ulong pitTicks) =>
        (ulong)(((System.Numerics.BigInteger)pitTicks * Tps + PitHz - 1) / PitHz);

    private static (Pit8254 Pit, VirtualClock Clock, FakeIrqSink Irq) Create()
    {
        var clock = new VirtualClock();
        var irq = new FakeIrqSink(clock);
        return (new Pit8254(clock, irq), clock, irq);
    }

    private static void Program(Pit8254 pit, int channel, int mode, ushort count)
    {
        pit.WritePort(0x43, 1, (uint)((channel << 6) | 0x30 | (mode << 1))); // lobyte/hibyte, binary
        pit.WritePort((ushort)(0x40 + channel), 1, (uint)(count & 0xFF));
        pit.WritePort((ushort)(0x40 + channel), 1, (uint)(count >> 8));
    }

    private static int ReadCount(Pit8254 pit, int channel)
    {
        int lo = (int)pit.ReadPort((ushort)(0x40 + channel), 1);
        int hi = (int)pit.ReadPort((ushort)(0x40 + channel), 1);
        return lo | (hi << 8);
    }

    [Fact]
    public void ClockConstantMatchesDocumentedRate()
    {
        Assert.Equal((long)Tps, VirtualClock.TicksPerSecond);
    }

    [Theory]
    [InlineData(0ul)]
    [InlineData(12_345ul)]
    public void Mode0CountsDownFromTheLoadTime(ulong start)
    {
        var (pit, clock, _) = Create();
        clock.Now = start;
        Program(pit, 0, 0, 50_000);
        ulong loadPit = PitTicks(start);
        foreach (ulong dt in new ulong[] { 0, 1_000, 77_777, 2_000_000 })
        {
            clock.Now = start + dt;
            int expected = (int)(50_000 - (PitTicks(clock.Now) - loadPit));
            Assert.Equal(expected, ReadCount(pit, 0));
        }
    }

    [Fact]
    public void Mode0OutputAndIrq0RiseWhenTheCountReachesZero()
    {
        var (pit, clock, irq) = Create();
        Program(pit, 0, 0, 1000);
        Assert.False(pit.GetOutput(0));
        Assert.False(irq.Level(0));
        ulong due = VirtualTickOfPit(1000);
        clock.AdvanceTo(due - 1);
        Assert.False(irq.Level(0));
        clock.AdvanceTo(due);
        Assert.True(irq.Level(0));
        Assert.Equal(new List<ulong> { due }, irq.RisingEdgeTimes(0));
        // Mode 0 is one-shot: no further edges.
        clock.AdvanceBy(10_000_000);
        Assert.Equal(1, irq.RisingEdgeCount(0));
        // The counter keeps decrementing through zero (wraps to 0xFFFF...).
        int expected = (int)((1000 - (long)PitTicks(clock.Now)) & 0xFFFF);
        Assert.Equal(expected, ReadCount(pit, 0));
    }

    [Fact]
    public void Mode2ReloadsEveryPeriod()
    {
        var (pit, clock, _) = Create();
        const int n = 300;
        Program(pit, 0, 2, n);
        foreach (ulong t in new ulong[] { 0, 5_000, 25_100, 25_200, 123_456, 9_999_999 })
        {
            clock.AdvanceTo(t);
            ulong e = PitTicks(t);
            int expected = n - (int)(e % n); // n, n-1, ..., 1, n, ...
            Assert.Equal(expected, ReadCount(pit, 0));
            Assert.Equal(e % n != n - 1, pit.GetOutput(0)); // OUT low only while the count is 1
        }
    }

    [Fact]
    public void Mode3SquareWaveCountsByTwoAndTogglesEachHalfPeriod()
    {
        var (pit, clock, _) = Create();
        const int n = 1000;
        Program(pit, 0, 3, n);
        foreach (ulong t in new ulong[] { 0, 10_000, 41_000, 42_000, 83_000, 90_000, 1_234_567 })
        {
            clock.AdvanceTo(t);
            ulong e = PitTicks(t);
            int phase = (int)(e % n);
            bool high = phase < n / 2;
            int expected = n - 2 * (high ? phase : phase - n / 2);
            Assert.Equal(expected, ReadCount(pit, 0));
            Assert.Equal(high, pit.GetOutput(0));
        }
    }

    [Fact]
    public void Irq0FiresOncePerPeriodInMode2()
    {
        var (pit, clock, irq) = Create();
        const ulong n = 11_932; // ~100 Hz
        Program(pit, 0, 2, (ushort)n);
        int edgesAtProgramming = irq.RisingEdgeCount(0); // OUT goes high when mode 2 is programmed
        clock.AdvanceTo(VirtualTickOfPit(5 * n));
        var times = irq.RisingEdgeTimes(0).Skip(edgesAtProgramming).ToList();
        var expected = Enumerable.Range(1, 5).Select(k => VirtualTickOfPit((ulong)k * n)).ToList();
        Assert.Equal(expected, times);
    }

    [Fact]
    public void Irq0PeriodInMode3MatchesTheCount()
    {
        var (pit, clock, irq) = Create();
        const ulong n = 0x10000; // count 0 = 65536: the 18.2 Hz BIOS tick
        Program(pit, 0, 3, 0);
        int before = irq.RisingEdgeCount(0);
        clock.AdvanceTo(VirtualTickOfPit(3 * n));
        var times = irq.RisingEdgeTimes(0).Skip(before).ToList();
        Assert.Equal(new List<ulong> { VirtualTickOfPit(n), VirtualTickOfPit(2 * n), VirtualTickOfPit(3 * n) }, times);
    }

    [Fact]
    public void Mode4StrobesIrq0OnceWhenTheCountExpires()
    {
        var (pit, clock, irq) = Create();
        Program(pit, 0, 4, 500);
        int before = irq.RisingEdgeCount(0);
        clock.AdvanceTo(VirtualTickOfPit(5000));
        Assert.Equal(new List<ulong> { VirtualTickOfPit(500) }, irq.RisingEdgeTimes(0).Skip(before).ToList());
    }

    [Fact]
    public void CounterLatchFreezesTheReadValue()
    {
        var (pit, clock, _) = Create();
        Program(pit, 0, 2, 40_000);
        clock.Now = 200_000;
        int atLatch = 40_000 - (int)(PitTicks(200_000) % 40_000);
        pit.WritePort(0x43, 1, 0x00); // latch channel 0
        clock.Now = 900_000;
        Assert.Equal(atLatch, ReadCount(pit, 0));
        // After the latched value has been read, reads follow the live count again.
        int live = 40_000 - (int)(PitTicks(900_000) % 40_000);
        Assert.Equal(live, ReadCount(pit, 0));
    }

    [Fact]
    public void LowByteOnlyAccessReadsAndWritesOneByte()
    {
        var (pit, clock, _) = Create();
        pit.WritePort(0x43, 1, 0x50); // channel 1, lobyte only, mode 0
        pit.WritePort(0x41, 1, 200);
        clock.Now = 5_000;
        int expected = 200 - (int)PitTicks(5_000);
        Assert.Equal((uint)expected, pit.ReadPort(0x41, 1));
        Assert.Equal((uint)expected, pit.ReadPort(0x41, 1));
    }

    [Fact]
    public void ReadBackReturnsStatusThenCount()
    {
        var (pit, clock, _) = Create();
        Program(pit, 2, 3, 500); // channel 2: gate low, counting not started
        Program(pit, 0, 2, 1234);
        clock.Now = 77_000;
        pit.WritePort(0x43, 1, 0xC2); // read-back: count and status of channel 0
        byte status = (byte)pit.ReadPort(0x40, 1);
        // OUT (bit 7) high in mode 2 except in the last clock; null count clear; RW=3; mode 2; binary.
        ulong e = PitTicks(77_000);
        int outBit = e % 1234 != 1233 ? 0x80 : 0;
        Assert.Equal(outBit | (3 << 4) | (2 << 1), status);
        Assert.Equal(1234 - (int)(e % 1234), ReadCount(pit, 0));
    }

    [Fact]
    public void ReadBackStatusShowsNullCountBeforeTheCountIsWritten()
    {
        var (pit, _, _) = Create();
        pit.WritePort(0x43, 1, 0x74); // channel 1, lohi, mode 2
        pit.WritePort(0x43, 1, 0xE4); // read-back status only (bit 5 set), channel 1
        Assert.Equal(0x80 | 0x40 | 0x30 | 0x04, (int)pit.ReadPort(0x41, 1));
    }

    [Fact]
    public void BcdModeCountsInDecimal()
    {
        var (pit, clock, _) = Create();
        pit.WritePort(0x43, 1, 0x31); // channel 0, lohi, mode 0, BCD
        pit.WritePort(0x40, 1, 0x00);
        pit.WritePort(0x40, 1, 0x50); // 5000 decimal
        clock.Now = 100_000; // 1193 PIT ticks
        int dec = 5000 - (int)PitTicks(100_000);
        int bcd = ((dec / 1000) << 12) | ((dec / 100 % 10) << 8) | ((dec / 10 % 10) << 4) | (dec % 10);
        Assert.Equal(bcd, ReadCount(pit, 0));
    }

    [Fact]
    public void Channel2GateThroughPort61ControlsCountingAndOutput()
    {
        var (pit, clock, _) = Create();
        var portB = new SystemControlPortB(pit, clock);
        Program(pit, 2, 0, 100);
        clock.Now = 50_000;
        Assert.Equal(100, ReadCount(pit, 2)); // gate low: mode 0 does not count
        Assert.Equal(0u, portB.ReadPort(0x61, 1) & 0x20);
        portB.WritePort(0x61, 1, 0x01);
        ulong start = clock.Now;
        clock.Now = start + 5_000;
        Assert.Equal(100 - (int)(PitTicks(start + 5_000) - PitTicks(start)), ReadCount(pit, 2));
        clock.Now = start + 20_000; // > 100 PIT ticks later: OUT high
        Assert.Equal(0x20u, portB.ReadPort(0x61, 1) & 0x20);
        Assert.Equal(0x01u, portB.ReadPort(0x61, 1) & 0x01);
    }

    [Fact]
    public void Port61RefreshBitTogglesWithVirtualTime()
    {
        var (pit, clock, _) = Create();
        var portB = new SystemControlPortB(pit, clock);
        // 15.085 us per toggle = 1508.5 ticks at 100 MHz virtual time.
        clock.Now = 1_000;
        Assert.Equal(0u, portB.ReadPort(0x61, 1) & 0x10);
        clock.Now = 1_600;
        Assert.Equal(0x10u, portB.ReadPort(0x61, 1) & 0x10);
        clock.Now = 3_100;
        Assert.Equal(0u, portB.ReadPort(0x61, 1) & 0x10);
    }
}
