using Emulator.Core.Cpu;
using Emulator.Tests.Support;
using static Emulator.Tests.CpuTests.ProtectedMode.PmSetup;
using Cpu = Emulator.Core.Cpu.Cpu;

namespace Emulator.Tests.CpuTests.ProtectedMode;

/// <summary>Data and stack segment register loads with the checks of SDM Vol. 2 "MOV" and Vol. 3 §5.6-5.7.</summary>
public class SegmentLoadingTests
{
    // GDT slots used here (access bytes per SDM Table 3-1 / Figure 3-8).
    private const ushort ReadOnlyData = 0x30;      // 0x91: present, DPL 0, data, read-only, not accessed
    private const ushort NotPresentData = 0x38;    // 0x13: not present, DPL 0, writable data
    private const ushort ExecuteOnlyCode = 0x40;   // 0x99: execute-only code
    private const ushort ReadableCode = 0x48;      // 0x9B: execute/read code
    private const ushort Dpl3NotPresent = 0x50;    // 0x73: not present, DPL 3, writable data
    private const ushort LdtDesc = 0x58;           // LDT at 0x6000 with 2 entries
    private const ushort TssDesc = 0x60;

    private static CpuHarness Setup()
    {
        var h = CpuHarness.Flat32();
        SetGdt(h, ReadOnlyData, Segment(0x1234000, 0xFFF, 0x90, 0x4));
        SetGdt(h, NotPresentData, Segment(0, 0xFFFFF, 0x13, 0xC));
        SetGdt(h, ExecuteOnlyCode, Segment(0, 0xFFFFF, 0x99, 0xC));
        SetGdt(h, ReadableCode, Segment(0, 0xFFFFF, 0x9B, 0xC));
        SetGdt(h, Dpl3NotPresent, Segment(0, 0xFFFFF, 0x73, 0xC));
        SetGdt(h, LdtDesc, Segment(0x6000, 0x0F, 0x82, 0x0));
        SetGdt(h, TssDesc, Segment(0x3000, 0x67, 0x89, 0x0));
        // LDT entry 1 (selector 0x0C): ring-0 data with base 0x00ABC000, limit 0xFFF bytes.
        h.Memory.Write64(0x6008, Segment(0x00ABC000, 0xFFF, 0x92, 0x4));
        return h;
    }

    private static void AssertFault(Cpu c, byte vector, uint errorCode)
    {
        Assert.True(c.Faulted);
        Assert.Equal(vector, c.FaultVector);
        Assert.True(c.FaultHasErrorCode);
        Assert.Equal(errorCode, c.FaultErrorCode);
    }

    [Fact]
    public void LoadingADataSegmentFillsTheCacheAndSetsAccessed()
    {
        var h = Setup();
        var c = h.Cpu;
        Assert.True(c.LoadSegment(Cpu.ES, ReadOnlyData));
        Assert.False(c.Faulted);
        Assert.Equal(ReadOnlyData, c.Segs[Cpu.ES].Selector);
        Assert.Equal(0x1234000u, c.Segs[Cpu.ES].Base);
        Assert.Equal(0xFFFu, c.Segs[Cpu.ES].Limit);
        // The Accessed bit (type bit 0) is now set in the GDT in memory.
        Assert.Equal(0x91, h.Memory.Read8(CpuHarness.GdtBase + ReadOnlyData + 5));
    }

    [Fact]
    public void NullSelectorIsAllowedForDataRegistersButNotForSs()
    {
        var h = Setup();
        var c = h.Cpu;
        Assert.True(c.LoadSegment(Cpu.DS, 0x0003));
        Assert.False(c.Segs[Cpu.DS].Usable);
        Assert.Equal((ushort)3, c.Segs[Cpu.DS].Selector);
        Assert.False(c.LoadSegment(Cpu.SS, 0));
        AssertFault(c, Vector.GP, 0);
        Assert.Equal(Data0, c.Segs[Cpu.SS].Selector);
    }

    [Fact]
    public void SelectorBeyondGdtLimitIsGeneralProtectionWithTheSelector()
    {
        var h = Setup();
        Assert.False(h.Cpu.LoadSegment(Cpu.DS, 0x0103));
        AssertFault(h.Cpu, Vector.GP, 0x100);
    }

    [Fact]
    public void LdtSelectorWithoutLdtFaultsAndWithLdtLoads()
    {
        var h = Setup();
        var c = h.Cpu;
        c.Ldtr = new SegmentCache { Usable = false }; // as LLDT of a null selector leaves it: no LDT
        Assert.False(c.LoadSegment(Cpu.FS, 0x000C));
        AssertFault(c, Vector.GP, 0x0C);
        c.Faulted = false;
        c.Ldtr.LoadDescriptor(LdtDesc, Segment(0x6000, 0x0F, 0x82, 0x0));
        Assert.True(c.LoadSegment(Cpu.FS, 0x000C));
        Assert.Equal(0x00ABC000u, c.Segs[Cpu.FS].Base);
        // Index 2 (0x14) lies beyond the 16-byte LDT.
        Assert.False(c.LoadSegment(Cpu.GS, 0x0014));
        AssertFault(c, Vector.GP, 0x14);
    }

    [Fact]
    public void TypeChecksForDataRegisters()
    {
        var h = Setup();
        var c = h.Cpu;
        Assert.False(c.LoadSegment(Cpu.DS, ExecuteOnlyCode));
        AssertFault(c, Vector.GP, ExecuteOnlyCode);
        c.Faulted = false;
        Assert.False(c.LoadSegment(Cpu.DS, TssDesc));
        AssertFault(c, Vector.GP, TssDesc);
        c.Faulted = false;
        Assert.True(c.LoadSegment(Cpu.DS, ReadableCode));
        Assert.False(c.Faulted);
    }

    [Fact]
    public void PrivilegeChecksForDataRegisters()
    {
        var h = Setup();
        var c = h.Cpu;
        // RPL 3 > DPL 0.
        Assert.False(c.LoadSegment(Cpu.DS, Data0 | 3));
        AssertFault(c, Vector.GP, Data0);
        c.Faulted = false;
        // CPL 3 > DPL 0.
        EnterRing3(h);
        Assert.False(c.LoadSegment(Cpu.ES, Data0));
        AssertFault(c, Vector.GP, Data0);
        c.Faulted = false;
        Assert.True(c.LoadSegment(Cpu.ES, Data3));
    }

    [Fact]
    public void NotPresentDataSegmentIsSegmentNotPresent()
    {
        var h = Setup();
        Assert.False(h.Cpu.LoadSegment(Cpu.GS, NotPresentData));
        AssertFault(h.Cpu, Vector.NP, NotPresentData);
    }

    [Fact]
    public void StackSegmentChecks()
    {
        var h = Setup();
        var c = h.Cpu;
        // RPL != CPL.
        Assert.False(c.LoadSegment(Cpu.SS, Data0 | 3));
        AssertFault(c, Vector.GP, Data0);
        c.Faulted = false;
        // DPL != CPL.
        Assert.False(c.LoadSegment(Cpu.SS, Data3 & 0xFFFC));
        AssertFault(c, Vector.GP, Data3 & 0xFFFC);
        c.Faulted = false;
        // Not writable.
        Assert.False(c.LoadSegment(Cpu.SS, ReadOnlyData));
        AssertFault(c, Vector.GP, ReadOnlyData);
        c.Faulted = false;
        // Not present: #SS(selector), not #NP.
        Assert.False(c.LoadSegment(Cpu.SS, NotPresentData));
        AssertFault(c, Vector.SS, NotPresentData);
        c.Faulted = false;
        Assert.True(c.LoadSegment(Cpu.SS, Data0));
    }

    [Fact]
    public void StackSegmentAtRing3()
    {
        var h = Setup();
        var c = h.Cpu;
        EnterRing3(h);
        Assert.False(c.LoadSegment(Cpu.SS, Dpl3NotPresent | 3));
        AssertFault(c, Vector.SS, Dpl3NotPresent);
        c.Faulted = false;
        Assert.True(c.LoadSegment(Cpu.SS, Data3));
    }

    [Fact]
    public void RealModeLoadsOnlyBaseAndSelector()
    {
        var h = CpuHarness.Real16();
        Assert.True(h.Cpu.LoadSegment(Cpu.DS, 0x1234));
        Assert.Equal(0x12340u, h.Cpu.Segs[Cpu.DS].Base);
        Assert.Equal(0xFFFFu, h.Cpu.Segs[Cpu.DS].Limit);
    }
}
