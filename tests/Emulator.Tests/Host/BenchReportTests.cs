using Emulator.Host.Benchmarking;
using Emulator.Tests.Support;

namespace Emulator.Tests.Host;

/// <summary>The figures of a bench result, its JSON form, and the comparison with a saved one.</summary>
public class BenchReportTests
{
    private static BenchResult Result(string name, ulong instructions, params double[] seconds) =>
        new(name, name + " workload", instructions, new BenchTimings(seconds));

    private static BenchReport Report(params BenchResult[] cases) =>
        new(BenchReport.SchemaName, BenchReport.CurrentVersion, new DateTimeOffset(2026, 11, 24, 12, 0, 0, TimeSpan.Zero), "0.1.0",
            new BenchHostInfo(2, "Debian GNU/Linux 12", "X64", ".NET 10.0.0", true), 3, 1, null, null, cases);

    [Fact]
    public void MipsComeFromTheMedianAndTheExtremeRuns()
    {
        var r = Result("alu", 60_000_000, 2.0, 1.0, 1.5);
        Assert.Equal(1.5, r.Timings.Median);
        Assert.Equal(40.0, r.Mips, 9);
        Assert.Equal(30.0, r.MinMips, 9);
        Assert.Equal(60.0, r.MaxMips, 9);
        Assert.Equal(1.25, new BenchTimings([1.0, 2.0, 1.5, 1.0]).Median);
    }

    [Fact]
    public void QemuMipsLeaveOutItsStartUp()
    {
        // 100 M instructions more than phase=none, in 0.5 s more than phase=none: 200 MIPS; ours at 20 is a tenth.
        var q = QemuResult.Compute(1000, 100_002_000, new BenchTimings([0.8, 0.7, 0.75]), 2_000, new BenchTimings([0.25]), 20.0);
        Assert.Equal(200.0, q.Mips!.Value, 6);
        Assert.Equal(0.1, q.Ratio!.Value, 6);
        // A phase no slower than start-up has no meaningful speed.
        var none = QemuResult.Compute(1000, 5_000, new BenchTimings([0.2]), 2_000, new BenchTimings([0.25]), 20.0);
        Assert.Null(none.Mips);
        Assert.Null(none.Ratio);
    }

    [Fact]
    public void JsonRoundTrips()
    {
        var report = Report(Result("alu", 60_000_000, 1.0, 1.2, 1.1), Result("toykernel-bench-xen", 9_627_644, 0.6)) with
        {
            Iterations = 1000,
            QemuVersion = "QEMU emulator version 7.2.22",
        };
        report = report with
        {
            Cases = [report.Cases[0] with { Qemu = QemuResult.Compute(23_000_000, 600_000_000, new BenchTimings([0.5]), 1_666, new BenchTimings([0.2]), 50) }, report.Cases[1]],
        };
        string json = BenchReportJson.Serialize(report);
        Assert.Contains("\"schema\": \"emu-bench\"", json);
        Assert.Contains("\"version\": 1", json);
        Assert.Contains("\"mips\": 54.54", json); // computed figures are written for readers
        var back = BenchReportJson.Parse(json, "test");
        Assert.Equal(report.Created, back.Created);
        Assert.Equal(report.Host, back.Host);
        Assert.Equal(1000u, back.Iterations);
        Assert.Equal(report.QemuVersion, back.QemuVersion);
        Assert.Equal(2, back.Cases.Count);
        Assert.Equal(report.Cases[0].Timings.Seconds, back.Cases[0].Timings.Seconds);
        Assert.Equal(report.Cases[0].Mips, back.Cases[0].Mips);
        var (savedQemu, readQemu) = (report.Cases[0].Qemu!, back.Cases[0].Qemu!);
        Assert.Equal(savedQemu, readQemu with { Timings = savedQemu.Timings }); // timings: a list, compared by content below
        Assert.Equal(savedQemu.Timings.Seconds, readQemu.Timings.Seconds);
        Assert.Equal(23_000_000u, readQemu.Iterations);
        Assert.Null(back.Cases[1].Qemu);
        Assert.Equal(json, BenchReportJson.Serialize(back));
    }

    [Theory]
    [InlineData("not json")]
    [InlineData("null")]
    [InlineData("[]")]
    [InlineData("{\"schema\":\"emu-bench\",\"version\":1}")]
    public void MalformedJsonIsAFormatError(string text)
    {
        var e = Assert.Throws<BenchReportFormatException>(() => BenchReportJson.Parse(text, "saved.json"));
        Assert.Contains("saved.json", e.Message);
    }

    [Fact]
    public void AnotherSchemaOrVersionIsRefused()
    {
        string json = BenchReportJson.Serialize(Report(Result("alu", 1000, 1.0)));
        var schema = Assert.Throws<BenchReportFormatException>(() =>
            BenchReportJson.Parse(json.Replace("\"emu-bench\"", "\"other\""), "a.json"));
        Assert.Contains("schema", schema.Message);
        var version = Assert.Throws<BenchReportFormatException>(() =>
            BenchReportJson.Parse(json.Replace("\"version\": 1", "\"version\": 99"), "a.json"));
        Assert.Contains("version 99", version.Message);
        var noTime = Assert.Throws<BenchReportFormatException>(() =>
            BenchReportJson.Parse(System.Text.RegularExpressions.Regex.Replace(json, @"""seconds"": \[[^\]]*\]", @"""seconds"": []"), "a.json"));
        Assert.Contains("run times", noTime.Message);
    }

    [Fact]
    public void AMissingFileIsAFormatError()
    {
        using var temp = new TempFiles();
        var e = Assert.Throws<BenchReportFormatException>(() => BenchReportJson.Load(temp.PathOf("absent.json")));
        Assert.Contains("absent.json", e.Message);
    }

    [Fact]
    public void AFileWithoutTheOptimizedBuildFieldStillReads()
    {
        string json = BenchReportJson.Serialize(Report(Result("alu", 1000, 1.0)));
        string older = System.Text.RegularExpressions.Regex.Replace(json, @",\s*""optimizedBuild"": true", "");
        Assert.DoesNotContain("optimizedBuild", older);
        Assert.Null(BenchReportJson.Parse(older, "older.json").Host.OptimizedBuild);
        Assert.True(BenchReportJson.Parse(json, "now.json").Host.OptimizedBuild);
    }

    [Fact]
    public void TheReleaseBuildUnderTestIsOptimized()
    {
#if DEBUG
        Assert.False(BenchHostInfo.IsOptimizedBuild(typeof(Emulator.Core.Machine.Machine).Assembly));
#else
        Assert.True(BenchHostInfo.IsOptimizedBuild(typeof(Emulator.Core.Machine.Machine).Assembly));
#endif
    }

    [Fact]
    public void ComparisonGivesTheChangeInMipsPerCase()
    {
        var saved = Report(Result("alu", 60_000_000, 1.5), Result("mem", 50_000_000, 1.0));
        var now = new[] { Result("alu", 60_000_060, 1.2), Result("mem", 51_000_000, 2.0), Result("io", 10, 1.0) };
        var c = BenchComparison.Compare(saved, now);
        Assert.Equal(3, c.Count);
        Assert.Equal(40.0, c[0].BaselineMips!.Value, 9);
        Assert.Equal(50.00005, c[0].CurrentMips, 9);
        Assert.Equal(25.000125, c[0].ChangePercent!.Value, 9); // 1.5 s then, 1.2 s now
        Assert.False(c[0].InstructionsDiffer); // 60 instructions more in 60 million: the same workload
        Assert.Equal(-49.0, c[1].ChangePercent!.Value, 9);
        Assert.True(c[1].InstructionsDiffer);
        Assert.Null(c[2].BaselineMips);
        Assert.Null(c[2].ChangePercent);
        string table = BenchTable.Comparison(c, "saved.json", saved);
        Assert.Contains("Against saved.json (measured 2026-11-24 12:00 UTC, 2 processors)", table);
        Assert.Matches(@"alu +40\.00 +50\.00 +\+25\.0%\n", table);
        Assert.Matches(@"mem +50\.00 +25\.50 +-49\.0% +instruction count differs", table);
        Assert.Matches(@"io +- +0\.00 +new\n", table);
    }
}
