using System.Diagnostics;
using System.Globalization;
using System.Text;
using Emulator.Core.Fuzzing;
using Emulator.Core.Loading;
using Emulator.Host.Cli;

namespace Emulator.Host.Commands;

/// <summary>
/// `emu fuzz hypercalls`: runs a <see cref="HypercallFuzzer"/> campaign on a domain built from the
/// hostile guest (guests/build/hostile.elf), printing progress on stderr and the summary (calls,
/// successes and failures per hypercall, violations, wall time) on stdout. Exit 0 with no
/// violation, 1 with one (its reproducer is printed), 2 when the guest image is missing.
/// </summary>
public static class FuzzCommand
{
    public const int ViolationsFound = 1;
    public const string Image = "hostile.elf";
    private const long ProgressEvery = 100_000;

    public static int Execute(FuzzRequest request, HostConsole console)
    {
        ElfImage kernel;
        try { kernel = ElfImage.Parse(File.ReadAllBytes(DefaultGuest.Locate(console, Image)), Image); }
        catch (FileNotFoundException e)
        {
            console.Stderr.WriteLine($"emu: fuzz: {e.Message}");
            return ExitStatus.Usage;
        }

        var clock = Stopwatch.StartNew();
        var fuzzer = new HypercallFuzzer(kernel, request.Seed);
        console.Stderr.WriteLine($"emu: fuzz: seed {request.Seed}, {request.Count} hypercalls, audit after every {request.AuditEvery}");
        var result = fuzzer.Run(request.Count, request.AuditEvery,
            done => console.Stderr.WriteLine($"emu: fuzz: {done} hypercalls, {clock.Elapsed.TotalSeconds:F1} s"), ProgressEvery);
        clock.Stop();

        var text = Render(result, clock.Elapsed);
        console.Stdout.Write(Encoding.UTF8.GetBytes(text));
        console.Stdout.Flush();
        return result.Finding == null ? ExitStatus.Success : ViolationsFound;
    }

    private static string Render(FuzzCampaignResult r, TimeSpan wall)
    {
        var inv = CultureInfo.InvariantCulture;
        var sb = new StringBuilder();
        sb.Append(inv, $"emu fuzz hypercalls --seed {r.Seed}: {r.Calls} hypercalls ({r.Continuations} continuations, {r.MulticallEntries} multicall entries), ");
        sb.Append(inv, $"{r.Audits} audits, wall time {wall.TotalSeconds:F1} s\n");
        sb.Append(inv, $"domains {r.Domains} (a new one each time the guest got its domain killed), events delivered {r.EventDeliveries}, ");
        sb.Append(inv, $"argument area mapped again {r.AreaRepairs} times ({r.AreaUnrepaired} times it could not be{(r.AreaFailure != null ? ", last: " + r.AreaFailure : "")})\n");
        Table(sb, "hypercall", r.ByName);
        if (r.EntriesByName.Count > 0) Table(sb, "in multicalls", r.EntriesByName);
        sb.Append(inv, $"violations: {r.Violations}\n");
        if (r.Finding != null) sb.Append(r.Finding.Reproducer).Append('\n');
        return sb.ToString();
    }

    private static void Table(StringBuilder sb, string title, IReadOnlyDictionary<string, HypercallTally> tallies)
    {
        sb.Append(CultureInfo.InvariantCulture, $"  {title,-22} {"succeeded",12} {"failed",12}\n");
        foreach (var (name, t) in tallies)
            sb.Append(CultureInfo.InvariantCulture, $"  {name,-22} {t.Succeeded,12} {t.Failed,12}\n");
    }
}
