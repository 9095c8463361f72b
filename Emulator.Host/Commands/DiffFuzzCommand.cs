using System.Diagnostics;
using System.Globalization;
using System.Text;
using Emulator.Core.Fuzzing.Differential;
using Emulator.Host.Benchmarking;
using Emulator.Host.Cli;
using Emulator.Host.Fuzzing;
using Serilog;

namespace Emulator.Host.Commands;

/// <summary>
/// `emu fuzz diff`: a <see cref="DifferentialCampaign"/> of our interpreter against
/// qemu-system-i386 (found on PATH), progress on stderr, the summary and each mismatch's
/// reproducer on stdout. Exit 0 with no mismatch, 1 with mismatches, 2 when QEMU is not installed
/// or its gdb stub fails.
/// </summary>
public static class DiffFuzzCommand
{
    public const int MismatchesFound = 1;
    private const long ProgressEvery = 1000;

    public static int Execute(DiffFuzzRequest request, HostConsole console)
    {
        var qemuPath = QemuReference.Locate(Environment.GetEnvironmentVariable)?.Path;
        if (qemuPath == null)
        {
            console.Stderr.WriteLine($"emu: fuzz diff: {QemuDiffCpu.Executable} is not on PATH (Debian: apt-get install qemu-system-x86)");
            return ExitStatus.Usage;
        }
        var modes = request.Bits.SelectMany(b => request.Rings.Select(r => new DiffMode(b, r))).ToList();
        var clock = Stopwatch.StartNew();
        DiffCampaignResult result;
        try
        {
            using var ours = new InterpreterDiffCpu();
            using var qemu = QemuDiffCpu.Start(qemuPath);
            console.Stderr.WriteLine($"emu: fuzz diff: seed {request.Seed}, {request.Count} cases, modes {string.Join(", ", modes)}, against {qemuPath}");
            result = new DifferentialCampaign(ours, qemu, request.Seed, modes).Run(request.Count,
                (done, compared) => console.Stderr.WriteLine($"emu: fuzz diff: {done} cases, {compared} instructions compared, {clock.Elapsed.TotalSeconds:F1} s"),
                ProgressEvery);
        }
        catch (GdbRemoteException e)
        {
            Log.Error(e, "fuzz diff: QEMU's gdb stub failed");
            console.Stderr.WriteLine($"emu: fuzz diff: {e.Message}");
            return ExitStatus.Usage;
        }
        clock.Stop();
        var inv = CultureInfo.InvariantCulture;
        var sb = new StringBuilder();
        sb.Append(inv, $"emu fuzz diff --seed {request.Seed} --count {request.Count}: modes {string.Join(", ", modes)}\n");
        sb.Append(inv, $"cases: {result.Cases}\ninstructions compared: {result.InstructionsCompared}\n");
        sb.Append(inv, $"cases ending in an exception (delivery compared): {result.FaultingCases}\n");
        sb.Append(inv, $"mismatching cases: {result.MismatchingCases}\n");
        foreach (var m in result.Mismatches) sb.Append(m);
        sb.Append(inv, $"wall time: {clock.Elapsed.TotalSeconds:F1} s\n");
        console.Stdout.Write(Encoding.UTF8.GetBytes(sb.ToString()));
        console.Stdout.Flush();
        return result.MismatchingCases == 0 ? ExitStatus.Success : MismatchesFound;
    }
}
