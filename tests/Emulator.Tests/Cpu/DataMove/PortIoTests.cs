using Emulator.Tests.Support;
using static Iced.Intel.AssemblerRegisters;
using Cpu = Emulator.Core.Cpu.Cpu;

namespace Emulator.Tests.CpuTests.DataMove;

public class PortIoTests
{
    [Fact]
    public void InAndOutReachTheDeviceWithTheRightPortAndSize()
    {
        var h = CpuHarness.Flat32();
        var dev = new RecordingPortDevice();
        h.Ports.Register(0x60, 1, dev);
        h.Ports.Register(0x3F8, 1, dev);
        dev.ReadValues.Enqueue(0xAB);
        dev.ReadValues.Enqueue(0xBEEF);
        dev.ReadValues.Enqueue(0x12345678);
        h.Load(a =>
        {
            a.@in(al, 0x60);
            a.@in(ax, dx);
            a.@in(eax, dx);
            a.mov(ebx, eax);
            a.@out(0x60, al);
            a.@out(dx, ax);
            a.@out(dx, eax);
            a.hlt();
        });
        h.Cpu.Regs[Cpu.EAX] = 0xFFFFFF00;
        h.Cpu.Regs[Cpu.EDX] = 0xFFFF03F8; // only DX is the port
        h.Step(2);
        Assert.Equal(0xFFFFBEEFu, h.Eax); // IN AX keeps the upper half; AL from the first IN was overwritten
        h.Run();
        Assert.Equal(0x12345678u, h.Ebx);
        Assert.Equal(new[] { ((ushort)0x60, 1), ((ushort)0x3F8, 2), ((ushort)0x3F8, 4) }, dev.Reads);
        Assert.Equal(new[] { ((ushort)0x60, 1, 0x78u), ((ushort)0x3F8, 2, 0x5678u), ((ushort)0x3F8, 4, 0x12345678u) }, dev.Writes);
    }

    [Fact]
    public void InAlFromAnImmediatePortKeepsTheRestOfEax()
    {
        var h = CpuHarness.Real16();
        var dev = new RecordingPortDevice();
        h.Ports.Register(0x71, 1, dev);
        dev.ReadValues.Enqueue(0x5C);
        h.Load(a => { a.@in(al, 0x71); a.hlt(); });
        h.Cpu.Regs[Cpu.EAX] = 0xDEADBEEF;
        h.Run();
        Assert.Equal(0xDEADBE5Cu, h.Eax);
    }

    [Fact]
    public void InAtRing3WithIoplZeroFaultsWithoutTouchingTheDevice()
    {
        var h = CpuHarness.Flat32();
        var dev = new RecordingPortDevice();
        h.Ports.Register(0x60, 1, dev);
        h.Load(a => { a.@in(al, 0x60); a.hlt(); });
        TestKit.EnterRing3(h);
        h.Cpu.Regs[Cpu.EAX] = 0x11111111;
        h.Step(1);
        // #GP(0); protected-mode delivery with an empty IDT ends in shutdown. The instruction was rolled back.
        Assert.Empty(dev.Reads);
        Assert.Equal(0x11111111u, h.Eax);
        Assert.Equal(CpuHarness.CodeBase, h.Cpu.Eip);
        Assert.True(h.Cpu.TripleFaulted);
    }
}
