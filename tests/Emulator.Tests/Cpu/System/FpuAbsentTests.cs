using Emulator.Core.Cpu;
using Emulator.Tests.Support;
using Iced.Intel;
using static Emulator.Tests.CpuTests.SystemInstructions.SystemTestSupport;
using static Iced.Intel.AssemblerRegisters;
using Cpu = Emulator.Core.Cpu.Cpu;

namespace Emulator.Tests.CpuTests.SystemInstructions;

/// <summary>No x87 FPU: escapes raise #NM under CR0.EM/TS and otherwise do nothing; WAIT checks MP and TS (SDM Vol. 3 Table 2-2).</summary>
public class FpuAbsentTests
{
    private const uint MP = 2, EM = 4, TS = 8;

    [Fact]
    public void FpuProbeSeesNoCoprocessor()
    {
        // The classic probe: FNINIT; FNSTSW/FNSTCW into words preset to 0xFFFF; an FPU would store 0 / 0x037F.
        var h = CpuHarness.Flat32();
        h.Cpu.Cr0 &= ~(EM | TS);
        h.Memory.Write32(CpuHarness.DataBase, 0xFFFFFFFF);
        h.Cpu.Regs[Cpu.EAX] = 0x1234FFFF;
        h.Load(a =>
        {
            a.fninit();
            a.fnstsw(__word_ptr[CpuHarness.DataBase]);
            a.fnstcw(__word_ptr[CpuHarness.DataBase + 2]);
            a.fnstsw(ax);
            a.hlt();
        });
        int steps = h.Run();
        Assert.Equal(5, steps);
        Assert.Equal(0xFFFFFFFFu, h.Memory.Read32(CpuHarness.DataBase));
        Assert.Equal(0x1234FFFFu, h.Eax);
        Assert.Equal(0, h.Cpu.InvalidOpcodeCount);
    }

    [Theory]
    [InlineData(EM)]
    [InlineData(TS)]
    [InlineData(EM | TS | MP)]
    public void EscapesRaiseNmWhenEmOrTsIsSet(uint cr0Bits)
    {
        var h = CpuHarness.Flat32();
        h.Cpu.Cr0 |= cr0Bits;
        h.Memory.Write32(CpuHarness.DataBase, 0xFFFFFFFF);
        h.Load(a => a.fnstsw(__word_ptr[CpuHarness.DataBase]));
        ExecExpectFault(h, Vector.NM);
        h.Load(a => a.fld(__dword_ptr[CpuHarness.DataBase]));
        ExecExpectFault(h, Vector.NM);
        h.LoadBytes(new byte[] { 0xDE, 0xC9 }); // fmulp
        ExecExpectFault(h, Vector.NM);
        // FSTSW AX = 9B DF E0 decodes as WAIT then FNSTSW AX: WAIT faults only with MP and TS (Table 2-2).
        h.LoadBytes(new byte[] { 0x9B, 0xDF, 0xE0 });
        if ((cr0Bits & (MP | TS)) != (MP | TS)) ExecOk(h);
        ExecExpectFault(h, Vector.NM);
        Assert.Equal(0xFFFFFFFFu, h.Memory.Read32(CpuHarness.DataBase));
    }

    [Fact]
    public void NmIsDeliveredThroughTheRealModeIvt()
    {
        var h = CpuHarness.Real16();
        h.Cpu.Cr0 |= EM;
        h.Memory.Write32(7 * 4, 0x0000_0600); // #NM -> 0000:0600
        h.Memory.Write8(0x600, 0xF4);
        h.LoadBytes(new byte[] { 0xDB, 0xE3 }); // fninit
        h.Run();
        Assert.Equal(0x601u, h.Cpu.Eip);
        Assert.Equal((ushort)0, h.Memory.Read16(0xFFF0 - 6)); // IP of the faulting FNINIT
    }

    [Theory]
    [InlineData(MP | TS, true)]
    [InlineData(TS, false)]
    [InlineData(MP, false)]
    [InlineData(EM | TS, false)]
    [InlineData(EM | MP, false)]
    public void WaitFaultsOnlyWithMpAndTs(uint cr0Bits, bool faults)
    {
        var h = CpuHarness.Flat32();
        h.Cpu.Cr0 |= cr0Bits;
        h.Load(a => a.wait());
        if (faults) ExecExpectFault(h, Vector.NM);
        else ExecOk(h);
    }

    [Fact]
    public void EveryX87InstructionIsBoundToTheAbsentFpu()
    {
        // Independent oracle: Iced's CPUID feature table names the x87 instructions.
        int count = 0;
        foreach (Code code in Enum.GetValues<Code>())
        {
            if (code == Code.INVALID || code == Code.Wait) continue;
            var features = code.CpuidFeatures();
            bool x87 = features.Contains(CpuidFeature.FPU) || features.Contains(CpuidFeature.FPU287)
                || features.Contains(CpuidFeature.FPU387) || features.Contains(CpuidFeature.FPU287XL_ONLY)
                || features.Contains(CpuidFeature.FPU387SL_ONLY) || features.Contains(CpuidFeature.CYRIX_FPU);
            if (!x87) continue;
            // FXSAVE-family and other 0F-map instructions that merely touch x87 state are not escapes.
            var op = code.ToOpCode();
            if (op.Table != OpCodeTableKind.Normal) continue;
            Assert.True(Cpu.IsX87Escape(code), $"{code} is not bound as an x87 escape");
            count++;
        }
        Assert.True(count > 150, $"only {count} x87 codes found");
    }
}
