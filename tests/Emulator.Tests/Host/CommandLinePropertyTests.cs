using CsCheck;
using Emulator.Core.Tracing;
using Emulator.Host.Cli;

namespace Emulator.Tests.Host;

/// <summary>
/// Property-based checks (CsCheck): any command line made of emu's words, options and hostile values
/// parses to a request or fails with a <see cref="UsageException"/> (exit status 2), and any text
/// made of trace-line fragments parses to a trace or fails with a <see cref="TraceFormatException"/>;
/// nothing else escapes. Fixed seeds, one thread.
/// </summary>
public sealed class CommandLinePropertyTests
{
    private const string Seed = "000000000000";

    private static readonly string[] Words =
    {
        "run", "trace", "diff", "stats", "bench", "fuzz", "hypercalls", "cpu", "help", "--help", "-h", "--version", "-version",
        "-kernel", "-append", "-initrd", "-bios", "-m", "-machine", "--p2m-seed", "-serial", "-debugcon", "-no-reboot",
        "--max-instructions", "--stats", "-trace", "-trace-level", "--log-level", "--log-file", "-s", "-gdb", "-S",
        "--seed", "--count", "--audit-every", "--bits", "--ring", "--runs", "--warmup", "--only", "--iterations", "--json",
        "--compare", "--qemu", "--debugger", "--context", "--allow-truncated", "-", "--", "---", "=", "-=",
    };

    private static readonly string[] Values =
    {
        "", " ", "0", "1", "-1", "16", "32", "both", "3", "0x", "0x10", "0xZZ", "4096", "99999999999999999999", "1e3", "pc", "xen", "isapc",
        "stdio", "none", "file:", "file:/nonexistent/dir/x", "tcp::1234", "tcp::99999", "tcp::", "boot", "full", "loud", "a,,b", ",", "\0", "é",
        "/dev/null", "/nonexistent",
    };

    private static readonly Gen<string[]> Arguments = Gen.OneOf(
        Gen.Int[0, Words.Length - 1].Select(i => Words[i]),
        Gen.Int[0, Values.Length - 1].Select(i => Values[i]),
        Gen.Select(Gen.Int[0, Words.Length - 1], Gen.Int[0, Values.Length - 1], (w, v) => $"{Words[w]}={Values[v]}"),
        Gen.String[0, 12]).Array[0, 8];

    [Fact]
    public void AnyCommandLineParsesOrIsAUsageError() =>
        Arguments.Sample(args =>
        {
            try { Assert.NotNull(CommandLineParser.Parse(args)); }
            catch (UsageException e) { Assert.False(string.IsNullOrWhiteSpace(e.Message)); }
        }, seed: Seed, iter: 20000, threads: 1, print: a => string.Join(" ", a.Select(x => $"'{x}'")));

    private static readonly string[] TraceFragments =
    {
        "{", "}", "[", "]", ":", ",", "\"", "\n", "\r\n", " ", "\"type\"", "\"i\"", "\"trace\"", "\"end\"", "\"version\"", "\"level\"",
        "\"boot\"", "\"full\"", "\"hypercall\"", "\"name\"", "0", "1", "-1", "1e999", "18446744073709551616", "null", "true", "\"\\u0000\"",
        "{\"type\":\"trace\",\"i\":0,\"version\":1,\"level\":\"boot\"}\n", "{\"type\":\"end\",\"i\":5}\n", "{\"type\":\"io\",\"i\":3}\n",
        "{\"type\":\"trace\",\"i\":0,\"version\":999,\"level\":\"boot\"}\n", "{\"type\":\"x\",\"i\":-4}\n", "[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[",
    };

    [Fact]
    public void AnyTraceTextParsesOrIsATraceFormatError() =>
        Gen.Select(Gen.Int[0, TraceFragments.Length - 1].Array[0, 40], Gen.Bool, (parts, truncated) => (string.Concat(parts.Select(p => TraceFragments[p])), truncated))
            .Sample((text, truncated) =>
            {
                try { Assert.NotNull(TraceFile.Parse(text, "fuzzed.trace", truncated)); }
                catch (TraceFormatException e) { Assert.StartsWith("fuzzed.trace", e.Message); }
            }, seed: Seed, iter: 20000, threads: 1);
}
