using Emulator.Core.Cpu;
using Emulator.Tests.Support;
using static Iced.Intel.AssemblerRegisters;
using static Emulator.Tests.CpuTests.ProtectedMode.PmSetup;
using Cpu = Emulator.Core.Cpu.Cpu;

namespace Emulator.Tests.CpuTests.ProtectedMode;

/// <summary>LGDT, LIDT, SGDT, SIDT, LLDT, SLDT, LTR, STR (SDM Vol. 2).</summary>
public class DescriptorTableRegisterTests
{
    private const uint Buf = CpuHarness.DataBase;

    [Fact]
    public void SgdtAndSidtStoreLimitThenBase()
    {
        var h = CpuHarness.Flat32();
        h.Cpu.GdtrBase = 0x12345678; h.Cpu.GdtrLimit = 0x0ABC;
        h.Cpu.IdtrBase = 0x9ABCDEF0; h.Cpu.IdtrLimit = 0x07FF;
        h.Cpu.Regs[Cpu.EBX] = Buf;
        h.Load(a => { a.sgdt(__[ebx]); a.sidt(__[ebx + 8]); });
        h.Step(2);
        Assert.Equal((ushort)0x0ABC, h.Memory.Read16(Buf));
        Assert.Equal(0x12345678u, h.Read32(Buf + 2));
        Assert.Equal((ushort)0x07FF, h.Memory.Read16(Buf + 8));
        Assert.Equal(0x9ABCDEF0u, h.Read32(Buf + 10));
    }

    [Fact]
    public void LgdtAndLidtLoadFromMemory()
    {
        var h = CpuHarness.Flat32();
        h.Memory.Write16(Buf, 0x00FF);
        h.Write32(Buf + 2, 0xC0001000);
        h.Cpu.Regs[Cpu.EBX] = Buf;
        h.Load(a => { a.lidt(__[ebx]); a.nop(); });
        h.Step();
        Assert.Equal(0xC0001000u, h.Cpu.IdtrBase);
        Assert.Equal((ushort)0x00FF, h.Cpu.IdtrLimit);
    }

    [Fact]
    public void SixteenBitOperandLgdtKeeps24BaseBits()
    {
        var h = CpuHarness.Flat32();
        h.Memory.Write16(Buf, 0x003F);
        h.Write32(Buf + 2, 0xFF001000);
        h.Cpu.Regs[Cpu.EBX] = Buf;
        h.LoadBytes(new byte[] { 0x66, 0x0F, 0x01, 0x13 }); // o16 LGDT [ebx]
        h.Step();
        Assert.False(h.Cpu.Faulted);
        Assert.Equal(0x00001000u, h.Cpu.GdtrBase);
        Assert.Equal((ushort)0x003F, h.Cpu.GdtrLimit);
    }

    [Fact]
    public void LgdtAtRing3IsGeneralProtection()
    {
        var h = CpuHarness.Flat32();
        InstallHaltHandlers(h);
        SetupTss(h);
        EnterRing3(h, CpuHarness.CodeBase);
        h.Cpu.Regs[Cpu.EBX] = Buf;
        h.Load(a => a.lgdt(__[ebx]));
        h.Run();
        Assert.Equal(Handler(Vector.GP) + 1, h.Cpu.Eip);
        Assert.Equal(0u, Stack(h, Ring0StackTop - 24, 0));
        Assert.Equal(CpuHarness.GdtBase, h.Cpu.GdtrBase);
    }

    [Fact]
    public void LtrLoadsTheTssAndMarksItBusy()
    {
        var h = CpuHarness.Flat32();
        SetGdt(h, TssSel, Segment(TssBase, 0x67, 0x89, 0x0)); // available 32-bit TSS
        h.Cpu.Regs[Cpu.EAX] = TssSel;
        h.Load(a => { a.ltr(ax); a.str(ecx); });
        h.Cpu.Regs[Cpu.ECX] = 0xFFFFFFFF;
        h.Step(2);
        Assert.False(h.Cpu.Faulted);
        Assert.Equal(TssSel, h.Cpu.Tr.Selector);
        Assert.Equal(TssBase, h.Cpu.Tr.Base);
        Assert.Equal(0x67u, h.Cpu.Tr.Limit);
        Assert.Equal(0x8B, h.Memory.Read8(CpuHarness.GdtBase + TssSel + 5)); // type 9 -> 11 (busy)
        Assert.Equal((uint)TssSel, h.Ecx);
    }

    [Fact]
    public void LtrOfABusyTssIsGeneralProtection()
    {
        var h = CpuHarness.Flat32();
        InstallHaltHandlers(h);
        SetGdt(h, TssSel, Segment(TssBase, 0x67, 0x8B, 0x0));
        h.Cpu.Regs[Cpu.EAX] = TssSel;
        h.Load(a => a.ltr(ax));
        h.Run();
        Assert.Equal(Handler(Vector.GP) + 1, h.Cpu.Eip);
        Assert.Equal((uint)TssSel, Stack(h, h.Esp, 0));
    }

    [Fact]
    public void LldtLoadsAnLdtUsableBySegmentLoads()
    {
        var h = CpuHarness.Flat32();
        SetGdt(h, 0x30, Segment(0x6000, 0x0F, 0x82, 0x0));
        h.Memory.Write64(0x6008, Segment(0x00ABC000, 0xFFF, 0x92, 0x4));
        h.Cpu.Regs[Cpu.EAX] = 0x30;
        h.Load(a => { a.lldt(ax); a.sldt(__[ebx]); });
        h.Cpu.Regs[Cpu.EBX] = Buf;
        h.Step(2);
        Assert.False(h.Cpu.Faulted);
        Assert.Equal((ushort)0x30, h.Memory.Read16(Buf));
        Assert.Equal(0x6000u, h.Cpu.Ldtr.Base);
        Assert.True(h.Cpu.LoadSegment(Cpu.ES, 0x000C));
        Assert.Equal(0x00ABC000u, h.Cpu.Segs[Cpu.ES].Base);
    }

    [Fact]
    public void LldtOfANonLdtDescriptorIsGeneralProtection()
    {
        var h = CpuHarness.Flat32();
        InstallHaltHandlers(h);
        h.Cpu.Regs[Cpu.EAX] = Data0;
        h.Load(a => a.lldt(ax));
        h.Run();
        Assert.Equal(Handler(Vector.GP) + 1, h.Cpu.Eip);
        Assert.Equal((uint)Data0, Stack(h, h.Esp, 0));
    }

    [Fact]
    public void LldtIsUndefinedInRealMode()
    {
        var h = CpuHarness.Real16();
        h.Memory.Write32(6 * 4, 0x0000_0500);
        h.Memory.Write8(0x500, 0xF4);
        h.Load(a => a.lldt(ax));
        h.Run();
        Assert.Equal(0x501u, h.Cpu.Eip);
    }
}
