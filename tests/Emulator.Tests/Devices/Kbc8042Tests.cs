using Emulator.Core.Input;
using Emulator.Core.Memory;
using Emulator.Devices;

namespace Emulator.Tests.Devices;

public class Kbc8042Tests
{
    /// <summary>A controller on its own, with the ports as the guest sees them (shared with <see cref="Kbc8042KeyTests"/>).</summary>
    internal sealed class Rig
    {
        public readonly PhysicalMemory Memory = new(2 * 1024 * 1024);
        public readonly FakeMachineControl Control = new();
        public readonly FakeIrqSink Irq = new();
        public readonly Kbc8042 Kbc;

        public Rig() => Kbc = new Kbc8042(Memory, Control, Irq);

        public void Command(byte c) => Kbc.WritePort(0x64, 1, c);
        public void Data(byte d) => Kbc.WritePort(0x60, 1, d);
        public byte Status => (byte)Kbc.ReadPort(0x64, 1);
        public byte ReadData() => (byte)Kbc.ReadPort(0x60, 1);

        public void Key(ushort code, bool down) => Kbc.KeyEvent(new KeyInput(code, down));

        /// <summary>Reads the data port while the status says the output buffer is full.</summary>
        public List<byte> Drain()
        {
            var bytes = new List<byte>();
            while ((Status & Kbc8042.StatusOutputFull) != 0) bytes.Add(ReadData());
            return bytes;
        }
    }

    [Fact]
    public void SelfTestAnswers55()
    {
        var r = new Rig();
        Assert.Equal(0, r.Status & 0x01);
        r.Command(0xAA);
        Assert.Equal(0x01, r.Status & 0x01); // OBF
        Assert.Equal(0x08, r.Status & 0x08); // last write was a command
        Assert.Equal(0x55, r.ReadData());
        Assert.Equal(0, r.Status & 0x01);
        Assert.Equal(0x04, r.Status & 0x04); // system flag
    }

    [Fact]
    public void InterfaceTestAnswersZero()
    {
        var r = new Rig();
        r.Command(0xAB);
        Assert.Equal(0x00, r.ReadData());
    }

    [Fact]
    public void CommandByteReadAndWrite()
    {
        var r = new Rig();
        r.Command(0x60);
        r.Data(0x65);
        r.Command(0x20);
        Assert.Equal(0x65, r.ReadData());
        Assert.Equal(0x65, r.Kbc.CommandByte);
    }

    [Fact]
    public void DisableAndEnableKeyboardToggleCommandByteBit4()
    {
        var r = new Rig();
        r.Command(0xAD);
        Assert.False(r.Kbc.KeyboardEnabled);
        r.Command(0x20);
        Assert.Equal(0x10, r.ReadData() & 0x10);
        r.Command(0xAE);
        Assert.True(r.Kbc.KeyboardEnabled);
    }

    [Fact]
    public void OutputPortWriteControlsA20()
    {
        var r = new Rig();
        Assert.True(r.Memory.A20Enabled);
        r.Command(0xD1);
        r.Data(0xDD); // bit 1 clear: A20 off; bit 0 set: no reset
        Assert.False(r.Memory.A20Enabled);
        Assert.Empty(r.Control.Resets);
        r.Command(0xD0);
        Assert.Equal(0, r.ReadData() & 0x02);
        r.Command(0xD1);
        r.Data(0xDF);
        Assert.True(r.Memory.A20Enabled);
        r.Command(0xD0);
        Assert.Equal(0x03, r.ReadData() & 0x03);
    }

    [Fact]
    public void A20OffWrapsAddressesAtOneMiB()
    {
        var r = new Rig();
        r.Memory.Write8(0x000123, 0x11);
        r.Memory.Write8(0x100123, 0x22);
        r.Command(0xDD);
        Assert.False(r.Memory.A20Enabled);
        Assert.Equal(0x11, r.Memory.Read8(0x100123)); // bit 20 masked
        r.Command(0xDF);
        Assert.Equal(0x22, r.Memory.Read8(0x100123));
    }

    [Fact]
    public void PulseResetCommandRequestsReset()
    {
        var r = new Rig();
        r.Command(0xFE);
        Assert.Single(r.Control.Resets);
        r.Command(0xFF); // pulses nothing
        Assert.Single(r.Control.Resets);
    }

    [Fact]
    public void OutputPortResetBitClearRequestsReset()
    {
        var r = new Rig();
        r.Command(0xD1);
        r.Data(0x02);
        Assert.Single(r.Control.Resets);
    }

    [Fact]
    public void KeyboardResetRepliesAckAndSelfTestWithIrq1()
    {
        var r = new Rig();
        r.Data(0xFF);
        Assert.True(r.Irq.Level(1));
        Assert.Equal(0xFA, r.ReadData());
        Assert.True(r.Irq.Level(1));
        Assert.Equal(0xAA, r.ReadData());
        Assert.False(r.Irq.Level(1));
        Assert.Equal(0, r.Status & 0x01);
    }

    [Fact]
    public void KeyboardInterruptDisabledInCommandByteKeepsIrq1Low()
    {
        var r = new Rig();
        r.Command(0x60);
        r.Data(0x44);
        r.Data(0xF2); // identify
        Assert.False(r.Irq.Level(1));
        Assert.Equal(0xFA, r.ReadData());
        Assert.Equal(0xAB, r.ReadData());
        Assert.Equal(0x83, r.ReadData());
    }
}
