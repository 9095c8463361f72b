using System.Globalization;
using Emulator.Core.Tracing;

namespace Emulator.Host.Cli;

/// <summary>Parses `emu trace diff|stats ...` (the words after `trace`).</summary>
public static class TraceCommandLine
{
    public static CliRequest Parse(IReadOnlyList<string> args)
    {
        if (args.Count == 0)
            throw new UsageException("emu trace needs a subcommand: diff A B, or stats FILE", "trace");
        string sub = args[0];
        if (sub is "-h" or "-help" or "--help" or "help") return new HelpRequest("trace");

        var files = new List<string>();
        int context = TraceDiff.DefaultContext;
        bool allowTruncated = false;
        for (int i = 1; i < args.Count; i++)
        {
            string word = args[i];
            if (!word.StartsWith('-') || word == "-") { files.Add(word); continue; }
            var option = OptionWord.Parse(word, $"emu trace {sub}", "trace");
            switch (option.Name)
            {
                case "h" or "help":
                    return new HelpRequest("trace");
                case "allow-truncated":
                    option.NoValue();
                    allowTruncated = true;
                    break;
                case "context" when sub == "diff":
                    string text = option.Value(args, ref i, "a number of events");
                    if (!int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out context) || context > 1000)
                        throw new UsageException($"bad value '{text}' for --context: expected a number of events from 0 to 1000", "trace");
                    break;
                default:
                    throw new UsageException($"unknown option '{word}' for emu trace {sub}", "trace");
            }
        }

        switch (sub)
        {
            case "diff":
                if (files.Count != 2)
                    throw new UsageException($"emu trace diff takes two trace files (the expected one first), got {files.Count}", "trace");
                return new TraceDiffRequest(files[0], files[1], context, allowTruncated);
            case "stats":
                if (files.Count != 1)
                    throw new UsageException($"emu trace stats takes one trace file, got {files.Count}", "trace");
                return new TraceStatsRequest(files[0], allowTruncated);
            default:
                throw new UsageException($"unknown trace subcommand '{sub}' (known: diff, stats)", "trace");
        }
    }
}
