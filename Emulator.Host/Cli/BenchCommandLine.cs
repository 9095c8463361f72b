using System.Globalization;
using Emulator.Host.Benchmarking;

namespace Emulator.Host.Cli;

/// <summary>
/// Parses the options of `emu bench` (the words after "bench"), with the spelling rules of
/// <see cref="CommandLineParser"/>: one or two dashes, and NAME=VALUE in one word.
/// </summary>
public static class BenchCommandLine
{
    public const string HelpTopic = "bench";

    public static CliRequest Parse(IReadOnlyList<string> args)
    {
        int runs = BenchRequest.DefaultRuns, warmup = BenchRequest.DefaultWarmup;
        List<string>? only = null;
        uint? iterations = null;
        string? json = null, compare = null;
        bool qemu = false;
        bool debugger = false;
        for (int i = 0; i < args.Count; i++)
        {
            var option = OptionWord.Parse(args[i], "emu bench", HelpTopic);
            string word = option.Word;
            string Value(string what) => option.Value(args, ref i, what);

            switch (option.Name)
            {
                case "h" or "help":
                    option.NoValue();
                    return new HelpRequest(HelpTopic);
                case "runs": runs = (int)ParseNumber(Value("a number of runs"), word, 1, BenchRequest.MaxRuns); break;
                case "warmup": warmup = (int)ParseNumber(Value("a number of runs"), word, 0, BenchRequest.MaxRuns); break;
                case "iterations": iterations = (uint)ParseNumber(Value("a number of iterations"), word, 1, uint.MaxValue); break;
                case "only": only = ParseCaseNames(Value("case names separated by commas"), word); break;
                case "json": json = NonEmpty(Value("a file name"), word); break;
                case "compare": compare = NonEmpty(Value("a saved JSON result"), word); break;
                case "qemu":
                    option.NoValue();
                    qemu = true;
                    break;
                case "debugger":
                    option.NoValue();
                    debugger = true;
                    break;
                default:
                    throw new UsageException($"unknown option '{word}' for emu bench", HelpTopic);
            }
        }
        return new BenchRequest(runs, warmup, only, iterations, json, compare, qemu, debugger);
    }

    private static ulong ParseNumber(string text, string option, ulong min, ulong max)
    {
        if (text.Length == 0 || !text.All(char.IsAsciiDigit) ||
            !ulong.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out ulong n) || n < min || n > max)
            throw new UsageException($"bad value '{text}' for {option}: expected a whole number from {min} to {max}", HelpTopic);
        return n;
    }

    private static List<string> ParseCaseNames(string text, string option)
    {
        var names = text.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries).Distinct().ToList();
        if (names.Count == 0) throw new UsageException($"option {option} needs at least one case name", HelpTopic);
        var known = BenchSuite.CaseNames;
        foreach (var n in names)
            if (!known.Contains(n))
                throw new UsageException($"unknown bench case '{n}' (known: {string.Join(", ", known)})", HelpTopic);
        return names;
    }

    private static string NonEmpty(string value, string option) =>
        value.Length == 0 ? throw new UsageException($"option {option} needs a non-empty value", HelpTopic) : value;
}
