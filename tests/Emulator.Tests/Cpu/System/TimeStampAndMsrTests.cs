using Emulator.Core.Cpu;
using Emulator.Tests.CpuTests.Paging;
using Emulator.Tests.Support;
using static Emulator.Tests.CpuTests.Paging.PagingFixture;
using static Emulator.Tests.CpuTests.SystemInstructions.SystemTestSupport;
using static Iced.Intel.AssemblerRegisters;
using Cpu = Emulator.Core.Cpu.Cpu;

namespace Emulator.Tests.CpuTests.SystemInstructions;

/// <summary>RDTSC, RDMSR, WRMSR (SDM Vol. 2; MSR numbers from Vol. 4).</summary>
public class TimeStampAndMsrTests
{
    private const uint Ia32Tsc = 0x10, Ia32ApicBase = 0x1B, Ia32SysenterCs = 0x174, Ia32Efer = 0xC0000080;
    private const uint Nxe = 1u << 11, Lme = 1u << 8, Sce = 1u;

    [Fact]
    public void RdtscCountsTheInstructionsExecutedBeforeIt()
    {
        var h = CpuHarness.Flat32();
        h.Load(a => { a.nop(); a.nop(); a.nop(); a.rdtsc(); a.hlt(); });
        h.Run();
        Assert.Equal(3u, h.Eax);
        Assert.Equal(0u, h.Edx);
    }

    [Fact]
    public void RdtscReturnsTheHighHalfInEdx()
    {
        var h = CpuHarness.Flat32();
        h.Clock.Now = 0x1_2345_6789;
        h.Load(a => { a.rdtsc(); a.hlt(); });
        h.Run();
        Assert.Equal(0x23456789u, h.Eax);
        Assert.Equal(1u, h.Edx);
    }

    [Fact]
    public void RdtscAtCpl3IsAllowedUnlessTsd()
    {
        var h = CpuHarness.Flat32();
        EnterRing3(h);
        h.Load(a => a.rdtsc());
        ExecOk(h);
        h.Cpu.Cr4 = Cpu.Cr4TSD;
        h.Load(a => a.rdtsc());
        ExecExpectFault(h, Vector.GP, 0);
    }

    [Fact]
    public void RdtscAtCpl0IgnoresTsd()
    {
        var h = CpuHarness.Flat32();
        h.Cpu.Cr4 = Cpu.Cr4TSD;
        h.Load(a => a.rdtsc());
        ExecOk(h);
    }

    [Fact]
    public void WritingTheTscContinuesFromTheNewValueWithoutTouchingVirtualTime()
    {
        var h = CpuHarness.Flat32();
        h.Cpu.Regs[Cpu.ECX] = Ia32Tsc;
        h.Cpu.Regs[Cpu.EAX] = 0x00001000;
        h.Cpu.Regs[Cpu.EDX] = 0x00000007;
        // wrmsr at tick 0, nop at 1, rdtsc at 2: TSC = value + 2.
        h.Load(a => { a.wrmsr(); a.nop(); a.rdtsc(); a.hlt(); });
        h.Run();
        Assert.Equal(0x00001002u, h.Eax);
        Assert.Equal(7u, h.Edx);
        Assert.Equal(4ul, h.Clock.Now);
    }

    [Fact]
    public void RdmsrReadsTheTsc()
    {
        var h = CpuHarness.Flat32();
        h.Cpu.Regs[Cpu.ECX] = Ia32Tsc;
        h.Load(a => { a.nop(); a.rdmsr(); a.hlt(); });
        h.Run();
        Assert.Equal(1u, h.Eax);
        Assert.Equal(0u, h.Edx);
    }

    [Fact]
    public void EferNxeIsWritableAndReadable()
    {
        var h = CpuHarness.Flat32();
        h.Cpu.Regs[Cpu.ECX] = Ia32Efer;
        h.Cpu.Regs[Cpu.EAX] = Nxe;
        h.Cpu.Regs[Cpu.EDX] = 0;
        h.Load(a => { a.wrmsr(); a.rdmsr(); });
        ExecOk(h);
        Assert.Equal((ulong)Nxe, h.Cpu.Efer);
        h.Cpu.Regs[Cpu.EAX] = 0xFFFFFFFF;
        h.Cpu.Regs[Cpu.EDX] = 0xFFFFFFFF;
        ExecOk(h);
        Assert.Equal(Nxe, h.Eax);
        Assert.Equal(0u, h.Edx);
    }

    [Theory]
    [InlineData(Lme, 0u)]
    [InlineData(Sce, 0u)]
    [InlineData(Nxe, 1u)] // high half reserved
    public void EferRejectsUnimplementedBits(uint low, uint high)
    {
        var h = CpuHarness.Flat32();
        h.Cpu.Regs[Cpu.ECX] = Ia32Efer;
        h.Cpu.Regs[Cpu.EAX] = low;
        h.Cpu.Regs[Cpu.EDX] = high;
        h.Load(a => a.wrmsr());
        ExecExpectFault(h, Vector.GP, 0);
        Assert.Equal(0ul, h.Cpu.Efer);
    }

    [Theory]
    [InlineData(Ia32ApicBase)]
    [InlineData(Ia32SysenterCs)]
    [InlineData(0x12345678u)]
    public void UnknownMsrsAreGp(uint msr)
    {
        var h = CpuHarness.Flat32();
        h.Cpu.Regs[Cpu.ECX] = msr;
        h.Load(a => a.rdmsr());
        ExecExpectFault(h, Vector.GP, 0);
        h.Load(a => a.wrmsr());
        ExecExpectFault(h, Vector.GP, 0);
    }

    [Fact]
    public void MsrAccessAtCpl3IsGp()
    {
        var h = CpuHarness.Flat32();
        EnterRing3(h);
        h.Cpu.Regs[Cpu.ECX] = Ia32Tsc;
        h.Load(a => a.rdmsr());
        ExecExpectFault(h, Vector.GP, 0);
        h.Load(a => a.wrmsr());
        ExecExpectFault(h, Vector.GP, 0);
    }

    [Fact]
    public void ClearingNxeFlushesTheTlbSoXdBecomesReserved()
    {
        var f = new PagingFixture();
        f.Entry64(Pdpt, 0, PaePd0 | P);
        f.Entry64(PaePd0, 0, 0x00000000 | PS | P | RW);                 // code, stack
        f.Entry64(PaePd0, 5, 0x00600000 | PS | P | RW | XD);            // data, not executable
        f.EnablePae(nxe: true);
        Assert.Equal(0x00600010u, f.Ok(0x00A00010));
        f.C.Regs[Cpu.ECX] = Ia32Efer;
        f.C.Regs[Cpu.EAX] = 0;
        f.C.Regs[Cpu.EDX] = 0;
        f.H.Load(a => { a.wrmsr(); a.hlt(); });
        f.H.Run();
        Assert.Equal(0ul, f.C.Efer);
        f.Fault(0x00A00010, AccessKind.Read, false, EcP | EcRsvd);
    }
}
