using Emulator.Core.Cpu;
using Emulator.Core.Machine;
using Emulator.Devices;
using Iced.Intel;
using Cpu = Emulator.Core.Cpu.Cpu;

namespace Emulator.Tests.Devices;

public class PcPlatformTests
{
    private static (Machine Machine, PcPlatform Pc, MemoryStream Serial, MemoryStream DebugCon) Create(uint ramMiB = 16)
    {
        var machine = new Machine(ramMiB * 1024 * 1024);
        var serial = new MemoryStream();
        var debugCon = new MemoryStream();
        var pc = PcPlatform.Attach(machine, new PcPlatformOptions { SerialOutput = serial, DebugConsoleOutput = debugCon });
        return (machine, pc, serial, debugCon);
    }

    [Fact]
    public void AttachMakesThePicTheCpuInterruptController()
    {
        var (machine, pc, _, _) = Create();
        Assert.Same(pc.Pic, machine.Cpu.InterruptController);
    }

    [Theory]
    [InlineData((ushort)0x20)]
    [InlineData((ushort)0xA1)]
    [InlineData((ushort)0x40)]
    [InlineData((ushort)0x43)]
    [InlineData((ushort)0x61)]
    [InlineData((ushort)0x3F8)]
    [InlineData((ushort)0x3FF)]
    [InlineData((ushort)0x70)]
    [InlineData((ushort)0x71)]
    [InlineData((ushort)0x60)]
    [InlineData((ushort)0x64)]
    [InlineData((ushort)0x92)]
    [InlineData((ushort)0x3D4)]
    [InlineData((ushort)0x3D5)]
    [InlineData((ushort)0x3DA)]
    [InlineData((ushort)0x3C2)]
    [InlineData((ushort)0x3CC)]
    [InlineData((ushort)0xE9)]
    [InlineData((ushort)0xF4)]
    [InlineData((ushort)0x80)]
    [InlineData((ushort)0x8900)]
    public void PcPortsAreClaimed(ushort port)
    {
        var (machine, _, _, _) = Create();
        Assert.NotNull(machine.Ports.DeviceAt(port));
    }

    [Theory]
    [InlineData((ushort)0x1F0)]
    [InlineData((ushort)0x2F8)]
    [InlineData((ushort)0x3F0)]
    [InlineData((ushort)0xCF8)]
    public void UnclaimedPortsReadAllOnes(ushort port)
    {
        var (machine, _, _, _) = Create();
        Assert.Null(machine.Ports.DeviceAt(port));
        Assert.Equal(0xFFu, machine.Ports.Read(port, 1));
        Assert.Equal(0xFFFFu, machine.Ports.Read(port, 2));
        Assert.Equal(0xFFFFFFFFu, machine.Ports.Read(port, 4));
    }

    [Fact]
    public void AnUnprogrammedPlatformSchedulesNoEvents()
    {
        // Devices schedule clock events only when the guest enables a timer or receive
        // interrupt, so a CPU halted with IF=0 is still recognised as halted forever.
        var (machine, _, _, _) = Create();
        machine.Ports.Write(0x3FC, 1, 0x08); // OUT2 alone arms no poll
        Assert.False(machine.Clock.HasPendingEvents);
        machine.Ports.Write(0x3F9, 1, 0x01); // receive interrupts enabled: host input is polled
        Assert.True(machine.Clock.HasPendingEvents);
        machine.Ports.Write(0x3F9, 1, 0x00);
        Assert.False(machine.Clock.HasPendingEvents);
    }

    [Fact]
    public void SerialAndDebugConsoleWriteToTheirStreams()
    {
        var (machine, _, serial, debugCon) = Create();
        foreach (char c in "COM") machine.Ports.Write(0x3F8, 1, c);
        foreach (char c in "E9") machine.Ports.Write(0xE9, 1, c);
        Assert.Equal("COM"u8.ToArray(), serial.ToArray());
        Assert.Equal("E9"u8.ToArray(), debugCon.ToArray());
    }

    [Fact]
    public void RtcReportsTheMachineMemorySize()
    {
        var (machine, _, _, _) = Create(ramMiB: 128);
        machine.Ports.Write(0x70, 1, 0x34);
        uint lo = machine.Ports.Read(0x71, 1);
        machine.Ports.Write(0x70, 1, 0x35);
        uint hi = machine.Ports.Read(0x71, 1);
        Assert.Equal((128u - 16) * 16, lo | (hi << 8));
    }

    [Fact]
    public void RtcBaseTimeOptionIsUsed()
    {
        var machine = new Machine(16 * 1024 * 1024);
        var pc = PcPlatform.Attach(machine, new PcPlatformOptions { RtcBaseTime = new DateTime(2024, 2, 29, 8, 0, 0) });
        Assert.Equal(new DateTime(2024, 2, 29, 8, 0, 0), pc.Rtc.CurrentTime);
    }

    [Fact]
    public void DebugExitEndsTheRunWithItsStatus()
    {
        var (machine, _, _, _) = Create();
        machine.Ports.Write(0xF4, 1, 0x2A);
        // The request is recorded; Run returns it once the CPU stops. Here the CPU is halted
        // with nothing pending so the run stops at once.
        machine.Cpu.Halted = true;
        var exit = machine.Run(1000);
        Assert.Equal(ExitKind.DebugExit, exit.Kind);
        Assert.Equal((0x2A << 1) | 1, exit.ExitStatus);
    }

    /// <summary>
    /// A halted real-mode CPU with IF=1 sleeps until PIT channel 0's next period, then takes IRQ0
    /// through the PIC at the PIC's vector: the whole timer-interrupt path on virtual time.
    /// </summary>
    [Fact]
    public void PitInterruptWakesAHaltedCpuAtTheNextPeriod()
    {
        var (machine, pc, _, _) = Create();
        var cpu = machine.Cpu;
        const ushort codeSeg = 0x1000, handlerSeg = 0x2000;
        // Real mode: IVT at 0, code at 1000:0000 = sti; hlt; hlt..., handler at 2000:0000 = sti; hlt...
        for (int s = 0; s < 6; s++) cpu.Segs[s] = SegmentCache.RealDefault(0);
        cpu.Segs[Cpu.CS] = SegmentCache.RealDefault(codeSeg);
        cpu.Segs[Cpu.CS].Attributes |= SegmentCache.AttrCode;
        cpu.Regs[Cpu.ESP] = 0xFFF0;
        cpu.IdtrBase = 0;
        cpu.IdtrLimit = 0x3FF;
        cpu.Eip = 0;
        machine.Memory.WriteBytes(codeSeg << 4, new byte[] { 0xFB, 0xF4, 0xF4, 0xF4 });
        machine.Memory.WriteBytes(handlerSeg << 4, new byte[] { 0xFB, 0xF4, 0xF4, 0xF4 });

        // PIC: master vectors at 0x20, only IRQ0 unmasked.
        var ports = machine.Ports;
        ports.Write(0x20, 1, 0x11); ports.Write(0x21, 1, 0x20); ports.Write(0x21, 1, 0x04); ports.Write(0x21, 1, 0x01);
        ports.Write(0xA0, 1, 0x11); ports.Write(0xA1, 1, 0x28); ports.Write(0xA1, 1, 0x02); ports.Write(0xA1, 1, 0x01);
        ports.Write(0x21, 1, 0xFE);
        machine.Memory.Write32(0x20 * 4, (uint)handlerSeg << 16);

        // PIT channel 0, mode 2, count 1193 (~1 ms). Programming mode 2 drives OUT high: one
        // immediate request, which the CPU takes right after STI's one-instruction shadow.
        const ulong n = 1193;
        ports.Write(0x43, 1, 0x34);
        ports.Write(0x40, 1, (uint)(n & 0xFF));
        ports.Write(0x40, 1, (uint)(n >> 8));

        // A step that delivers an interrupt also executes the handler's first instruction.
        cpu.Step(); // sti
        cpu.Step(); // hlt (in STI's interrupt shadow)
        cpu.Step(); // IRQ0 delivered; the handler's sti executes
        Assert.Equal(handlerSeg, cpu.Segs[Cpu.CS].Selector);
        Assert.Equal(1u, cpu.Eip);
        Assert.Equal(0x01, pc.Pic.MasterIsr);
        ports.Write(0x20, 1, 0x20); // EOI

        cpu.Step(); // hlt
        Assert.True(cpu.Halted);
        cpu.Step(); // idles to the next event: the PIT's first period ends
        // The first period ends after n PIT clocks: ceil(n * 10^8 / 1193182) virtual ticks.
        ulong expected = (n * 100_000_000 + 1_193_182 - 1) / 1_193_182;
        Assert.Equal(expected, machine.Clock.Now);
        Assert.True(pc.Pic.InterruptPending);
        cpu.Step(); // IRQ0 delivered again
        Assert.False(cpu.Halted);
        Assert.Equal(1u, cpu.Eip);
        Assert.Equal(0x01, pc.Pic.MasterIsr);
    }
}
