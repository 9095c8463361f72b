using Emulator.Core.Cpu;
using Emulator.Tests.Support;
using static Emulator.Tests.CpuTests.ProtectedMode.PmSetup;
using Cpu = Emulator.Core.Cpu.Cpu;

namespace Emulator.Tests.CpuTests.ProtectedMode;

/// <summary>
/// Debug events and the mechanisms the emulator does not implement yet (hardware task switches,
/// virtual-8086 mode), which must end in a guest #GP and never in a host exception.
/// </summary>
public class UnsupportedMechanismTests
{
    private static CpuHarness Setup()
    {
        var h = CpuHarness.Flat32();
        InstallHaltHandlers(h);
        SetupTss(h);
        return h;
    }

    [Fact]
    public void Int3FromRing3ThroughDpl0GateIsGeneralProtection()
    {
        var h = Setup();
        EnterRing3(h);
        LoadRing3(h, a => a.int3());
        h.Run();
        Assert.Equal(Handler(Vector.GP) + 1, h.Cpu.Eip);
        Assert.Equal(3u * 8 + 2, Stack(h, Ring0StackTop - 24, 0));
        Assert.Equal(Ring3Code, Stack(h, Ring0StackTop - 24, 1));
    }

    [Fact]
    public void Int1IsNotSubjectToTheGateDplCheck()
    {
        var h = Setup();
        EnterRing3(h);
        LoadRing3(h, a => { a.int1(); a.nop(); });
        h.Run();
        Assert.Equal(Handler(Vector.DB) + 1, h.Cpu.Eip);
        uint esp = Ring0StackTop - 20;
        Assert.Equal(esp, h.Esp);
        Assert.Equal(Ring3Code + 1, Stack(h, esp, 0)); // a trap: after INT1
    }

    [Fact]
    public void TaskGateInTheIdtIsGeneralProtection()
    {
        var h = Setup();
        SetIdt(h, 0x40, Gate(TssSel, 0, TaskGate, 0));
        h.Load(a => a.@int(0x40));
        h.Run();
        Assert.Equal(Handler(Vector.GP) + 1, h.Cpu.Eip);
        Assert.Equal(0x40u * 8 + 2, Stack(h, h.Esp, 0));
        Assert.Equal(CpuHarness.CodeBase, Stack(h, h.Esp, 1));
    }

    [Fact]
    public void IretWithNestedTaskFlagIsGeneralProtection()
    {
        var h = Setup();
        h.Load(a => a.iretd());
        h.Cpu.SetEflags(0x2 | Cpu.FlagNT);
        h.Run();
        Assert.Equal(Handler(Vector.GP) + 1, h.Cpu.Eip);
        Assert.Equal(CpuHarness.CodeBase, Stack(h, h.Esp, 1));
    }

    [Fact]
    public void IretToVirtual8086ModeIsGeneralProtection()
    {
        var h = Setup();
        uint esp = CpuHarness.StackTop - 36;
        h.Write32(esp, 0x100);
        h.Write32(esp + 4, 0x1000);
        h.Write32(esp + 8, 0x2 | Cpu.FlagVM);
        h.Cpu.Regs[Cpu.ESP] = esp;
        h.Load(a => a.iretd());
        h.Run();
        Assert.Equal(Handler(Vector.GP) + 1, h.Cpu.Eip);
        Assert.False(h.Cpu.FlagSet(Cpu.FlagVM));
        Assert.Equal(esp - 16, h.Esp);
    }

    [Fact]
    public void RealModeIretPopsIpCsFlags()
    {
        var h = CpuHarness.Real16();
        h.Memory.Write16(0xFFF0 - 6, 0x0005);
        h.Memory.Write16(0xFFF0 - 4, 0x3000);
        h.Memory.Write16(0xFFF0 - 2, 0x0203);
        h.Memory.Write8(0x30005, 0xF4);
        h.Cpu.Regs[Cpu.ESP] = 0xFFF0 - 6;
        h.Load(a => a.iret());
        h.Run();
        Assert.Equal(0x30000u, h.Cpu.Segs[Cpu.CS].Base);
        Assert.Equal(6u, h.Cpu.Eip);
        Assert.Equal(0xFFF0u, h.Esp);
        Assert.Equal(0x203u, h.Flags);
    }

    [Fact]
    public void RealModeIntPushesFlagsCsIpAndClearsIf()
    {
        var h = CpuHarness.Real16();
        h.Memory.Write32(0x21 * 4, 0x4000_0010); // 4000:0010
        h.Memory.Write8(0x40010, 0xF4);
        h.Cpu.SetEflags(0x202);
        h.Load(a => a.@int(0x21));
        h.Run();
        Assert.Equal(0x40000u, h.Cpu.Segs[Cpu.CS].Base);
        Assert.Equal(0x11u, h.Cpu.Eip);
        Assert.Equal((ushort)2, h.Memory.Read16(0xFFF0 - 6));
        Assert.Equal((ushort)0x202, h.Memory.Read16(0xFFF0 - 2));
        Assert.False(h.Cpu.FlagSet(Cpu.FlagIF));
    }
}
