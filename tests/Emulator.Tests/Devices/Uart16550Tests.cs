using Emulator.Core.Timing;
using Emulator.Devices;

namespace Emulator.Tests.Devices;

public class Uart16550Tests
{
    private const ushort Base = 0x3F8;
    private const ushort Rbr = Base, Ier = Base + 1, Iir = Base + 2, Fcr = Base + 2, Lcr = Base + 3, Mcr = Base + 4,
        Lsr = Base + 5, Msr = Base + 6, Scr = Base + 7;

    private sealed class Rig
    {
        public readonly VirtualClock Clock = new();
        public readonly FakeIrqSink Irq;
        public readonly List<byte> Output = new();
        public readonly Uart16550 Uart;

        public Rig()
        {
            Irq = new FakeIrqSink(Clock);
            Uart = new Uart16550(Base, 4, Irq, Clock, Output.Add);
        }

        public byte In(ushort port) => (byte)Uart.ReadPort(port, 1);
        public void Out(ushort port, byte v) => Uart.WritePort(port, 1, v);
    }

    [Fact]
    public void DivisorLatchIsReachedWithDlab()
    {
        var r = new Rig();
        r.Out(Lcr, 0x80);
        r.Out(Base, 0x03);      // DLL
        r.Out(Base + 1, 0x00);  // DLM: 38400 baud
        Assert.Equal(0x03, r.In(Base));
        Assert.Equal(0x00, r.In(Base + 1));
        r.Out(Lcr, 0x03);       // 8N1, DLAB off
        Assert.Equal(0x03, r.In(Lcr));
        Assert.Equal(3, r.Uart.Divisor);
        r.Out(Ier, 0x05);
        Assert.Equal(0x05, r.In(Ier)); // IER, not DLM
        Assert.Empty(r.Output);        // writing DLL sent nothing
    }

    [Fact]
    public void ScratchRegisterHoldsItsValue()
    {
        var r = new Rig();
        r.Out(Scr, 0x5A);
        Assert.Equal(0x5A, r.In(Scr));
    }

    [Fact]
    public void TransmittedBytesReachTheSinkAndThrStaysEmpty()
    {
        var r = new Rig();
        r.Out(Base, (byte)'h');
        r.Out(Base, (byte)'i');
        Assert.Equal("hi"u8.ToArray(), r.Output.ToArray());
        Assert.Equal(0x60, r.In(Lsr) & 0x60); // THRE and TEMT
    }

    [Fact]
    public void ThreInterruptIsReportedInIirAndClearedByReadingIt()
    {
        var r = new Rig();
        Assert.Equal(0x01, r.In(Iir)); // nothing pending
        r.Out(Mcr, 0x08);              // OUT2 routes the interrupt to the PIC
        r.Out(Ier, 0x02);              // ETBEI while THR is empty: THRE interrupt
        Assert.True(r.Irq.Level(4));
        Assert.Equal(0x02, r.In(Iir));
        Assert.False(r.Irq.Level(4));  // reading IIR cleared it
        Assert.Equal(0x01, r.In(Iir));
        int edges = r.Irq.RisingEdgeCount(4);
        r.Out(Base, 0x41);             // THR empties at once: a new THRE interrupt (a new edge)
        Assert.Equal(edges + 1, r.Irq.RisingEdgeCount(4));
        Assert.Equal(0x02, r.In(Iir));
    }

    [Fact]
    public void Out2GatesTheIrqLine()
    {
        var r = new Rig();
        r.Out(Ier, 0x02);
        Assert.False(r.Irq.Level(4));
        Assert.Equal(0x02, r.In(Iir) & 0x0F); // pending inside the UART all the same
    }

    [Fact]
    public void HostInputRaisesReceiveInterrupt()
    {
        var r = new Rig();
        r.Out(Mcr, 0x08);
        r.Out(Ier, 0x01);
        r.Uart.EnqueueInput((byte)'x');
        // The poll event moves host input into the receiver within one poll interval.
        r.Clock.AdvanceBy(Uart16550.InputPollTicks);
        Assert.True(r.Irq.Level(4));
        Assert.Equal(0x01, r.In(Lsr) & 0x01); // DR
        Assert.Equal(0x04, r.In(Iir));        // received data available
        Assert.Equal((byte)'x', r.In(Rbr));
        Assert.Equal(0x00, r.In(Lsr) & 0x01);
        Assert.Equal(0x01, r.In(Iir));
        Assert.False(r.Irq.Level(4));
    }

    [Fact]
    public void ReceivePriorityIsAboveThre()
    {
        var r = new Rig();
        r.Out(Ier, 0x03);
        r.Uart.EnqueueInput((byte)'a');
        Assert.Equal(0x04, r.In(Iir));
        r.In(Rbr);
        Assert.Equal(0x02, r.In(Iir));
    }

    [Fact]
    public void FifoHoldsSixteenBytesAndReportsTriggerLevel()
    {
        var r = new Rig();
        r.Out(Fcr, 0xC7); // enable + reset both FIFOs, trigger level 14
        r.Out(Ier, 0x01);
        Assert.Equal(0xC1, r.In(Iir)); // FIFO-enabled bits 7-6, nothing pending
        r.Uart.EnqueueInput("abc"u8);
        Assert.Equal(0xCC, r.In(Iir)); // below the trigger level: character timeout
        var data = Enumerable.Range(0, 20).Select(i => (byte)('A' + i)).ToArray();
        r.Uart.EnqueueInput(data);
        Assert.Equal(0xC4, r.In(Iir)); // 16 >= 14: data available
        var got = new List<byte>();
        while ((r.In(Lsr) & 0x01) != 0) got.Add(r.In(Rbr));
        Assert.Equal("abc"u8.ToArray().Concat(data).ToArray(), got.ToArray());
        Assert.Equal(0, r.In(Lsr) & 0x02); // host bytes wait in the host queue: no overrun
    }

    [Fact]
    public void FifoResetDiscardsReceivedBytes()
    {
        var r = new Rig();
        r.Out(Fcr, 0x01);
        r.Out(Mcr, 0x10); // loopback so that no host input refills the FIFO
        r.Out(Base, 1);
        r.Out(Base, 2);
        Assert.Equal(0x01, r.In(Lsr) & 0x01);
        r.Out(Fcr, 0x03);
        Assert.Equal(0x00, r.In(Lsr) & 0x01);
    }

    [Fact]
    public void LoopbackRoutesTransmitToReceiveAndModemControlToStatus()
    {
        var r = new Rig();
        r.Out(Mcr, 0x10);
        r.In(Msr); // clear deltas from entering loopback
        r.Out(Base, 0x55);
        Assert.Empty(r.Output);
        Assert.Equal(0x55, r.In(Rbr));
        r.Out(Mcr, 0x1F); // DTR, RTS, OUT1, OUT2 -> DSR, CTS, RI, DCD
        byte msr = r.In(Msr);
        Assert.Equal(0xF0, msr & 0xF0);
        Assert.Equal(0x0B, msr & 0x0F); // DCTS, DDSR, DDCD (RI rising edge sets no TERI)
        Assert.Equal(0x00, r.In(Msr) & 0x0F); // deltas cleared by the read
        r.Out(Mcr, 0x1B); // OUT1 off: RI trailing edge sets TERI
        Assert.Equal(0x04, r.In(Msr) & 0x0F);
    }

    [Fact]
    public void NonFifoOverrunSetsOeUntilLsrIsRead()
    {
        var r = new Rig();
        r.Out(Mcr, 0x10);
        r.Out(Base, 1);
        r.Out(Base, 2); // the holding register was full
        byte lsr = r.In(Lsr);
        Assert.Equal(0x03, lsr & 0x03); // DR + OE
        Assert.Equal(0x00, r.In(Lsr) & 0x02);
        Assert.Equal(2, r.In(Rbr)); // the 16450 keeps the newest byte
    }

    [Fact]
    public void LineStatusInterruptHasHighestPriority()
    {
        var r = new Rig();
        r.Out(Mcr, 0x10);
        r.Out(Ier, 0x07);
        r.Out(Base, 1);
        r.Out(Base, 2);
        Assert.Equal(0x06, r.In(Iir));
        r.In(Lsr);
        Assert.Equal(0x04, r.In(Iir));
    }

    [Fact]
    public void ModemStatusOutsideLoopbackShowsAConnectedTerminal()
    {
        var r = new Rig();
        Assert.Equal(0xB0, r.In(Msr)); // DCD, DSR, CTS
    }
}
