using Emulator.Core.Cpu;
using Emulator.Tests.Support;
using static Iced.Intel.AssemblerRegisters;
using static Emulator.Tests.CpuTests.ProtectedMode.PmSetup;
using Cpu = Emulator.Core.Cpu.Cpu;

namespace Emulator.Tests.CpuTests.ProtectedMode;

/// <summary>Far JMP, far CALL and RETF to code segments (SDM Vol. 2 "JMP", "CALL", "RET"; Vol. 3 §5.8.1-5.8.2).</summary>
public class FarTransferTests
{
    private const uint Target = CpuHarness.CodeBase + 0x100;

    private static CpuHarness Setup()
    {
        var h = CpuHarness.Flat32();
        InstallHaltHandlers(h);
        h.Memory.Write8(Target, 0xF4);
        return h;
    }

    private static void AssertGp(CpuHarness h, uint errorCode, uint faultingEip)
    {
        Assert.Equal(Handler(Vector.GP) + 1, h.Cpu.Eip);
        Assert.Equal(errorCode, Stack(h, h.Esp, 0));
        Assert.Equal(faultingEip, Stack(h, h.Esp, 1));
    }

    [Fact]
    public void FarJmpToRing0CodeLoadsCsAndEip()
    {
        var h = Setup();
        h.Load(a => a.jmp(Code0, Target));
        h.Run();
        Assert.Equal(Target + 1, h.Cpu.Eip);
        Assert.Equal(Code0, h.Cpu.Segs[Cpu.CS].Selector);
        Assert.Equal(CpuHarness.StackTop, h.Esp);
    }

    [Fact]
    public void FarCallPushesCsEipAndRetfReturns()
    {
        var h = Setup();
        h.Memory.Write8(Target, 0xCB); // RETF
        h.Load(a => { a.call(Code0, Target); a.hlt(); });
        h.Step();
        Assert.Equal(Target, h.Cpu.Eip);
        Assert.Equal(CpuHarness.StackTop - 8, h.Esp);
        Assert.Equal(CpuHarness.CodeBase + 7, Stack(h, h.Esp, 0)); // CALL ptr16:32 is 7 bytes
        Assert.Equal((uint)Code0, Stack(h, h.Esp, 1));
        h.Run();
        Assert.Equal(CpuHarness.CodeBase + 8, h.Cpu.Eip);
        Assert.Equal(CpuHarness.StackTop, h.Esp);
    }

    [Fact]
    public void RetfWithImmediateReleasesParameters()
    {
        var h = Setup();
        h.Memory.WriteBytes(Target, new byte[] { 0xCA, 0x0C, 0x00 }); // RETF 12
        h.Load(a => { a.call(Code0, Target); a.hlt(); });
        h.Run();
        Assert.Equal(CpuHarness.CodeBase + 8, h.Cpu.Eip);
        Assert.Equal(CpuHarness.StackTop + 12, h.Esp);
    }

    [Fact]
    public void FarJmpThroughMemoryPointer()
    {
        var h = Setup();
        h.Write32(CpuHarness.DataBase, Target);
        h.Memory.Write16(CpuHarness.DataBase + 4, Code0);
        h.Cpu.Regs[Cpu.EBX] = CpuHarness.DataBase;
        h.Load(a => a.jmp(__fword_ptr[ebx]));
        h.Run();
        Assert.Equal(Target + 1, h.Cpu.Eip);
    }

    [Fact]
    public void FarJmpToRing3CodeFromRing0IsGeneralProtection()
    {
        var h = Setup();
        h.Load(a => a.jmp(Code3, Target));
        h.Run();
        AssertGp(h, Code3 & 0xFFFC, CpuHarness.CodeBase);
    }

    [Fact]
    public void NonConformingTargetNeedsRplAtMostCpl()
    {
        var h = Setup();
        EnterRing3(h, CpuHarness.CodeBase);
        SetupTss(h);
        // From ring 3, RPL 3 selector for ring-0 code: DPL != CPL.
        h.Load(a => a.jmp((ushort)(Code0 | 3), Target));
        h.Run();
        Assert.Equal(Handler(Vector.GP) + 1, h.Cpu.Eip);
        Assert.Equal((uint)Code0, Stack(h, h.Esp, 0));
    }

    [Fact]
    public void FarJmpToConformingCodeKeepsTheCpl()
    {
        var h = Setup();
        SetupTss(h);
        SetGdt(h, 0x30, Segment(0, 0xFFFFF, 0x9E, 0xC)); // conforming DPL 0
        h.Memory.Write8(Target, 0x90);
        EnterRing3(h, CpuHarness.CodeBase);
        h.Load(a => a.jmp(0x30, Target));
        h.Step();
        Assert.False(h.Cpu.Faulted);
        Assert.Equal(Target, h.Cpu.Eip);
        Assert.Equal(3, h.Cpu.Cpl);
        Assert.Equal((ushort)0x33, h.Cpu.Segs[Cpu.CS].Selector);
        // The Accessed bit was set in the descriptor.
        Assert.Equal(0x9F, h.Memory.Read8(CpuHarness.GdtBase + 0x30 + 5));
    }

    [Fact]
    public void OffsetBeyondTheCodeLimitIsGeneralProtectionZero()
    {
        var h = Setup();
        SetGdt(h, 0x30, Segment(CpuHarness.CodeBase, 0xFF, 0x9B, 0x4)); // 256-byte code segment
        h.Load(a => a.jmp(0x30, 0x100));
        h.Run();
        AssertGp(h, 0, CpuHarness.CodeBase);
        Assert.Equal(Code0, h.Cpu.Segs[Cpu.CS].Selector);
    }

    [Fact]
    public void NotPresentCodeSegmentIsSegmentNotPresent()
    {
        var h = Setup();
        SetGdt(h, 0x30, Segment(0, 0xFFFFF, 0x1B, 0xC));
        h.Load(a => a.jmp(0x30, Target));
        h.Run();
        Assert.Equal(Handler(Vector.NP) + 1, h.Cpu.Eip);
        Assert.Equal(0x30u, Stack(h, h.Esp, 0));
    }

    [Fact]
    public void TaskGateTargetIsLoggedGeneralProtection()
    {
        var h = Setup();
        SetGdt(h, 0x30, Gate(TssSel, 0, TaskGate, 0));
        h.Load(a => a.call(0x30, 0));
        h.Run();
        AssertGp(h, 0x30, CpuHarness.CodeBase);
    }

    [Fact]
    public void FarCallFaultCommitsNothing()
    {
        var h = Setup();
        // Stack segment too small for the return address: #SS(0), ESP and CS unchanged.
        SetGdt(h, 0x30, Segment(0x70000, 0xF, 0x93, 0x4));
        h.Cpu.Segs[Cpu.SS].LoadDescriptor(0x30, Segment(0x70000, 0xF, 0x93, 0x4));
        h.Cpu.Regs[Cpu.ESP] = 0x4;
        h.Cpu.Eip = CpuHarness.CodeBase + 7;
        h.Cpu.FarTransfer(Code0, Target, 4, call: true);
        Assert.True(h.Cpu.Faulted);
        Assert.Equal(Vector.SS, h.Cpu.FaultVector);
        Assert.Equal(0u, h.Cpu.FaultErrorCode);
        Assert.Equal(4u, h.Esp);
        Assert.Equal(CpuHarness.CodeBase + 7, h.Cpu.Eip);
        Assert.Equal(Code0, h.Cpu.Segs[Cpu.CS].Selector);
    }

    [Fact]
    public void RealModeFarJmpCallAndRetf()
    {
        var h = CpuHarness.Real16();
        h.Memory.Write8(0x20010, 0xCB); // RETF at 2000:0010
        h.Load(a => { a.call(0x2000, 0x0010); a.hlt(); });
        h.Step();
        Assert.Equal(0x20000u, h.Cpu.Segs[Cpu.CS].Base);
        Assert.Equal(0x10u, h.Cpu.Eip);
        Assert.Equal(0xFFF0u - 4, h.Esp);
        Assert.Equal((ushort)5, h.Memory.Read16(0xFFF0 - 4));  // IP after the 5-byte CALL
        Assert.Equal((ushort)(CpuHarness.CodeBase >> 4), h.Memory.Read16(0xFFF0 - 2));
        h.Run();
        Assert.Equal(CpuHarness.CodeBase, h.Cpu.Segs[Cpu.CS].Base);
        Assert.Equal(6u, h.Cpu.Eip);
        Assert.Equal(0xFFF0u, h.Esp);
    }
}
