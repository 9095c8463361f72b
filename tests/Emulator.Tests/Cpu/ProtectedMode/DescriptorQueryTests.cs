using Emulator.Core.Cpu;
using Emulator.Tests.Support;
using static Iced.Intel.AssemblerRegisters;
using static Emulator.Tests.CpuTests.ProtectedMode.PmSetup;
using Cpu = Emulator.Core.Cpu.Cpu;

namespace Emulator.Tests.CpuTests.ProtectedMode;

/// <summary>LAR, LSL, VERR, VERW, ARPL (SDM Vol. 2): results in ZF and the destination.</summary>
public class DescriptorQueryTests
{
    private const ushort SmallData = 0x30;     // base 0, byte limit 0x1234, DPL 0, writable
    private const ushort PageGranular = 0x38;  // limit field 0x12, G=1: limit 0x12FFF, DPL 3, read-only
    private const ushort ExecOnly = 0x40;      // execute-only code, DPL 0
    private const ushort CallGateSel = 0x48;   // 32-bit call gate, DPL 3
    private const ushort Conforming = 0x50;    // conforming readable code, DPL 0
    private const ushort IntGateSel = 0x58;    // interrupt gate in the GDT: invalid for LAR

    private static CpuHarness Setup()
    {
        var h = CpuHarness.Flat32();
        InstallHaltHandlers(h);
        SetGdt(h, SmallData, Segment(0, 0x1234, 0x93, 0x4));
        SetGdt(h, PageGranular, Segment(0, 0x12, 0xF1, 0xC));
        SetGdt(h, ExecOnly, Segment(0, 0xFFFFF, 0x99, 0xC));
        SetGdt(h, CallGateSel, Gate(Code0, 0x5000, CallGate32, 3));
        SetGdt(h, Conforming, Segment(0, 0xFFFFF, 0x9F, 0xC));
        SetGdt(h, IntGateSel, Gate(Code0, 0x5000, IntGate32, 3));
        return h;
    }

    /// <summary>Runs one instruction with EBX = selector and EAX = 0xFFFFFFFF; returns ZF.</summary>
    private static bool RunWith(CpuHarness h, ushort selector, Action<Iced.Intel.Assembler> build)
    {
        h.Load(build);
        h.Cpu.Regs[Cpu.EBX] = selector;
        h.Cpu.Regs[Cpu.EAX] = 0xFFFFFFFF;
        h.Cpu.SetFlag(Cpu.FlagZF, false);
        h.Step();
        Assert.False(h.Cpu.Faulted);
        return h.Cpu.GetZF();
    }

    [Fact]
    public void LarReturnsTheAccessRightsMaskedPerOperandSize()
    {
        var h = Setup();
        Assert.True(RunWith(h, SmallData, a => a.lar(eax, ebx)));
        // High dword of the descriptor: access byte 0x93 at bits 8-15, flags 0x4 at bits 20-23.
        Assert.Equal(0x00409300u, h.Eax);
        Assert.True(RunWith(h, SmallData, a => a.lar(ax, bx)));
        Assert.Equal(0xFFFF9300u, h.Eax);
        Assert.True(RunWith(h, CallGateSel, a => a.lar(eax, ebx)));
        Assert.Equal(0x0000EC00u, h.Eax);
    }

    /// <summary>
    /// Found by `emu fuzz diff` (QEMU agrees): the LDTR as reset leaves it (selector 0, base 0, limit
    /// 0xFFFF, present: SDM Vol. 3 Table 9-1) is a usable LDT; only LLDT of a null selector takes it away.
    /// </summary>
    [Fact]
    public void TheResetLdtrIsAUsableLdtUntilLldtLoadsANullSelector()
    {
        var h = Setup();
        h.Memory.Write64(0x08, Segment(0, 0xFFFF, 0xF3, 0x4)); // entry 1 of an LDT at linear 0: DPL-3 data
        Assert.True(RunWith(h, 0x000C, a => a.lar(eax, ebx)));
        Assert.Equal(0x0040F300u, h.Eax);
        h.Load(a => a.lldt(cx));
        h.Cpu.Regs[Cpu.ECX] = 0;
        h.Step();
        Assert.False(h.Cpu.Faulted);
        Assert.False(RunWith(h, 0x000C, a => a.lar(eax, ebx)));
        Assert.Equal(0xFFFFFFFFu, h.Eax);
    }

    [Fact]
    public void LarFailsForInvalidOrInvisibleDescriptors()
    {
        var h = Setup();
        Assert.False(RunWith(h, 0, a => a.lar(eax, ebx)));
        Assert.Equal(0xFFFFFFFFu, h.Eax); // destination unchanged
        Assert.False(RunWith(h, 0x0800, a => a.lar(eax, ebx))); // beyond the GDT limit
        Assert.False(RunWith(h, IntGateSel, a => a.lar(eax, ebx)));
        // RPL 3 > DPL 0 for a non-conforming segment, but conforming code is always visible.
        Assert.False(RunWith(h, SmallData | 3, a => a.lar(eax, ebx)));
        Assert.True(RunWith(h, Conforming | 3, a => a.lar(eax, ebx)));
    }

    [Fact]
    public void LslReturnsTheByteGranularLimit()
    {
        var h = Setup();
        Assert.True(RunWith(h, SmallData, a => a.lsl(eax, ebx)));
        Assert.Equal(0x1234u, h.Eax);
        Assert.True(RunWith(h, PageGranular | 3, a => a.lsl(eax, ebx)));
        Assert.Equal(0x12FFFu, h.Eax);
        Assert.True(RunWith(h, PageGranular, a => a.lsl(ax, bx)));
        Assert.Equal(0xFFFF2FFFu, h.Eax);
        Assert.False(RunWith(h, CallGateSel, a => a.lsl(eax, ebx))); // gates have no limit
    }

    [Fact]
    public void VerrAndVerw()
    {
        var h = Setup();
        Assert.True(RunWith(h, SmallData, a => a.verr(bx)));
        Assert.True(RunWith(h, SmallData, a => a.verw(bx)));
        Assert.True(RunWith(h, PageGranular, a => a.verr(bx)));
        Assert.False(RunWith(h, PageGranular, a => a.verw(bx)));   // read-only
        Assert.False(RunWith(h, ExecOnly, a => a.verr(bx)));       // execute-only code
        Assert.True(RunWith(h, Code0, a => a.verr(bx)));           // readable code
        Assert.False(RunWith(h, Code0, a => a.verw(bx)));          // code is never writable
        Assert.False(RunWith(h, CallGateSel, a => a.verr(bx)));
        Assert.False(RunWith(h, 0, a => a.verr(bx)));
    }

    [Fact]
    public void VerrAtRing3SeesOnlyDpl3OrConformingSegments()
    {
        var h = Setup();
        SetupTss(h);
        EnterRing3(h, CpuHarness.CodeBase);
        Assert.False(RunWith(h, SmallData | 3, a => a.verr(bx)));
        Assert.True(RunWith(h, Data3, a => a.verw(bx)));
        Assert.True(RunWith(h, Conforming | 3, a => a.verr(bx)));
    }

    [Fact]
    public void ArplRaisesTheRplAndReportsIt()
    {
        var h = Setup();
        h.Load(a => a.arpl(ax, bx));
        h.Cpu.Regs[Cpu.EAX] = 0xABCD0010;
        h.Cpu.Regs[Cpu.EBX] = 0x0000001B;
        h.Step();
        Assert.Equal(0xABCD0013u, h.Eax);
        Assert.True(h.Cpu.GetZF());

        h.Load(a => a.arpl(ax, bx));
        h.Cpu.Regs[Cpu.EAX] = 0x0023;
        h.Cpu.Regs[Cpu.EBX] = 0x0008;
        h.Step();
        Assert.Equal(0x23u, h.Eax);
        Assert.False(h.Cpu.GetZF());
    }

    [Fact]
    public void QueriesAreUndefinedInRealMode()
    {
        var h = CpuHarness.Real16();
        h.Memory.Write32(6 * 4, 0x0000_0500);
        h.Memory.Write8(0x500, 0xF4);
        h.Load(a => a.lar(ax, bx));
        h.Run();
        Assert.Equal(0x501u, h.Cpu.Eip);
    }
}
