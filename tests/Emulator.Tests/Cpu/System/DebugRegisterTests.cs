using Emulator.Core.Cpu;
using Emulator.Tests.Support;
using static Emulator.Tests.CpuTests.SystemInstructions.SystemTestSupport;
using static Iced.Intel.AssemblerRegisters;
using Cpu = Emulator.Core.Cpu.Cpu;

namespace Emulator.Tests.CpuTests.SystemInstructions;

/// <summary>MOV to/from DR0-DR7 (SDM Vol. 2 MOV DR; Vol. 3 §17.2).</summary>
public class DebugRegisterTests
{
    [Fact]
    public void BreakpointAddressRegistersRoundTrip()
    {
        var h = CpuHarness.Flat32();
        h.Cpu.Regs[Cpu.EAX] = 0xC0001234;
        h.Cpu.Regs[Cpu.ECX] = 0x00400000;
        h.Load(a => { a.mov(dr0, eax); a.mov(dr3, ecx); a.mov(ebx, dr0); a.mov(edx, dr3); a.hlt(); });
        h.Run();
        Assert.Equal(0xC0001234u, h.Ebx);
        Assert.Equal(0x00400000u, h.Edx);
    }

    [Fact]
    public void Dr6AndDr7KeepTheirFixedBits()
    {
        // DR6: bits 4-11 and 16-31 read 1, bit 12 reads 0 (P6); DR7: bit 10 reads 1, bits 11, 12, 14, 15 read 0.
        var h = CpuHarness.Flat32();
        h.Cpu.Regs[Cpu.EAX] = 0;
        h.Cpu.Regs[Cpu.ECX] = 0xFFFFFFFF & ~(1u << 13); // everything but GD
        h.Load(a => { a.mov(dr6, eax); a.mov(dr7, ecx); a.mov(ebx, dr6); a.mov(edx, dr7); a.hlt(); });
        h.Run();
        Assert.Equal(0xFFFF0FF0u, h.Ebx);
        Assert.Equal(0xFFFF07FFu, h.Edx); // written 0xFFFFDFFF minus bits 11, 12, 14, 15
    }

    [Fact]
    public void Dr4AndDr5AliasDr6AndDr7()
    {
        var h = CpuHarness.Flat32();
        h.Cpu.Regs[Cpu.EAX] = 0x1; // B0
        h.LoadBytes(new byte[]
        {
            0x0F, 0x23, 0xE0, // mov dr4, eax
            0x0F, 0x21, 0xF3, // mov ebx, dr6
            0x0F, 0x21, 0xEA, // mov edx, dr5
            0xF4,
        });
        h.Run();
        Assert.Equal(0xFFFF0FF1u, h.Ebx);
        Assert.Equal(h.Cpu.Dr[7], h.Edx);
    }

    [Fact]
    public void GeneralDetectRaisesDebugFaultAndSetsBd()
    {
        var h = CpuHarness.Flat32();
        h.Cpu.Dr[7] = 0x400 | (1u << 13);
        h.Load(a => a.mov(eax, dr0));
        ExecExpectFault(h, Vector.DB);
        Assert.Equal(1u << 13, h.Cpu.Dr[6] & (1u << 13)); // BD
        Assert.Equal(0u, h.Cpu.Dr[7] & (1u << 13));       // GD cleared for the handler
    }

    [Fact]
    public void DebugRegisterAccessAtCpl3IsGp()
    {
        var h = CpuHarness.Flat32();
        EnterRing3(h);
        h.Load(a => a.mov(dr7, eax));
        ExecExpectFault(h, Vector.GP, 0);
    }
}
