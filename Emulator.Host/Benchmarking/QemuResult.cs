namespace Emulator.Host.Benchmarking;

/// <summary>
/// QEMU's time on one bench guest phase. Its speed is our instruction count for the phase less
/// the count for phase=none, over QEMU's wall time for the phase less its time for phase=none
/// (so that QEMU's start-up, which is most of a short run, is not counted).
/// </summary>
/// <param name="Timings">The wall time of each measured qemu-system-i386 process for the phase.</param>
/// <param name="Mips">QEMU's MIPS as above; null when the phase took no longer than phase=none.</param>
/// <param name="Ratio">Our MIPS over QEMU's (0.1: we run at a tenth of QEMU's speed); null without QEMU's MIPS.</param>
public sealed record QemuResult(BenchTimings Timings, double? Mips, double? Ratio)
{
    public static QemuResult Compute(BenchTimings phase, ulong phaseInstructions, BenchTimings setup, ulong setupInstructions, double ourMips)
    {
        double seconds = phase.Median - setup.Median;
        double? mips = seconds > 0 && phaseInstructions > setupInstructions
            ? (phaseInstructions - setupInstructions) / seconds / 1e6
            : null;
        return new QemuResult(phase, mips, mips is > 0 ? ourMips / mips : null);
    }
}
