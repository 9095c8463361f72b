namespace Emulator.Host.Benchmarking;

/// <summary>
/// QEMU's time on one bench guest phase. Its speed is our instruction count for the phase (at the
/// iteration count QEMU ran) less our count for phase=none, over QEMU's median wall time for the
/// phase less its median for phase=none (so that QEMU's start-up, most of a short run, is not counted).
/// </summary>
/// <param name="Iterations">The phase's iterations=N under QEMU (more than ours when ours would be too short to time in QEMU).</param>
/// <param name="Instructions">Our instruction count for the phase at <paramref name="Iterations"/>.</param>
/// <param name="Timings">The wall time of each measured qemu-system-i386 process.</param>
/// <param name="Mips">QEMU's MIPS as above; null when the phase took no longer than phase=none.</param>
/// <param name="Ratio">Our MIPS over QEMU's (0.1: we run at a tenth of QEMU's speed); null without QEMU's MIPS.</param>
public sealed record QemuResult(uint Iterations, ulong Instructions, BenchTimings Timings, double? Mips, double? Ratio)
{
    public static QemuResult Compute(uint iterations, ulong instructions, BenchTimings phase, ulong setupInstructions, BenchTimings setup,
        double ourMips)
    {
        double seconds = phase.Median - setup.Median;
        double? mips = seconds > 0 && instructions > setupInstructions ? (instructions - setupInstructions) / seconds / 1e6 : null;
        return new QemuResult(iterations, instructions, phase, mips, mips is > 0 ? ourMips / mips : null);
    }
}
