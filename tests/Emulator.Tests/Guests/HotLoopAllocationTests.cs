using Emulator.Tests.Support;

namespace Emulator.Tests.Guests;

/// <summary>
/// The instruction loop, the devices and the hypervisor's entry allocate nothing per instruction
/// or per hypercall (DESIGN.md §4): measured with the thread's allocation counter over millions of
/// instructions after a first stretch. The bound is 16 KiB, not 0: the runtime may allocate now
/// and then on the thread (seen: a few hundred bytes, and once 7,448 bytes with the machine's two
/// cores busy with other builds, in full parallel test runs, never alone; 0 otherwise), while one
/// allocation per hypercall would be over 45 KiB here (1,897 hypercalls) and one per instruction
/// over 100 MB.
/// </summary>
public sealed class HotLoopAllocationTests
{
    private const long Bound = 16 * 1024;

    private static long AllocatedWhile(Action run)
    {
        long before = GC.GetAllocatedBytesForCurrentThread();
        run();
        return GC.GetAllocatedBytesForCurrentThread() - before;
    }

    [Fact]
    public void ALoopGuestRunsWithoutAllocating()
    {
        var machine = TestMachines.Pc(GuestImages.Loop, "n=400000");
        machine.Run(1_000_000);
        // The CPU loop itself (Machine.Run's exit, with its message, is made once per run, not per instruction).
        var reason = Emulator.Core.Cpu.CpuStopReason.None;
        long bytes = AllocatedWhile(() => reason = machine.Cpu.Run(machine.Clock.Now + 5_000_000));
        Assert.Equal(Emulator.Core.Cpu.CpuStopReason.TickLimit, reason);
        Assert.True(bytes < Bound, $"{bytes} bytes allocated over 5,000,000 instructions");
    }

    [Fact]
    public void TheToyKernelUnderTheHypervisorMakesHypercallsWithoutAllocating()
    {
        var (machine, hv) = TestMachines.Xen(GuestImages.ToyKernel, "pv=ops bench");
        int hypercalls = 0;
        hv.HypercallCompleted += _ => hypercalls++;
        machine.Run(5_000_000); // boot and self-tests
        int before = hypercalls;
        // The bench mode: thousands of mmu_update, update_va_mapping, mmuext_op, event and timer hypercalls.
        long bytes = AllocatedWhile(() => machine.Cpu.Run(machine.Clock.Now + 4_000_000));
        Assert.True(hypercalls - before > 1000, $"only {hypercalls - before} hypercalls in the measured stretch");
        Assert.True(bytes < Bound, $"{bytes} bytes allocated over {hypercalls - before} hypercalls");
    }
}
