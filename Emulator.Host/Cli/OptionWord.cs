namespace Emulator.Host.Cli;

/// <summary>
/// One option word of a subcommand's command line, spelled as <see cref="CommandLineParser"/> takes
/// them: one or two dashes, and NAME=VALUE in one word; with the way to its value (inline, or the
/// next word). Mistakes throw <see cref="UsageException"/> pointing at <paramref name="HelpTopic"/>.
/// </summary>
public readonly record struct OptionWord(string Word, string Name, string? InlineValue, string HelpTopic)
{
    /// <summary>Reads <paramref name="word"/> as an option of <paramref name="command"/> ("emu bench").</summary>
    public static OptionWord Parse(string word, string command, string helpTopic)
    {
        if (!word.StartsWith('-') || word == "-" || word == "--")
            throw new UsageException($"unexpected argument '{word}' for {command} (every option starts with a dash)", helpTopic);
        string name = word.StartsWith("--") ? word[2..] : word[1..];
        int eq = name.IndexOf('=');
        return eq >= 0 ? new OptionWord(word, name[..eq], name[(eq + 1)..], helpTopic) : new OptionWord(word, name, null, helpTopic);
    }

    /// <summary>The option's value: the part after '=', else the next word (<paramref name="i"/> moves on to it).</summary>
    public string Value(IReadOnlyList<string> args, ref int i, string what)
    {
        if (InlineValue != null) return InlineValue;
        if (i + 1 >= args.Count) throw new UsageException($"option {Word} needs a value ({what})", HelpTopic);
        return args[++i];
    }

    /// <summary>Refuses a value given to a flag (--help=yes).</summary>
    public void NoValue()
    {
        if (InlineValue != null) throw new UsageException($"option {Word} takes no value", HelpTopic);
    }
}
