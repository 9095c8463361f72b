using System.Globalization;

namespace Emulator.Host.Cli;

/// <summary>
/// Parses `emu fuzz TARGET [options]` (the words after "fuzz"), with the spelling rules of
/// <see cref="CommandLineParser"/>: one or two dashes, and NAME=VALUE in one word. The targets are
/// "hypercalls", "cpu" and "diff".
/// </summary>
public static class FuzzCommandLine
{
    public const string HelpTopic = "fuzz";
    public const string HypercallsTarget = "hypercalls";
    public const string CpuTarget = "cpu";
    public const string DiffTarget = "diff";

    public static CliRequest Parse(IReadOnlyList<string> args)
    {
        if (args.Count == 0) throw new UsageException($"emu fuzz needs a target (`{HypercallsTarget}`, `{CpuTarget}` or `{DiffTarget}`)", HelpTopic);
        if (args[0] is "-h" or "-help" or "--help") return new HelpRequest(HelpTopic);
        if (args[0] != HypercallsTarget && args[0] != CpuTarget && args[0] != DiffTarget)
            throw new UsageException($"unknown fuzz target '{args[0]}' (the targets are `{HypercallsTarget}`, `{CpuTarget}` and `{DiffTarget}`)", HelpTopic);
        string target = args[0];
        ulong seed = FuzzRequest.DefaultSeed;
        long? count = null;
        int auditEvery = FuzzRequest.DefaultAuditEvery;
        int[] bits = { 16, 32 }, rings = { 0, 3 };
        for (int i = 1; i < args.Count; i++)
        {
            var option = OptionWord.Parse(args[i], $"emu fuzz {target}", HelpTopic);
            string word = option.Word;
            switch (option.Name)
            {
                case "h" or "help":
                    option.NoValue();
                    return new HelpRequest(HelpTopic);
                case "seed": seed = ParseNumber(option.Value(args, ref i, "a seed"), word, 0, ulong.MaxValue); break;
                case "count": count = (long)ParseNumber(option.Value(args, ref i, target == HypercallsTarget ? "a number of hypercalls" : "a number of cases"), word, 1, (ulong)FuzzRequest.MaxCount); break;
                case "bits" when target == DiffTarget: bits = Choice(option.Value(args, ref i, "16, 32 or both"), word, 16, 32); break;
                case "ring" when target == DiffTarget: rings = Choice(option.Value(args, ref i, "0, 3 or both"), word, 0, 3); break;
                case "audit-every" when target == HypercallsTarget: auditEvery = (int)ParseNumber(option.Value(args, ref i, "a number of hypercalls"), word, 1, int.MaxValue); break;
                default:
                    throw new UsageException($"unknown option '{word}' for emu fuzz {target}", HelpTopic);
            }
        }
        if (target == CpuTarget) return new CpuFuzzRequest(seed, count ?? FuzzRequest.DefaultCount);
        if (target == DiffTarget) return new DiffFuzzRequest(seed, count ?? DiffFuzzRequest.DefaultCount, bits, rings);
        return new FuzzRequest(seed, count ?? FuzzRequest.DefaultCount, auditEvery);
    }

    /// <summary>One of two values, or "both".</summary>
    private static int[] Choice(string text, string option, int first, int second)
    {
        string a = first.ToString(CultureInfo.InvariantCulture), b = second.ToString(CultureInfo.InvariantCulture);
        if (text == a) return new[] { first };
        if (text == b) return new[] { second };
        if (text == "both") return new[] { first, second };
        throw new UsageException($"bad value '{text}' for {option}: expected {a}, {b} or both", HelpTopic);
    }

    /// <summary>A whole number in decimal, or in hex with 0x.</summary>
    private static ulong ParseNumber(string text, string option, ulong min, ulong max)
    {
        bool hex = text.StartsWith("0x", StringComparison.OrdinalIgnoreCase);
        string digits = hex ? text[2..] : text;
        if (digits.Length == 0 || !(hex ? digits.All(char.IsAsciiHexDigit) : digits.All(char.IsAsciiDigit)) ||
            !ulong.TryParse(digits, hex ? NumberStyles.AllowHexSpecifier : NumberStyles.None, CultureInfo.InvariantCulture, out ulong n) ||
            n < min || n > max)
            throw new UsageException($"bad value '{text}' for {option}: expected a whole number from {min} to {max}", HelpTopic);
        return n;
    }
}
