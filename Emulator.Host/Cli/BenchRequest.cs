namespace Emulator.Host.Cli;

/// <summary>
/// `emu bench`: measure how fast the emulator runs its benchmark cases.
/// </summary>
/// <param name="Runs">Measured runs per case (the median and min–max are over these).</param>
/// <param name="Warmup">Unmeasured runs per case before them (JIT, caches).</param>
/// <param name="Only">The cases to run, by name (null: all of them).</param>
/// <param name="Iterations">iterations=N for the bench guest's phases (null: each phase's default).</param>
/// <param name="JsonFile">Where to write the results as JSON (null: nowhere).</param>
/// <param name="CompareFile">A saved JSON result to show the change against (null: none).</param>
/// <param name="Qemu">Also time qemu-system-i386 on the bench guest's phases.</param>
/// <param name="Debugger">Attach the debugger engine, idle (a gdb stub on a free port, no debugger connected).</param>
public sealed record BenchRequest(int Runs, int Warmup, IReadOnlyList<string>? Only, uint? Iterations,
    string? JsonFile, string? CompareFile, bool Qemu, bool Debugger = false) : CliRequest
{
    public const int DefaultRuns = 5;
    public const int DefaultWarmup = 1;
    public const int MaxRuns = 1000;
}
