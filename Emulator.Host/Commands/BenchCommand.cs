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
            // Read before hours of measuring, so that a bad file is reported at once.
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
            else if (cases.Any(c => c.GuestPhase != null) && cases.All(c => c.GuestPhase != BenchSuite.SetupPhase))
                cases.Insert(cases.FindLastIndex(c => c.GuestPhase != null) + 1, BenchSuite.Select([BenchSuite.SetupPhase], request.Iterations)[0]);
        }

        var images = new Dictionary<string, string>();
        try
        {
            foreach (var image in cases.Select(c => c.Image).Distinct())
                images[image] = DefaultGuest.Locate(console, image);
        }
        catch (FileNotFoundException e) { return Fail(console, e.Message, ExitStatus.Usage); }

        var progress = new BenchProgress(console.Stderr, console.IsProcessConsole && !Console.IsErrorRedirected);
        var runner = new BenchRunner(console, progress);
        var results = new List<BenchResult>();
        var qemuTimes = new Dictionary<string, BenchTimings>();
        try
        {
            foreach (var c in cases)
            {
                results.Add(runner.Run(c, images[c.Image], request.Warmup, request.Runs));
                if (qemu != null && c.GuestPhase != null)
                    qemuTimes[c.Name] = TimeQemu(qemu, c, images[c.Image], request, progress);
            }
        }
        catch (BenchCaseFailedException e)
        {
            progress.Finish();
            return Fail(console, e.Message, CaseFailed);
        }
        progress.Finish();

        if (qemu != null) results = WithQemu(results, qemuTimes);
        var report = new BenchReport(BenchReport.SchemaName, BenchReport.CurrentVersion, DateTimeOffset.UtcNow, HelpText.Version,
            BenchHostInfo.Current(), request.Runs, request.Warmup, request.Iterations, qemu?.Version, results);

        var output = new StringBuilder(BenchTable.Results(results, qemu != null));
        if (qemu != null) output.Append($"QEMU: {qemu.Version} ({qemu.Path}, -accel tcg)\n");
        if (baseline != null)
            output.Append('\n').Append(BenchTable.Comparison(BenchComparison.Compare(baseline, results), request.CompareFile!, baseline));
        WriteStdout(console, output.ToString());

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

    private static BenchTimings TimeQemu(QemuReference qemu, BenchCase c, string image, BenchRequest request, BenchProgress progress)
    {
        var seconds = new List<double>(request.Runs);
        for (int i = 0; i < request.Warmup + request.Runs; i++)
        {
            bool measured = i >= request.Warmup;
            progress.Report(measured ? $"{c.Name} QEMU run {i - request.Warmup + 1}/{request.Runs}" : $"{c.Name} QEMU warm-up {i + 1}/{request.Warmup}");
            double s = qemu.TimePhase(image, c.Append);
            if (measured) seconds.Add(s);
        }
        return new BenchTimings(seconds);
    }

    /// <summary>The results with QEMU's figures for each bench guest phase, start-up (phase=none) subtracted.</summary>
    private static List<BenchResult> WithQemu(List<BenchResult> results, Dictionary<string, BenchTimings> qemuTimes)
    {
        var setup = results.FirstOrDefault(r => r.Name == BenchSuite.SetupPhase);
        if (setup == null || !qemuTimes.TryGetValue(setup.Name, out var setupTimes)) return results;
        return results.Select(r =>
        {
            if (!qemuTimes.TryGetValue(r.Name, out var times)) return r;
            var qemu = r.Name == setup.Name
                ? new QemuResult(times, null, null)
                : QemuResult.Compute(times, r.Instructions, setupTimes, setup.Instructions, r.Mips);
            return r with { Qemu = qemu };
        }).ToList();
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
