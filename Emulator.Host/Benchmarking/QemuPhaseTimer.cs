namespace Emulator.Host.Benchmarking;

/// <summary>
/// Times QEMU on the bench guest's phases, with the same warm-up and measured runs as ours. QEMU
/// runs some phases tens of times faster than we do, so that at our iteration count its run is
/// hardly longer than its start-up: the first warm-up run is a probe, and a phase that took less
/// than <see cref="TargetSeconds"/> beyond start-up is run with up to <see cref="MaxScale"/> times
/// the iterations, for which our instruction count is taken from one more (untimed) run of ours.
/// </summary>
public sealed class QemuPhaseTimer
{
    public const double TargetSeconds = 0.5;
    public const uint MaxScale = 10;

    private readonly QemuReference _qemu;
    private readonly BenchRunner _runner;
    private readonly BenchProgress _progress;
    private readonly int _warmup;
    private readonly int _runs;

    public QemuPhaseTimer(QemuReference qemu, BenchRunner runner, BenchProgress progress, int warmup, int runs)
    {
        _qemu = qemu;
        _runner = runner;
        _progress = progress;
        _warmup = warmup;
        _runs = runs;
    }

    /// <summary>The QEMU timings of phase=none: its start-up and exit.</summary>
    public BenchTimings TimeSetup(BenchCase setup, string imagePath) => Time(setup, imagePath, _warmup);

    /// <summary>QEMU's figures for a phase whose run of ours gave <paramref name="ours"/>.</summary>
    public QemuResult Measure(BenchCase phase, string imagePath, BenchResult ours, BenchResult setup, BenchTimings setupTimes)
    {
        _progress.Report($"{phase.Name} QEMU probe");
        double probe = _qemu.TimePhase(imagePath, phase.Append) - setupTimes.Median;
        uint scale = probe <= 0 ? MaxScale : (uint)Math.Clamp(Math.Ceiling(TargetSeconds / probe), 1, MaxScale);
        var run = phase;
        ulong instructions = ours.Instructions;
        if (scale > 1 && phase.Iterations > 0)
        {
            run = phase.WithIterations((uint)Math.Min(uint.MaxValue, (ulong)phase.Iterations * scale));
            instructions = _runner.CountInstructions(run, imagePath);
        }
        // The probe was the first warm-up run when the size did not change.
        var times = Time(run, imagePath, run == phase ? Math.Max(0, _warmup - 1) : _warmup);
        return QemuResult.Compute(run.Iterations, instructions, times, setup.Instructions, setupTimes, ours.Mips);
    }

    private BenchTimings Time(BenchCase c, string imagePath, int warmup)
    {
        var seconds = new List<double>(_runs);
        for (int i = 0; i < warmup + _runs; i++)
        {
            bool measured = i >= warmup;
            _progress.Report(measured ? $"{c.Name} QEMU run {i - warmup + 1}/{_runs}" : $"{c.Name} QEMU warm-up {i + 1}/{warmup}");
            double s = _qemu.TimePhase(imagePath, c.Append);
            if (measured) seconds.Add(s);
        }
        return new BenchTimings(seconds);
    }
}
