using System.ComponentModel;
using System.Diagnostics;

namespace Emulator.Host.Benchmarking;

/// <summary>
/// qemu-system-i386 with TCG, the reference the bench guest's phases are compared with. A run is
/// one QEMU process from start to exit, timed with the wall clock:
/// `qemu-system-i386 -accel tcg -m 128 -kernel bench.elf -append "phase=P" -display none
/// -serial none -monitor none -no-reboot -device isa-debug-exit,iobase=0xf4,iosize=0x04`.
/// </summary>
public sealed class QemuReference
{
    public const string Executable = "qemu-system-i386";
    /// <summary>A phase that has not ended by then is hung (the longest takes seconds).</summary>
    private static readonly TimeSpan Timeout = TimeSpan.FromMinutes(5);

    public string Path { get; }
    /// <summary>The first line of `qemu-system-i386 --version`.</summary>
    public string Version { get; }

    private QemuReference(string path, string version)
    {
        Path = path;
        Version = version;
    }

    /// <summary>QEMU from the directories of PATH, or null when it is not installed (or does not start).</summary>
    public static QemuReference? Locate(Func<string, string?> getEnvironmentVariable)
    {
        string? path = getEnvironmentVariable("PATH");
        if (string.IsNullOrEmpty(path)) return null;
        foreach (var dir in path.Split(System.IO.Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries))
        {
            string candidate = System.IO.Path.Combine(dir, Executable);
            if (!File.Exists(candidate)) continue;
            try
            {
                var (status, output) = Capture(candidate, ["--version"]);
                if (status == 0) return new QemuReference(candidate, output.Split('\n')[0].Trim());
            }
            catch (BenchCaseFailedException)
            {
                // Not runnable (permissions, a broken install): look further along PATH.
            }
        }
        return null;
    }

    /// <summary>The wall-clock seconds of one QEMU process running the bench guest's phase to its exit.</summary>
    public double TimePhase(string imagePath, string append)
    {
        var args = new[]
        {
            "-accel", "tcg", "-m", "128", "-kernel", imagePath, "-append", append,
            "-display", "none", "-serial", "none", "-monitor", "none", "-no-reboot",
            "-device", "isa-debug-exit,iobase=0xf4,iosize=0x04",
        };
        var stopwatch = Stopwatch.StartNew();
        var (status, output) = Capture(Path, args);
        stopwatch.Stop();
        if (status != BenchSuite.GuestExitStatus)
            throw new BenchCaseFailedException(
                $"{Executable} -append \"{append}\" ended with status {status}, expected {BenchSuite.GuestExitStatus}" +
                (output.Trim().Length > 0 ? $": {output.Trim()}" : ""));
        return stopwatch.Elapsed.TotalSeconds;
    }

    /// <summary>Runs a program to its end: its exit status and what it wrote (stdout then stderr).</summary>
    private static (int Status, string Output) Capture(string program, IEnumerable<string> args)
    {
        var info = new ProcessStartInfo(program)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
        };
        foreach (var a in args) info.ArgumentList.Add(a);
        Process process;
        try { process = Process.Start(info) ?? throw new BenchCaseFailedException($"{program} did not start"); }
        catch (Win32Exception e) { throw new BenchCaseFailedException($"cannot start {program}: {e.Message}"); }
        using (process)
        {
            process.StandardInput.Close();
            var stdout = process.StandardOutput.ReadToEndAsync();
            var stderr = process.StandardError.ReadToEndAsync();
            if (!process.WaitForExit(Timeout))
            {
                process.Kill(entireProcessTree: true);
                throw new BenchCaseFailedException($"{program} did not finish within {Timeout.TotalMinutes} minutes");
            }
            return (process.ExitCode, stdout.Result + stderr.Result);
        }
    }
}
