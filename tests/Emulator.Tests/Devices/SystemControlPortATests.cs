using Emulator.Core.Memory;
using Emulator.Devices;

namespace Emulator.Tests.Devices;

public class SystemControlPortATests
{
    [Fact]
    public void Bit1ControlsA20AndReadsBack()
    {
        var memory = new PhysicalMemory(2 * 1024 * 1024);
        var port = new SystemControlPortA(memory, new FakeMachineControl());
        port.WritePort(0x92, 1, 0x00);
        Assert.False(memory.A20Enabled);
        Assert.Equal(0u, port.ReadPort(0x92, 1) & 0x02);
        port.WritePort(0x92, 1, 0x02);
        Assert.True(memory.A20Enabled);
        Assert.Equal(0x02u, port.ReadPort(0x92, 1) & 0x02);
    }

    [Fact]
    public void Bit0RisingEdgeRequestsReset()
    {
        var memory = new PhysicalMemory(2 * 1024 * 1024);
        var control = new FakeMachineControl();
        var port = new SystemControlPortA(memory, control);
        port.WritePort(0x92, 1, 0x02);
        Assert.Empty(control.Resets);
        port.WritePort(0x92, 1, 0x03);
        Assert.Single(control.Resets);
        Assert.True(memory.A20Enabled);
        // The reset clears bit 0, so the next fast-reset write works again.
        Assert.Equal(0u, port.ReadPort(0x92, 1) & 0x01);
        port.WritePort(0x92, 1, 0x03);
        Assert.Equal(2, control.Resets.Count);
    }
}
