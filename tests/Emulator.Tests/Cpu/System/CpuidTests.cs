using System.Text;
using Emulator.Tests.Support;
using static Emulator.Tests.CpuTests.SystemInstructions.SystemTestSupport;
using static Iced.Intel.AssemblerRegisters;
using Cpu = Emulator.Core.Cpu.Cpu;

namespace Emulator.Tests.CpuTests.SystemInstructions;

/// <summary>CPUID (SDM Vol. 2): the leaves must report exactly what the emulator implements.</summary>
public class CpuidTests
{
    private static (uint Eax, uint Ebx, uint Ecx, uint Edx) Cpuid(uint leaf, bool ring3 = false)
    {
        var h = CpuHarness.Flat32();
        if (ring3) EnterRing3(h);
        h.Cpu.Regs[Cpu.EAX] = leaf;
        h.Cpu.Regs[Cpu.EBX] = h.Cpu.Regs[Cpu.ECX] = h.Cpu.Regs[Cpu.EDX] = 0xCCCCCCCC;
        h.Load(a => a.cpuid());
        ExecOk(h);
        return (h.Eax, h.Ebx, h.Ecx, h.Edx);
    }

    private static uint Ascii(string four) => BitConverter.ToUInt32(Encoding.ASCII.GetBytes(four));

    [Fact]
    public void Leaf0ReportsMaxLeafAndGenuineIntel()
    {
        var r = Cpuid(0);
        Assert.Equal(1u, r.Eax);
        Assert.Equal(Ascii("Genu"), r.Ebx);
        Assert.Equal(Ascii("ineI"), r.Edx);
        Assert.Equal(Ascii("ntel"), r.Ecx);
    }

    [Fact]
    public void Leaf1ReportsSignatureAndExactlyTheImplementedFeatures()
    {
        var r = Cpuid(1);
        Assert.Equal(0x633u, r.Eax); // family 6, model 3, stepping 3
        // EDX: PSE(3) TSC(4) MSR(5) PAE(6) CX8(8) PGE(13) CMOV(15); no FPU(0), VME(1), DE(2), MCE(7), APIC(9), SEP(11), MTRR(12), PAT(16)...
        uint expected = (1u << 3) | (1u << 4) | (1u << 5) | (1u << 6) | (1u << 8) | (1u << 13) | (1u << 15);
        Assert.Equal(expected, r.Edx);
        Assert.Equal(0u, r.Ecx);
        Assert.Equal(0u, r.Ebx);
    }

    [Fact]
    public void ExtendedLeaves()
    {
        Assert.Equal(0x80000008u, Cpuid(0x80000000).Eax);
        var ext1 = Cpuid(0x80000001);
        Assert.Equal(1u << 20, ext1.Edx); // NX only: no SYSCALL, no LM
        Assert.Equal(0u, ext1.Ecx);
        var sizes = Cpuid(0x80000008);
        Assert.Equal(32u, sizes.Eax & 0xFF);        // MAXPHYADDR
        Assert.Equal(32u, (sizes.Eax >> 8) & 0xFF); // linear address bits
    }

    [Fact]
    public void BrandStringSpansThreeLeaves()
    {
        var bytes = new List<byte>();
        for (uint leaf = 0x80000002; leaf <= 0x80000004; leaf++)
        {
            var r = Cpuid(leaf);
            foreach (uint v in new[] { r.Eax, r.Ebx, r.Ecx, r.Edx }) bytes.AddRange(BitConverter.GetBytes(v));
        }
        Assert.Equal(48, bytes.Count);
        string brand = Encoding.ASCII.GetString(bytes.ToArray()).TrimEnd('\0');
        Assert.Equal("Emulator Virtual CPU", brand);
    }

    [Fact]
    public void HypervisorLeavesAreZeroForNow()
    {
        Assert.Equal((0u, 0u, 0u, 0u), Cpuid(0x40000000));
        Assert.Equal((0u, 0u, 0u, 0u), Cpuid(0x40000001));
    }

    [Theory]
    [InlineData(2u)]
    [InlineData(0x7FFFFFFFu)]
    [InlineData(0x80000009u)]
    [InlineData(0xFFFFFFFFu)]
    public void OutOfRangeLeavesReturnTheHighestBasicLeaf(uint leaf)
    {
        Assert.Equal(Cpuid(1), Cpuid(leaf));
    }

    [Fact]
    public void CpuidIsUnprivileged()
    {
        Assert.Equal(Cpuid(0), Cpuid(0, ring3: true));
    }

    [Fact]
    public void CpuidRunsInRealMode()
    {
        var h = CpuHarness.Real16();
        h.Cpu.Regs[Cpu.EAX] = 0;
        h.Load(a => { a.cpuid(); a.hlt(); });
        h.Run();
        Assert.Equal(Ascii("Genu"), h.Ebx);
    }
}
