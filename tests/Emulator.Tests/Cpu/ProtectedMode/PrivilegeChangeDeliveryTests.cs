using Emulator.Core.Cpu;
using Emulator.Tests.Support;
using static Emulator.Tests.CpuTests.ProtectedMode.PmSetup;
using Cpu = Emulator.Core.Cpu.Cpu;

namespace Emulator.Tests.CpuTests.ProtectedMode;

/// <summary>Events from ring 3 handled in ring 0 through the TSS stack, and IRET back (SDM Vol. 3 §6.12.1, Figure 6-4).</summary>
public class PrivilegeChangeDeliveryTests
{
    private static CpuHarness Ring3Setup(Action<Iced.Intel.Assembler> ring3Code)
    {
        var h = CpuHarness.Flat32();
        InstallHaltHandlers(h);
        SetupTss(h);
        EnterRing3(h);
        LoadRing3(h, ring3Code);
        h.Cpu.SetEflags(0x202);
        return h;
    }

    [Fact]
    public void FaultInRing3SwitchesToTheTssStackAndPushesTheFullFrame()
    {
        var h = Ring3Setup(a => { a.nop(); a.hlt(); }); // HLT at CPL 3: #GP(0)
        h.Run();
        var c = h.Cpu;
        Assert.Equal(Handler(Vector.GP) + 1, c.Eip);
        Assert.Equal(0, c.Cpl);
        Assert.Equal(Code0, c.Segs[Cpu.CS].Selector);
        Assert.Equal(Data0, c.Segs[Cpu.SS].Selector);
        uint esp = Ring0StackTop - 24;
        Assert.Equal(esp, h.Esp);
        Assert.Equal(0u, Stack(h, esp, 0));              // error code
        Assert.Equal(Ring3Code + 1, Stack(h, esp, 1));   // faulting HLT
        Assert.Equal((uint)Code3, Stack(h, esp, 2));
        Assert.Equal(0x202u, Stack(h, esp, 3));
        Assert.Equal(Ring3StackTop, Stack(h, esp, 4));
        Assert.Equal((uint)Data3, Stack(h, esp, 5));
    }

    [Fact]
    public void IntNFromRing3ThroughDpl0GateIsGeneralProtectionPointingAtTheInt()
    {
        var h = Ring3Setup(a => { a.nop(); a.@int(0x40); });
        h.Run();
        Assert.Equal(Handler(Vector.GP) + 1, h.Cpu.Eip);
        uint esp = Ring0StackTop - 24;
        Assert.Equal(0x40u * 8 + 2, Stack(h, esp, 0)); // IDT bit, EXT clear
        Assert.Equal(Ring3Code + 1, Stack(h, esp, 1));
    }

    [Fact]
    public void IntNFromRing3ThroughDpl3GateAndIretdBackToRing3()
    {
        var h = Ring3Setup(a => { a.@int(0x40); a.@int(0x41); });
        // 0x40: ring-0 handler that returns at once; 0x41: ring-0 HLT. Both gates DPL 3.
        h.Memory.Write8(0x5000, 0xCF); // IRETD
        SetIdt(h, 0x40, Gate(Code0, 0x5000, IntGate32, 3));
        SetIdt(h, 0x41, Gate(Code0, Handler(0x41), IntGate32, 3));
        h.Run();
        var c = h.Cpu;
        Assert.Equal(Handler(0x41) + 1, c.Eip);
        // The second frame proves the state IRET restored: ring 3 after the first INT, original stack.
        uint esp = Ring0StackTop - 20;
        Assert.Equal(esp, h.Esp);
        Assert.Equal(Ring3Code + 4, Stack(h, esp, 0));
        Assert.Equal((uint)Code3, Stack(h, esp, 1));
        Assert.Equal(0x202u, Stack(h, esp, 2));
        Assert.Equal(Ring3StackTop, Stack(h, esp, 3));
        Assert.Equal((uint)Data3, Stack(h, esp, 4));
    }

    [Fact]
    public void IretdToRing3NullsDataSegmentsTheOuterRingMayNotUse()
    {
        var h = CpuHarness.Flat32();
        var c = h.Cpu;
        c.Segs[Cpu.ES].LoadDescriptor(Data3, CpuHarness.FlatDescriptor(code: false, dpl: 3));
        uint esp = 0x7FF00;
        h.Write32(esp, Ring3Code);
        h.Write32(esp + 4, Code3);
        h.Write32(esp + 8, 0x3202); // IF=1, IOPL=3: CPL 0 may set both
        h.Write32(esp + 12, Ring3StackTop - 8);
        h.Write32(esp + 16, Data3);
        h.Load(a => a.iretd());
        c.Regs[Cpu.ESP] = esp;
        h.Step();
        Assert.False(c.Faulted);
        Assert.Equal(3, c.Cpl);
        Assert.Equal(Ring3Code, c.Eip);
        Assert.Equal(Code3, c.Segs[Cpu.CS].Selector);
        Assert.Equal(Data3, c.Segs[Cpu.SS].Selector);
        Assert.Equal(Ring3StackTop - 8, h.Esp);
        Assert.Equal(0x3202u, h.Flags);
        // DS, FS, GS held the DPL-0 data segment: nulled. ES (DPL 3) stays.
        Assert.False(c.Segs[Cpu.DS].Usable);
        Assert.Equal((ushort)0, c.Segs[Cpu.DS].Selector);
        Assert.False(c.Segs[Cpu.FS].Usable);
        Assert.False(c.Segs[Cpu.GS].Usable);
        Assert.True(c.Segs[Cpu.ES].Usable);
        Assert.Equal(Data3, c.Segs[Cpu.ES].Selector);
    }

    [Fact]
    public void IretdAtRing3CannotChangeIfOrIopl()
    {
        var h = Ring3Setup(a => { a.iretd(); a.nop(); });
        h.Cpu.SetEflags(0x002); // IF=0, IOPL=0
        uint esp = Ring3StackTop - 12;
        h.Write32(esp, Ring3Code + 1);
        h.Write32(esp + 4, Code3);
        h.Write32(esp + 8, 0x3200 | Cpu.FlagCF | Cpu.FlagZF);
        h.Cpu.Regs[Cpu.ESP] = esp;
        h.Step();
        Assert.False(h.Cpu.Faulted);
        Assert.Equal(Ring3Code + 1, h.Cpu.Eip);
        Assert.Equal(Ring3StackTop, h.Esp);
        Assert.Equal(0x002u | Cpu.FlagCF | Cpu.FlagZF, h.Flags);
    }

    [Fact]
    public void IretToRing0FromRing3IsGeneralProtectionWithTheSelector()
    {
        // The popped CS has RPL 0 < CPL 3: #GP(selector) (SDM "IRET").
        var h = Ring3Setup(a => a.iretd());
        uint esp = Ring3StackTop - 12;
        h.Write32(esp, Ring3Code);
        h.Write32(esp + 4, Code0);
        h.Write32(esp + 8, 0x202);
        h.Cpu.Regs[Cpu.ESP] = esp;
        h.Run();
        Assert.Equal(Handler(Vector.GP) + 1, h.Cpu.Eip);
        Assert.Equal((uint)Code0, Stack(h, Ring0StackTop - 24, 0));
        Assert.Equal(esp, Stack(h, Ring0StackTop - 24, 4)); // the faulting IRET did not pop anything
    }

    [Fact]
    public void ConformingHandlerRunsAtTheCurrentPrivilegeWithoutStackSwitch()
    {
        var h = Ring3Setup(a => a.ud2());
        // Conforming, readable, DPL 0 flat code at 0x30 (access 0x9F).
        SetGdt(h, 0x30, Segment(0, 0xFFFFF, 0x9F, 0xC));
        h.Memory.Write8(0x31000, 0x90);
        SetIdt(h, Vector.UD, Gate(0x30, 0x31000, IntGate32, 0));
        h.Step();
        var c = h.Cpu;
        Assert.Equal(0x31000u, c.Eip);
        Assert.Equal(3, c.Cpl);
        Assert.Equal((ushort)0x33, c.Segs[Cpu.CS].Selector); // RPL = CPL
        Assert.Equal(Data3, c.Segs[Cpu.SS].Selector);
        Assert.Equal(Ring3StackTop - 12, h.Esp);
        Assert.Equal(Ring3Code, Stack(h, h.Esp, 0));
    }

    /// <summary>Sends #TS/#SS to a ring-3 handler (gate to ring-3 code) so that it needs no stack switch itself.</summary>
    private static void RouteToRing3Handler(CpuHarness h, int vector, uint at)
    {
        h.Memory.Write8(at, 0x90);
        SetIdt(h, vector, Gate(Code3, at, IntGate32, 0));
    }

    [Fact]
    public void BadStackSelectorInTssIsInvalidTssWithTheSelectorAndExt()
    {
        var h = Ring3Setup(a => a.ud2());
        SetupTss(h, ss0: Data3); // RPL 3 for ring 0: invalid
        RouteToRing3Handler(h, Vector.TS, 0x31000);
        h.Step();
        Assert.Equal(0x31000u, h.Cpu.Eip);
        Assert.Equal(Ring3StackTop - 16, h.Esp);
        Assert.Equal((uint)(Data3 & 0xFFFC) | 1, Stack(h, h.Esp, 0));
        Assert.Equal(Ring3Code, Stack(h, h.Esp, 1));
    }

    [Fact]
    public void TssTooShortForTheStackPointerIsInvalidTssWithTheTssSelector()
    {
        var h = Ring3Setup(a => a.ud2());
        SetupTss(h, limit: 0x07); // SS0 at offset 8 lies beyond the limit
        RouteToRing3Handler(h, Vector.TS, 0x31000);
        h.Step();
        Assert.Equal(0x31000u, h.Cpu.Eip);
        Assert.Equal((uint)TssSel | 1, Stack(h, h.Esp, 0));
    }

    [Fact]
    public void NotPresentInnerStackIsStackFaultWithTheSelector()
    {
        var h = Ring3Setup(a => a.ud2());
        SetGdt(h, 0x30, Segment(0, 0xFFFFF, 0x13, 0xC)); // ring-0 data, not present
        SetupTss(h, ss0: 0x30);
        RouteToRing3Handler(h, Vector.SS, 0x31000);
        h.Step();
        Assert.Equal(0x31000u, h.Cpu.Eip);
        Assert.Equal(0x30u | 1, Stack(h, h.Esp, 0));
    }

    [Fact]
    public void InnerStackTooSmallIsStackFaultAndCommitsNothing()
    {
        var h = Ring3Setup(a => a.ud2());
        // Ring-0 data with a 16-byte limit: the 20-byte frame does not fit below ESP0 = 0x10.
        SetGdt(h, 0x30, Segment(0x70000, 0xF, 0x93, 0x4));
        SetupTss(h, ss0: 0x30, esp0: 0x10);
        RouteToRing3Handler(h, Vector.SS, 0x31000);
        h.Step();
        Assert.Equal(0x31000u, h.Cpu.Eip);
        Assert.Equal(3, h.Cpu.Cpl);
        Assert.Equal(Data3, h.Cpu.Segs[Cpu.SS].Selector);
        Assert.Equal(0x30u | 1, Stack(h, h.Esp, 0));
        Assert.Equal(Ring3StackTop - 16, h.Esp);
    }
}
