using Emulator.Core.Timing;
using Emulator.Devices;

namespace Emulator.Tests.Devices;

public class CmosRtcTests
{
    private const ulong Tps = 100_000_000;
    private const uint MiB = 1024 * 1024;

    private sealed class Rig
    {
        public readonly VirtualClock Clock = new();
        public readonly FakeIrqSink Irq;
        public readonly CmosRtc Rtc;

        public Rig(DateTime? baseTime = null, uint ram = 16 * MiB)
        {
            Irq = new FakeIrqSink(Clock);
            Rtc = new CmosRtc(Clock, Irq, ram, baseTime);
        }

        public byte Read(int index)
        {
            Rtc.WritePort(0x70, 1, (uint)index);
            return (byte)Rtc.ReadPort(0x71, 1);
        }

        public void Write(int index, byte value)
        {
            Rtc.WritePort(0x70, 1, (uint)index);
            Rtc.WritePort(0x71, 1, value);
        }
    }

    [Fact]
    public void DefaultTimeIsJanuaryFirst2000InBcd()
    {
        var r = new Rig();
        Assert.Equal(0x00, r.Read(0x00));
        Assert.Equal(0x00, r.Read(0x02));
        Assert.Equal(0x00, r.Read(0x04));
        Assert.Equal(0x07, r.Read(0x06)); // 2000-01-01 was a Saturday (Sunday = 1)
        Assert.Equal(0x01, r.Read(0x07));
        Assert.Equal(0x01, r.Read(0x08));
        Assert.Equal(0x00, r.Read(0x09));
        Assert.Equal(0x20, r.Read(0x32));
        Assert.Equal(0x26, r.Read(0x0A));
        Assert.Equal(0x02, r.Read(0x0B)); // 24-hour, BCD
        Assert.Equal(0x80, r.Read(0x0D)); // VRT
    }

    [Fact]
    public void TimeAdvancesWithVirtualTimeInBcd()
    {
        var r = new Rig();
        r.Clock.Now = (12 * 3600 + 34 * 60 + 56) * Tps + Tps / 2; // 12:34:56.5
        Assert.Equal(0x56, r.Read(0x00));
        Assert.Equal(0x34, r.Read(0x02));
        Assert.Equal(0x12, r.Read(0x04));
    }

    [Fact]
    public void BinaryModeFollowsRegisterBDmBit()
    {
        var r = new Rig();
        r.Write(0x0B, 0x06); // binary, 24-hour
        r.Clock.Now = (23 * 3600 + 59 * 60 + 58) * Tps;
        Assert.Equal(58, r.Read(0x00));
        Assert.Equal(59, r.Read(0x02));
        Assert.Equal(23, r.Read(0x04));
        Assert.Equal(20, r.Read(0x32));
    }

    [Fact]
    public void TwelveHourModeSetsPmBit()
    {
        var r = new Rig(new DateTime(2021, 6, 15, 15, 30, 0));
        r.Write(0x0B, 0x00); // BCD, 12-hour
        Assert.Equal(0x80 | 0x03, r.Read(0x04));
        r.Write(0x0B, 0x04); // binary, 12-hour
        Assert.Equal(0x80 | 3, r.Read(0x04));
        var midnight = new Rig(new DateTime(2021, 6, 15, 0, 10, 0));
        midnight.Write(0x0B, 0x00);
        Assert.Equal(0x12, midnight.Read(0x04)); // 12 AM
    }

    [Fact]
    public void ConfiguredBaseTimeRollsOverTheYear()
    {
        var r = new Rig(new DateTime(1999, 12, 31, 23, 59, 59));
        Assert.Equal(0x99, r.Read(0x09));
        Assert.Equal(0x19, r.Read(0x32));
        r.Clock.Now = Tps;
        Assert.Equal(0x00, r.Read(0x00));
        Assert.Equal(0x01, r.Read(0x07));
        Assert.Equal(0x01, r.Read(0x08));
        Assert.Equal(0x00, r.Read(0x09));
        Assert.Equal(0x20, r.Read(0x32));
        Assert.Equal(new DateTime(2000, 1, 1), r.Rtc.CurrentTime);
    }

    [Fact]
    public void UipIsSetForTheLast244MicrosecondsOfEachSecond()
    {
        var r = new Rig();
        const ulong window = 244 * Tps / 1_000_000; // 24,400 ticks
        r.Clock.Now = 5 * Tps - window - 1;
        Assert.Equal(0, r.Read(0x0A) & 0x80);
        r.Clock.Now = 5 * Tps - window;
        Assert.Equal(0x80, r.Read(0x0A) & 0x80);
        r.Clock.Now = 5 * Tps - 1;
        Assert.Equal(0x80, r.Read(0x0A) & 0x80);
        r.Clock.Now = 5 * Tps;
        Assert.Equal(0, r.Read(0x0A) & 0x80);
    }

    [Fact]
    public void SetBitFreezesTimeAndAcceptsNewTime()
    {
        var r = new Rig();
        r.Write(0x0B, 0x82); // SET
        r.Write(0x04, 0x17);
        r.Write(0x02, 0x45);
        r.Clock.Now = 10 * Tps;
        Assert.Equal(0x17, r.Read(0x04)); // frozen while SET
        Assert.Equal(0x00, r.Read(0x00));
        r.Write(0x0B, 0x02);              // release: time runs from 17:45:00
        r.Clock.Now += 3 * Tps;
        Assert.Equal(0x03, r.Read(0x00));
        Assert.Equal(0x45, r.Read(0x02));
        Assert.Equal(0x17, r.Read(0x04));
    }

    [Fact]
    public void PeriodicInterruptRaisesIrq8AndRegisterCReadClearsIt()
    {
        var r = new Rig();
        r.Write(0x0A, 0x2F);       // RS = 15: 2 Hz
        r.Write(0x0B, 0x42);       // PIE
        r.Clock.AdvanceTo(Tps / 2 - 1);
        Assert.False(r.Irq.Level(8));
        r.Clock.AdvanceTo(Tps / 2);
        Assert.True(r.Irq.Level(8));
        Assert.Equal(0xC0, r.Read(0x0C)); // IRQF | PF
        Assert.False(r.Irq.Level(8));
        Assert.Equal(0x00, r.Read(0x0C)); // cleared by the read
    }

    [Fact]
    public void PeriodicInterruptAt1024HzFollowsTheRateSelect()
    {
        var r = new Rig();
        r.Write(0x0B, 0x42); // PIE with the default RS = 6: 1024 Hz
        for (ulong k = 1; k <= 6; k++)
        {
            ulong due = (k * Tps + 1023) / 1024; // ceil(k / 1024 s)
            r.Clock.AdvanceTo(due - 1);
            Assert.False(r.Irq.Level(8));
            r.Clock.AdvanceTo(due);
            Assert.True(r.Irq.Level(8));
            Assert.Equal(0xC0, r.Read(0x0C));
        }
        Assert.Equal(6, r.Irq.RisingEdgeCount(8));
    }

    [Fact]
    public void NoPeriodicInterruptWithoutPie()
    {
        var r = new Rig();
        r.Clock.AdvanceTo(Tps / 10);
        Assert.Equal(0, r.Irq.RisingEdgeCount(8));
        // PF is still set by the running divider; IRQF is not.
        Assert.Equal(0x40, r.Read(0x0C) & 0xC0);
    }

    [Fact]
    public void UpdateEndedInterruptFiresEachSecond()
    {
        var r = new Rig();
        r.Write(0x0B, 0x12); // UIE
        r.Clock.AdvanceTo(Tps - 1);
        Assert.False(r.Irq.Level(8));
        r.Clock.AdvanceTo(Tps);
        Assert.True(r.Irq.Level(8));
        byte c = r.Read(0x0C);
        Assert.Equal(0x90, c & 0xB0); // IRQF | UF, no alarm (PF is also set: the divider runs at 1024 Hz)
    }

    [Fact]
    public void IndexBit7DisablesNmiAndSelectsTheRegister()
    {
        var r = new Rig();
        r.Rtc.WritePort(0x70, 1, 0x8B);
        Assert.True(r.Rtc.NmiDisabled);
        Assert.Equal(0x02u, r.Rtc.ReadPort(0x71, 1));
        r.Rtc.WritePort(0x70, 1, 0x0B);
        Assert.False(r.Rtc.NmiDisabled);
    }

    [Fact]
    public void MemorySizeBytesFor128MiB()
    {
        var r = new Rig(ram: 128 * MiB);
        Assert.Equal(640, r.Read(0x15) | (r.Read(0x16) << 8));
        // (128 MiB - 1 MiB) / 1 KiB = 130048 does not fit 16 bits: capped.
        Assert.Equal(0xFFFF, r.Read(0x17) | (r.Read(0x18) << 8));
        Assert.Equal(0xFFFF, r.Read(0x30) | (r.Read(0x31) << 8));
        Assert.Equal((128 - 16) * 16, r.Read(0x34) | (r.Read(0x35) << 8)); // 64 KiB units above 16 MiB
    }

    [Fact]
    public void MemorySizeBytesFor8MiB()
    {
        var r = new Rig(ram: 8 * MiB);
        Assert.Equal(7 * 1024, r.Read(0x17) | (r.Read(0x18) << 8));
        Assert.Equal(7 * 1024, r.Read(0x30) | (r.Read(0x31) << 8));
        Assert.Equal(0, r.Read(0x34) | (r.Read(0x35) << 8));
    }

    [Fact]
    public void OrdinaryCmosBytesAreStored()
    {
        var r = new Rig();
        r.Write(0x0F, 0x0A);
        r.Write(0x50, 0x77);
        Assert.Equal(0x0A, r.Read(0x0F));
        Assert.Equal(0x77, r.Read(0x50));
    }
}
