using Emulator.Host.Cli;

namespace Emulator.Host.Benchmarking;

/// <summary>
/// One thing `emu bench` measures: a guest image booted with a command line on a machine profile,
/// run to its end, which must be <paramref name="ExpectedExitStatus"/>.
/// </summary>
/// <param name="Name">The case's name in the table, the JSON and --only.</param>
/// <param name="Description">What it measures, in a few words.</param>
/// <param name="Image">The guest image's file name in guests/build.</param>
/// <param name="Append">The kernel's command line (-append).</param>
/// <param name="MachineType">pc or xen (-machine).</param>
/// <param name="ExpectedExitStatus">The exit status of a correct run.</param>
/// <param name="GuestPhase">The bench guest's phase=NAME (null for the toy kernel cases): QEMU can run these too.</param>
/// <param name="Iterations">The bench guest's iterations=N (0: none given, for phase=none and the toy kernel).</param>
public sealed record BenchCase(string Name, string Description, string Image, string Append, string MachineType,
    int ExpectedExitStatus, string? GuestPhase, uint Iterations = 0)
{
    /// <summary>A phase of the bench guest (guests/bench) on -machine pc, iterations=N when N is not 0.</summary>
    public static BenchCase ForGuestPhase(string phase, string description, uint iterations) =>
        new(phase, description, BenchSuite.GuestImage, iterations == 0 ? $"phase={phase}" : $"phase={phase} iterations={iterations}",
            "pc", BenchSuite.GuestExitStatus, phase, iterations);

    /// <summary>The same bench guest phase with another iteration count.</summary>
    public BenchCase WithIterations(uint iterations) => ForGuestPhase(GuestPhase!, Description, iterations);

    /// <summary>The options of the equivalent `emu run -kernel PATH -append ... -machine ... -serial none`.</summary>
    public RunOptions ToRunOptions(string imagePath) => new()
    {
        Kernel = imagePath,
        Append = Append,
        MachineType = MachineType,
        Serial = OutputTarget.None,
        DebugCon = OutputTarget.None,
    };
}
