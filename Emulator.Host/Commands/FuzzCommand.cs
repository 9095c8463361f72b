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

    /// <summary>`emu fuzz cpu`: the summary on stdout, each finding with its reproducer; exit 1 with findings.</summary>
    public static int ExecuteCpu(CpuFuzzRequest request, HostConsole console)
    {
        var clock = Stopwatch.StartNew();
        console.Stderr.WriteLine($"emu: fuzz cpu: seed {request.Seed}, {request.Count} cases of up to {CpuFuzzer.StepsPerCase} instructions");
        var result = new CpuFuzzer(request.Seed).Run(request.Count,
            done => console.Stderr.WriteLine($"emu: fuzz cpu: {done} cases, {clock.Elapsed.TotalSeconds:F1} s"));
        clock.Stop();
        var sb = new StringBuilder();
        sb.Append(CultureInfo.InvariantCulture, $"cases: {result.Cases}\ninstructions executed: {result.Instructions}\n");
        sb.Append(CultureInfo.InvariantCulture, $"cases that delivered an exception or INT n: {result.Faulted}\ncases that ended in a triple fault: {result.TripleFaults}\n");
        sb.Append(CultureInfo.InvariantCulture, $"TLB checked after an INVLPG or a CR3 load: {result.TlbChecks} times\n");
        sb.Append(CultureInfo.InvariantCulture, $"findings (host exceptions, broken invariants): {result.Findings.Count}\n");
        foreach (var f in result.Findings) sb.Append(f).Append('\n');
        sb.Append(CultureInfo.InvariantCulture, $"wall time: {clock.Elapsed.TotalSeconds:F1} s\n");
        console.Stdout.Write(Encoding.UTF8.GetBytes(sb.ToString()));
        console.Stdout.Flush();
        return result.Findings.Count == 0 ? ExitStatus.Success : ViolationsFound;
    }

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
