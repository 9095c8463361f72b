using Emulator.Core.Cpu;
using Emulator.Tests.Support;
using static Emulator.Tests.CpuTests.ProtectedMode.PmSetup;
using Cpu = Emulator.Core.Cpu.Cpu;

namespace Emulator.Tests.CpuTests.ProtectedMode;

/// <summary>Call gates: privilege change with parameter copying and the outward RETF (SDM Vol. 3 §5.8.3-5.8.6, Figure 5-13).</summary>
public class CallGateTests
{
    private const ushort GateSel = 0x30;
    private const uint Ring0Entry = 0x5000;

    /// <summary>Ring 3 code at <see cref="Ring3Code"/>, a TSS, and a DPL-3 call gate at 0x30 to ring-0 code at <see cref="Ring0Entry"/>.</summary>
    private static CpuHarness Setup(int gateType, int paramCount, int gateDpl = 3)
    {
        var h = CpuHarness.Flat32();
        InstallHaltHandlers(h);
        SetupTss(h);
        SetGdt(h, GateSel, Gate(Code0, Ring0Entry, gateType, gateDpl, paramCount: paramCount));
        EnterRing3(h);
        h.Cpu.SetEflags(0x202);
        return h;
    }

    [Fact]
    public void CallThrough32BitGateSwitchesStackAndCopiesParameters()
    {
        var h = Setup(CallGate32, paramCount: 2);
        uint userEsp = Ring3StackTop - 8;
        h.Write32(userEsp, 0x11111111);     // parameter 0 (pushed last by the caller)
        h.Write32(userEsp + 4, 0x22222222); // parameter 1
        h.Cpu.Regs[Cpu.ESP] = userEsp;
        LoadRing3(h, a => { a.call((ushort)(GateSel | 3), 0); a.nop(); });
        h.Memory.Write8(Ring0Entry, 0xF4);
        h.Step();
        var c = h.Cpu;
        Assert.False(c.Faulted);
        Assert.Equal(Ring0Entry, c.Eip);
        Assert.Equal(0, c.Cpl);
        Assert.Equal(Code0, c.Segs[Cpu.CS].Selector);
        Assert.Equal(Data0, c.Segs[Cpu.SS].Selector);
        uint esp = Ring0StackTop - 4 * 6;
        Assert.Equal(esp, h.Esp);
        Assert.Equal(Ring3Code + 7, Stack(h, esp, 0)); // return EIP
        Assert.Equal((uint)Code3, Stack(h, esp, 1));
        Assert.Equal(0x11111111u, Stack(h, esp, 2));
        Assert.Equal(0x22222222u, Stack(h, esp, 3));
        Assert.Equal(userEsp, Stack(h, esp, 4));
        Assert.Equal((uint)Data3, Stack(h, esp, 5));
    }

    [Fact]
    public void RetfWithImmediateReturnsToRing3AndNullsRing0DataSegments()
    {
        var h = Setup(CallGate32, paramCount: 2);
        uint userEsp = Ring3StackTop - 8;
        h.Cpu.Regs[Cpu.ESP] = userEsp;
        LoadRing3(h, a => { a.call((ushort)(GateSel | 3), 0); a.nop(); });
        h.Memory.WriteBytes(Ring0Entry, new byte[] { 0xCA, 0x08, 0x00 }); // RETF 8
        h.Step();
        // Ring 0 code gave DS a ring-0 selector before returning.
        h.Cpu.Segs[Cpu.DS].LoadDescriptor(Data0, CpuHarness.FlatDescriptor(code: false, dpl: 0));
        h.Step();
        var c = h.Cpu;
        Assert.False(c.Faulted);
        Assert.Equal(3, c.Cpl);
        Assert.Equal(Ring3Code + 7, c.Eip);
        Assert.Equal(Code3, c.Segs[Cpu.CS].Selector);
        Assert.Equal(Data3, c.Segs[Cpu.SS].Selector);
        // The caller's parameters are released as well: ESP = saved ESP + 8.
        Assert.Equal(userEsp + 8, h.Esp);
        Assert.False(c.Segs[Cpu.DS].Usable);
        Assert.True(c.Segs[Cpu.ES].Usable);
    }

    [Fact]
    public void CallThrough16BitGatePushesWords()
    {
        var h = Setup(CallGate16, paramCount: 1);
        uint userEsp = Ring3StackTop - 2;
        h.Memory.Write16(userEsp, 0xBEEF);
        h.Cpu.Regs[Cpu.ESP] = userEsp;
        LoadRing3(h, a => a.call((ushort)(GateSel | 3), 0));
        h.Memory.Write8(Ring0Entry, 0xF4);
        h.Step();
        Assert.False(h.Cpu.Faulted);
        Assert.Equal(Ring0Entry, h.Cpu.Eip);
        uint sp = Ring0StackTop - 2 * 5;
        Assert.Equal(sp, h.Esp);
        Assert.Equal((ushort)((Ring3Code + 7) & 0xFFFF), h.Memory.Read16(sp));
        Assert.Equal((ushort)Code3, h.Memory.Read16(sp + 2));
        Assert.Equal((ushort)0xBEEF, h.Memory.Read16(sp + 4));
        Assert.Equal((ushort)userEsp, h.Memory.Read16(sp + 6));
        Assert.Equal((ushort)Data3, h.Memory.Read16(sp + 8));
    }

    [Fact]
    public void GateWithDplBelowCplIsGeneralProtectionWithTheGateSelector()
    {
        var h = Setup(CallGate32, paramCount: 0, gateDpl: 0);
        LoadRing3(h, a => a.call((ushort)(GateSel | 3), 0));
        h.Run();
        Assert.Equal(Handler(Vector.GP) + 1, h.Cpu.Eip);
        uint esp = Ring0StackTop - 24;
        Assert.Equal((uint)GateSel, Stack(h, esp, 0));
        Assert.Equal(Ring3Code, Stack(h, esp, 1));
    }

    [Fact]
    public void JmpThroughGateCannotRaisePrivilege()
    {
        var h = Setup(CallGate32, paramCount: 0);
        LoadRing3(h, a => a.jmp((ushort)(GateSel | 3), 0));
        h.Run();
        Assert.Equal(Handler(Vector.GP) + 1, h.Cpu.Eip);
        Assert.Equal((uint)Code0, Stack(h, Ring0StackTop - 24, 0)); // the target code selector
    }

    [Fact]
    public void CallThroughGateAtTheSamePrivilegeUsesTheCurrentStack()
    {
        var h = CpuHarness.Flat32();
        SetGdt(h, GateSel, Gate(Code0, Ring0Entry, CallGate32, 0, paramCount: 3));
        h.Memory.Write8(Ring0Entry, 0xF4);
        h.Load(a => a.call(GateSel, 0));
        h.Run();
        Assert.Equal(Ring0Entry + 1, h.Cpu.Eip);
        // No parameters are copied without a stack switch.
        Assert.Equal(CpuHarness.StackTop - 8, h.Esp);
        Assert.Equal(CpuHarness.CodeBase + 7, Stack(h, h.Esp, 0));
        Assert.Equal((uint)Code0, Stack(h, h.Esp, 1));
    }

    [Fact]
    public void RetfToOuterRingWithBadStackSelectorIsGeneralProtection()
    {
        var h = CpuHarness.Flat32();
        InstallHaltHandlers(h);
        uint esp = CpuHarness.StackTop - 16;
        h.Write32(esp, Ring3Code);
        h.Write32(esp + 4, Code3);
        h.Write32(esp + 8, Ring3StackTop);
        h.Write32(esp + 12, Data0); // RPL 0 != new CPL 3
        h.Cpu.Regs[Cpu.ESP] = esp;
        h.Load(a => a.retf());
        h.Run();
        Assert.Equal(Handler(Vector.GP) + 1, h.Cpu.Eip);
        Assert.Equal((uint)Data0, Stack(h, h.Esp, 0));
        Assert.Equal(esp - 16, h.Esp); // error code + EIP, CS, EFLAGS below the untouched ESP
    }
}
