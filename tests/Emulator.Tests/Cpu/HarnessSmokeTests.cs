using Emulator.Core.Cpu;
using Emulator.Tests.Support;
using static Iced.Intel.AssemblerRegisters;

namespace Emulator.Tests.CpuTests;

public class HarnessSmokeTests
{
    [Fact]
    public void HltStopsTheCpuAndCountsOneInstruction()
    {
        var h = CpuHarness.Flat32();
        h.Load(a => { a.nop(); a.hlt(); });
        int steps = h.Run();
        Assert.Equal(2, steps);
        Assert.True(h.Cpu.Halted);
        Assert.Equal(CpuHarness.CodeBase + 2, h.Cpu.Eip);
        Assert.Equal(2ul, h.Clock.Now);
    }

    [Fact]
    public void UndefinedOpcodeInRealModeVectorsThroughTheIvt()
    {
        var h = CpuHarness.Real16();
        // IVT entry 6 (#UD) -> 0000:0500, where a HLT waits.
        h.Memory.Write32(6 * 4, 0x0000_0500);
        h.Memory.Write8(0x500, 0xF4);
        h.LoadBytes(new byte[] { 0x0F, 0x0B }); // UD2
        h.Run();
        Assert.Equal(0x501u, h.Cpu.Eip);
        Assert.Equal(0xFFF0u - 6, h.Esp);
        // The pushed IP points at the faulting UD2 (a fault, not a trap).
        Assert.Equal((ushort)0, h.Memory.Read16(0xFFF0 - 6));
        Assert.Equal((ushort)(CpuHarness.CodeBase >> 4), h.Memory.Read16(0xFFF0 - 4));
    }
}
