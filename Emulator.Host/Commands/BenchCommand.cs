using System.Globalization;
using System.Text;
using Emulator.Host.Benchmarking;
using Emulator.Host.Cli;

namespace Emulator.Host.Commands;

/// <summary>
/// `emu bench`: runs the bench cases (<see cref="BenchSuite"/>) in this process, prints a table of
/// instructions, median time and MIPS on stdout (with --qemu, QEMU's MIPS and the ratio),
/// optionally writes the results as JSON and compares them with a saved result.
/// </summary>
public static class BenchCommand
{
    /// <summary>A case did not end as a correct run does (or QEMU did not): no figures.</summary>
    public const int CaseFailed = 1;

    public static int Execute(BenchRequest request, HostConsole console)
    {
        BenchReport? baseline = null;
        if (request.CompareFile != null)
        {
            // Read before minutes of measuring, so that a bad file is reported at once.
            try { baseline = BenchReportJson.Load(request.CompareFile); }
            catch (BenchReportFormatException e) { return Fail(console, e.Message, ExitStatus.Usage); }
        }
        if (request.JsonFile != null)
        {
            string? dir = Path.GetDirectoryName(Path.GetFullPath(request.JsonFile));
            if (dir != null && !Directory.Exists(dir))
                return Fail(console, $"cannot write {request.JsonFile}: the directory {dir} does not exist", ExitStatus.Usage);
        }

        var cases = BenchSuite.Select(request.Only, request.Iterations).ToList();
        QemuReference? qemu = null;
        if (request.Qemu)
        {
            qemu = QemuReference.Locate(console.GetEnvironmentVariable);
            if (qemu == null)
                console.Stderr.WriteLine($"emu: bench: {QemuReference.Executable} is not installed (not found on PATH): no QEMU column " +
                                         "(Debian: apt-get install qemu-system-x86)");
            else if (cases.Any(c => c.GuestPhase != null))
            {
                // QEMU's figures need ours and QEMU's for phase=none first: it goes to the front.
                var setup = cases.FirstOrDefault(c => c.GuestPhase == BenchSuite.SetupPhase)
                            ?? BenchSuite.Select([BenchSuite.SetupPhase], request.Iterations)[0];
                cases.Remove(setup);
                cases.Insert(0, setup);
            }
        }

        var images = new Dictionary<string, string>();
        try
        {
            foreach (var image in cases.Select(c => c.Image).Distinct())
                images[image] = DefaultGuest.Locate(console, image);
        }
        catch (FileNotFoundException e) { return Fail(console, e.Message, ExitStatus.Usage); }

        var host = BenchHostInfo.Current();
        if (host.OptimizedBuild == false)
            console.Stderr.WriteLine("emu: bench: this emulator is a Debug build: its figures say little (build with -c Release)");
        var progress = new BenchProgress(console.Stderr, console.IsProcessConsole && !Console.IsErrorRedirected);
        List<BenchResult> results;
        try { results = Measure(cases, images, qemu, request, console, progress); }
        catch (BenchCaseFailedException e)
        {
            progress.Finish();
            return Fail(console, e.Message, CaseFailed);
        }
        progress.Finish();

        var report = new BenchReport(BenchReport.SchemaName, BenchReport.CurrentVersion, DateTimeOffset.UtcNow, HelpText.Version,
            host, request.Runs, request.Warmup, request.Iterations, qemu?.Version, results);

        WriteStdout(console, Render(results, qemu, baseline, request.CompareFile));

        if (request.JsonFile != null)
        {
            try { BenchReportJson.Save(report, request.JsonFile); }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                return Fail(console, $"cannot write {request.JsonFile}: {e.Message}", ExitStatus.Usage);
            }
        }
        return ExitStatus.Success;
    }

    /// <summary>Runs every case (and QEMU after ours on each bench guest phase); phase=none comes first when QEMU is timed.</summary>
    private static List<BenchResult> Measure(List<BenchCase> cases, Dictionary<string, string> images, QemuReference? qemu,
        BenchRequest request, HostConsole console, BenchProgress progress)
    {
        var runner = new BenchRunner(console, progress, request.Debugger);
        var qemuTimer = qemu == null ? null : new QemuPhaseTimer(qemu, runner, progress, request.Warmup, request.Runs);
        var results = new List<BenchResult>();
        BenchResult? setup = null;
        BenchTimings? qemuSetup = null;
        foreach (var c in cases)
        {
            var result = runner.Run(c, images[c.Image], request.Warmup, request.Runs);
            if (qemuTimer != null && c.GuestPhase == BenchSuite.SetupPhase)
            {
                setup = result;
                qemuSetup = qemuTimer.TimeSetup(c, images[c.Image]);
                result = result with { Qemu = new QemuResult(0, result.Instructions, qemuSetup, null, null) };
            }
            else if (qemuTimer != null && c.GuestPhase != null)
            {
                result = result with { Qemu = qemuTimer.Measure(c, images[c.Image], result, setup!, qemuSetup!) };
            }
            results.Add(result);
        }
        return results;
    }

    /// <summary>The results table, what QEMU ran, and the comparison with the saved result.</summary>
    private static string Render(List<BenchResult> results, QemuReference? qemu, BenchReport? baseline, string? baselineFile)
    {
        var output = new StringBuilder(BenchTable.Results(results, qemu != null));
        if (qemu != null)
        {
            output.Append($"QEMU: {qemu.Version} ({qemu.Path}, -accel tcg); start-up (phase=none) subtracted\n");
            foreach (var r in results.Where(r => r.Qemu is { Iterations: > 0 } q && q.Instructions != r.Instructions))
                output.Append(string.Create(CultureInfo.InvariantCulture,
                    $"QEMU ran {r.Name} with iterations={r.Qemu!.Iterations} ({r.Qemu.Instructions:N0} instructions) to time it beyond start-up\n"));
        }
        if (baseline != null)
            output.Append('\n').Append(BenchTable.Comparison(BenchComparison.Compare(baseline, results), baselineFile!, baseline));
        return output.ToString();
    }

    private static void WriteStdout(HostConsole console, string text)
    {
        console.Stdout.Write(Encoding.UTF8.GetBytes(text));
        console.Stdout.Flush();
    }

    private static int Fail(HostConsole console, string message, int status)
    {
        console.Stderr.WriteLine($"emu: bench: {message}");
        return status;
    }
}
