using Emulator.Host.Commands;

namespace Emulator.Host.Benchmarking;

/// <summary>
/// Runs a case in this process as `emu run` would (<see cref="RunCommand"/>), with the guest's
/// console discarded: warm-up runs first, then the measured ones. The time of a run is the
/// wall clock around the machine's execution only (RunCommand's stopwatch), not building the
/// machine or loading the image; its instruction count is the machine's retired instructions.
/// </summary>
public sealed class BenchRunner
{
    private readonly HostConsole _console;
    private readonly BenchProgress _progress;

    public BenchRunner(HostConsole console, BenchProgress progress, bool attachDebugger = false)
    {
        _console = console;
        _progress = progress;
        _attachDebugger = attachDebugger;
    }

    private readonly bool _attachDebugger;

    public BenchResult Run(BenchCase benchCase, string imagePath, int warmup, int runs)
    {
        var seconds = new List<double>(runs);
        ulong? instructions = null;
        for (int i = 0; i < warmup + runs; i++)
        {
            bool measured = i >= warmup;
            _progress.Report(measured ? $"{benchCase.Name} run {i - warmup + 1}/{runs}" : $"{benchCase.Name} warm-up {i + 1}/{warmup}");
            var outcome = RunOnce(benchCase, imagePath);
            // Virtual time makes every run identical: a different count means the runs are not comparable.
            if (instructions is { } first && first != outcome.Instructions)
                throw new BenchCaseFailedException(
                    $"{benchCase.Name}: run {i + 1} retired {outcome.Instructions} instructions, the first {first}: the runs are not deterministic");
            instructions = outcome.Instructions;
            if (measured) seconds.Add(outcome.WallTime.TotalSeconds);
        }
        return new BenchResult(benchCase.Name, benchCase.Description, instructions ?? 0, new BenchTimings(seconds));
    }

    /// <summary>The instruction count of one untimed run.</summary>
    public ulong CountInstructions(BenchCase benchCase, string imagePath)
    {
        _progress.Report($"{benchCase.Name} counting instructions at iterations={benchCase.Iterations} (untimed)");
        return RunOnce(benchCase, imagePath).Instructions;
    }

    private RunCommand.Outcome RunOnce(BenchCase benchCase, string imagePath)
    {
        var stderr = new StringWriter();
        var runConsole = new HostConsole
        {
            Stdout = Stream.Null,
            Stderr = stderr,
            GetEnvironmentVariable = _console.GetEnvironmentVariable,
            BaseDirectory = _console.BaseDirectory,
        };
        // The previous run's RAM is garbage now: collect it here rather than inside a timed run.
        GC.Collect();
        GC.WaitForPendingFinalizers();
        var options = benchCase.ToRunOptions(imagePath);
        // The engine attached and idle: a gdb stub on a free port that no debugger connects to.
        if (_attachDebugger) options.GdbPort = 0;
        var outcome = RunCommand.ExecuteDetailed(options, runConsole);
        if (outcome.ExitStatus != benchCase.ExpectedExitStatus)
        {
            string said = stderr.ToString().Trim();
            throw new BenchCaseFailedException(
                $"{benchCase.Name}: `emu run -kernel {imagePath} -append \"{benchCase.Append}\" -machine {benchCase.MachineType}` " +
                $"ended with status {outcome.ExitStatus}, expected {benchCase.ExpectedExitStatus}" + (said.Length > 0 ? $" ({said})" : ""));
        }
        return outcome;
    }
}
