using Emulator.Core.Machine;
using Emulator.Devices;

namespace Emulator.Tests.Devices;

public class DebugPortTests
{
    [Theory]
    [InlineData(1, 0x00u, 1)]
    [InlineData(1, 0x10u, 0x21)]
    [InlineData(4, 0x31u, 0x63)]
    [InlineData(2, 0x7Fu, 0xFF)]
    public void IsaDebugExitStatusIsValueShiftedLeftOrOne(int size, uint value, int expectedStatus)
    {
        var control = new FakeMachineControl();
        var dev = new IsaDebugExit(control);
        dev.WritePort(0xF4, size, value);
        var exit = Assert.Single(control.Exits);
        Assert.Equal(ExitKind.DebugExit, exit.Kind);
        Assert.Equal(expectedStatus, exit.ExitStatus);
        Assert.Equal((int)(((value << 1) | 1) & 0xFF), exit.ExitStatus);
    }

    private static void WriteString(BochsShutdownPort port, string s)
    {
        foreach (char ch in s) port.WritePort(0x8900, 1, ch);
    }

    [Fact]
    public void ShutdownStringPowersOff()
    {
        var control = new FakeMachineControl();
        var port = new BochsShutdownPort(control);
        WriteString(port, "Shutdow");
        Assert.Empty(control.Exits);
        WriteString(port, "n");
        var exit = Assert.Single(control.Exits);
        Assert.Equal(ExitKind.PowerOff, exit.Kind);
        Assert.Equal(0, exit.ExitStatus);
    }

    [Fact]
    public void InterruptedShutdownStringDoesNothing()
    {
        var control = new FakeMachineControl();
        var port = new BochsShutdownPort(control);
        WriteString(port, "ShutXdown");
        WriteString(port, "hutdown");
        Assert.Empty(control.Exits);
        WriteString(port, "SShutdown"); // a stray 'S' restarts the match at 'S'
        Assert.Single(control.Exits);
    }

    [Fact]
    public void DebugConsoleWritesToSinkAndReadsE9()
    {
        var got = new List<byte>();
        var dev = new DebugConsole(got.Add);
        dev.WritePort(0xE9, 1, 'o');
        dev.WritePort(0xE9, 1, 'k');
        Assert.Equal("ok"u8.ToArray(), got.ToArray());
        Assert.Equal(0xE9u, dev.ReadPort(0xE9, 1));
    }

    [Fact]
    public void PostCodeIsStoredAndReadable()
    {
        var dev = new PostCodePort();
        dev.WritePort(0x80, 1, 0x3C);
        Assert.Equal(0x3C, dev.LastValue);
        Assert.Equal(0x3Cu, dev.ReadPort(0x80, 1));
    }
}
