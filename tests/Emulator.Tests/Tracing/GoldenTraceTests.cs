using Emulator.Core.Tracing;
using Emulator.Host.Cli;
using Emulator.Tests.Support;

namespace Emulator.Tests.Tracing;

/// <summary>
/// The golden boot traces (tests/golden): every case of cases.txt is run again at each recorded level
/// and compared with its golden file through the same diff as `emu trace diff`; a failure shows the
/// first divergence. Regenerate with tests/golden/regenerate.sh only for an intended change (README).
/// </summary>
public sealed class GoldenTraceTests
{
    private static string GoldenDirectory => Path.Combine(GuestImages.RepositoryRoot, "tests", "golden");

    public static TheoryData<string, string> Cases()
    {
        var data = new TheoryData<string, string>();
        foreach (var (name, _) in ReadCases())
            foreach (var level in new[] { "boot", "hypercall" })
                data.Add(name, level);
        return data;
    }

    private static IEnumerable<(string Name, string[] Args)> ReadCases()
    {
        foreach (var raw in File.ReadAllLines(Path.Combine(GoldenDirectory, "cases.txt")))
        {
            string line = raw.Trim();
            if (line.Length == 0 || line.StartsWith('#')) continue;
            int colon = line.IndexOf(':');
            yield return (line[..colon].Trim(), line[(colon + 1)..].Split(' ', StringSplitOptions.RemoveEmptyEntries));
        }
    }

    [Fact]
    public void EveryCaseHasAGoldenTraceAtEachLevelUnderOneMiB()
    {
        var cases = ReadCases().ToList();
        Assert.Contains(cases, c => c.Name == "hello");
        foreach (var machine in new[] { "pc", "xen" })
            foreach (var pv in new[] { "flag", "ops", "patch" })
                Assert.Contains(cases, c => c.Name == $"toykernel-{machine}-{pv}");
        foreach (var (name, _) in cases)
            foreach (var level in new[] { "boot", "hypercall" })
            {
                var file = new FileInfo(Path.Combine(GoldenDirectory, $"{name}.{level}.jsonl"));
                Assert.True(file.Exists, $"{file.FullName} is missing: run tests/golden/regenerate.sh");
                Assert.True(file.Length < 1 << 20, $"{file.Name} is {file.Length} bytes: golden traces stay under 1 MiB");
            }
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void RunMatchesGoldenTrace(string name, string level)
    {
        var args = ReadCases().Single(c => c.Name == name).Args;
        var request = Assert.IsType<RunRequest>(CommandLineParser.Parse(["run", .. args, "-serial", "none", "-trace-level", level, "-trace", "x"]));
        var options = request.Options;
        options.Kernel = Path.Combine(GuestImages.RepositoryRoot, options.Kernel!);

        var run = TraceRun.Record(options);
        string goldenPath = Path.Combine(GoldenDirectory, $"{name}.{level}.jsonl");
        var golden = TraceFile.Parse(File.ReadAllText(goldenPath), $"tests/golden/{name}.{level}.jsonl");
        var actual = TraceFile.Parse(run.Trace, $"this run ({name} at {level})");
        var diff = TraceDiff.Compare(golden, actual);
        Assert.True(diff.IsEquivalent,
            $"the trace of `emu run {string.Join(' ', args)} -trace-level {level}` differs from {goldenPath}:\n{diff.Report()}\n" +
            "If the change is intended, regenerate with tests/golden/regenerate.sh and explain the change in the commit.");
    }
}
