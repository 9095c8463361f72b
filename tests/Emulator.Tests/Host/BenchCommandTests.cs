using System.Text;
using System.Text.RegularExpressions;
using Emulator.Host.Benchmarking;
using Emulator.Host.Cli;
using Emulator.Host.Commands;
using Emulator.Tests.Support;

namespace Emulator.Tests.Host;

/// <summary>`emu bench` end to end, in-process, on small workloads (speed itself is never asserted).</summary>
public class BenchCommandTests
{
    private static (int Status, string Stdout, string Stderr) Emu(Func<string, string?>? env, params string[] args)
    {
        var stdout = new MemoryStream();
        var stderr = new StringWriter();
        int status = EmuCli.Run(args, new HostConsole { Stdout = stdout, Stderr = stderr, GetEnvironmentVariable = env ?? (_ => null) });
        return (status, Encoding.UTF8.GetString(stdout.ToArray()), stderr.ToString());
    }

    private static (int Status, string Stdout, string Stderr) Emu(params string[] args) => Emu(null, args);

    [Fact]
    public void MeasuresTheChosenCasesAndWritesJson()
    {
        using var temp = new TempFiles();
        string json = temp.PathOf("result.json");
        var (status, stdout, stderr) = Emu("bench", "--only", "alu,none", "--iterations", "1000", "--runs", "2", "--warmup", "1", "--json", json);
        Assert.Equal(0, status);
        Assert.Contains("bench: alu warm-up 1/1\n", stderr);
        Assert.Contains("bench: alu run 2/2\n", stderr);
        Assert.Contains("bench: none run 1/2\n", stderr);
        Assert.StartsWith("case ", stdout);
        Assert.Contains("MIPS", stdout);

        var report = BenchReportJson.Load(json);
        Assert.Equal(2, report.Runs);
        Assert.Equal(1000u, report.Iterations);
        Assert.Equal(new[] { "alu", "none" }, report.Cases.Select(c => c.Name));
        // The count is the machine's: the same as `emu run` of the same phase.
        var direct = CapturedRun.Execute(new RunOptions { Kernel = GuestImages.Bench, Append = "phase=alu iterations=1000" });
        Assert.Equal(direct.Outcome.Instructions, report.Cases[0].Instructions);
        Assert.All(report.Cases, c => Assert.Equal(2, c.Timings.Seconds.Count));
        Assert.Matches(new Regex($@"\nalu +{report.Cases[0].Instructions:N0} "), stdout);
    }

    [Fact]
    public void ComparesWithASavedResult()
    {
        using var temp = new TempFiles();
        string saved = temp.PathOf("saved.json");
        // A saved result whose alu took a whole second for its instructions: 1 MIPS / 1e6 per instruction.
        var direct = CapturedRun.Execute(new RunOptions { Kernel = GuestImages.Bench, Append = "phase=alu iterations=1000" });
        ulong n = direct.Outcome.Instructions;
        BenchReportJson.Save(new BenchReport(BenchReport.SchemaName, BenchReport.CurrentVersion, DateTimeOffset.UnixEpoch, "0.0.1",
            new BenchHostInfo(1, "test", "X64", ".NET", true), 1, 0, 1000, null,
            [new BenchResult("alu", "alu", n, new BenchTimings([1000.0])), new BenchResult("io", "io", 5, new BenchTimings([1.0]))]), saved);
        string json = temp.PathOf("now.json");

        var (status, stdout, _) = Emu("bench", "--only", "alu", "--iterations", "1000", "--runs", "1", "--warmup", "0",
            "--compare", saved, "--json", json);
        Assert.Equal(0, status);
        var now = BenchReportJson.Load(json).Cases.Single();
        double expected = (now.Mips / (n / 1000.0 / 1e6) - 1) * 100;
        Assert.Contains($"Against {saved} (measured 1970-01-01 00:00 UTC, 1 processors):", stdout);
        Assert.Matches(new Regex($@"\nalu +{n / 1000.0 / 1e6:F2} +{now.Mips:F2} +\+{expected:F1}%\n"), stdout);
        Assert.DoesNotContain("\nio ", stdout); // a saved case not measured now is not listed
    }

    [Theory]
    [InlineData("{ broken")]
    [InlineData("{\"schema\":\"something-else\"}")]
    public void AMalformedCompareFileIsExitStatus2BeforeAnyRun(string content)
    {
        using var temp = new TempFiles();
        string saved = temp.Write("saved.json", Encoding.UTF8.GetBytes(content));
        var (status, stdout, stderr) = Emu("bench", "--compare", saved);
        Assert.Equal(2, status);
        Assert.Equal("", stdout);
        Assert.StartsWith($"emu: bench: {saved}", stderr);
        Assert.DoesNotContain("warm-up", stderr);
    }

    [Fact]
    public void AMissingCompareFileIsExitStatus2()
    {
        using var temp = new TempFiles();
        var (status, stdout, stderr) = Emu("bench", "--compare", temp.PathOf("absent.json"));
        Assert.Equal(2, status);
        Assert.Equal("", stdout);
        Assert.Contains("cannot read", stderr);
    }

    [Fact]
    public void AJsonFileInAMissingDirectoryIsExitStatus2BeforeAnyRun()
    {
        using var temp = new TempFiles();
        var (status, _, stderr) = Emu("bench", "--json", Path.Combine(temp.Directory, "no", "such", "out.json"));
        Assert.Equal(2, status);
        Assert.Contains("does not exist", stderr);
    }

    [Fact]
    public void AGuestImageNotBuiltIsExitStatus2BeforeAnyRun()
    {
        using var temp = new TempFiles();
        var (status, stdout, stderr) = Emu(name => name == "EMU_GUESTS" ? temp.Directory : null, "bench", "--only", "alu");
        Assert.Equal(2, status);
        Assert.Equal("", stdout);
        Assert.Equal($"emu: bench: the default guest bench.elf is not in EMU_GUESTS={temp.Directory}\n", stderr);
    }

    [Fact]
    public void BadOptionsAreExitStatus2WithAHintToBenchHelp()
    {
        var (status, stdout, stderr) = Emu("bench", "--runs", "0");
        Assert.Equal(2, status);
        Assert.Equal("", stdout);
        Assert.Equal("emu: bad value '0' for --runs: expected a whole number from 1 to 1000\n" +
                     "Try 'emu bench --help' for the options of emu bench.\n", stderr);
    }

    [Fact]
    public void WithoutQemuTheRunSaysSoAndGoesOn()
    {
        var (status, stdout, stderr) = Emu(name => name == "PATH" ? "/nonexistent-dir" : null,
            "bench", "--qemu", "--only", "io", "--iterations", "100", "--runs", "1", "--warmup", "0");
        Assert.Equal(0, status);
        Assert.Contains("qemu-system-i386 is not installed", stderr);
        Assert.DoesNotContain("QEMU", stdout);
        Assert.Contains("\nio ", stdout);
    }

    [Fact]
    public void HelpExplainsWhatIsMeasured()
    {
        foreach (var args in new[] { new[] { "bench", "--help" }, new[] { "help", "bench" } })
        {
            var (status, stdout, stderr) = Emu(args);
            Assert.Equal(0, status);
            Assert.Equal("", stderr);
            foreach (var word in new[] { "--runs", "--warmup", "--only", "--iterations", "--json", "--compare", "--qemu",
                         "median", "phase=none", "toykernel-bench-xen" })
                Assert.Contains(word, stdout);
        }
        Assert.Contains("emu bench [options]", Emu("--help").Stdout);
    }
}
