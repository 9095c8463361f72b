using Emulator.Host.Commands;

namespace Emulator.Host.Cli;

/// <summary>The `emu` command: parses the command line and runs what it asks for.</summary>
public static class EmuCli
{
    public static int Run(IReadOnlyList<string> args, HostConsole console)
    {
        CliRequest request;
        try
        {
            request = CommandLineParser.Parse(args);
        }
        catch (UsageException e)
        {
            console.Stderr.WriteLine($"emu: {e.Message}");
            console.Stderr.WriteLine(e.HelpTopic is { } topic
                ? $"Try 'emu {topic} --help' for the options of emu {topic}."
                : "Try 'emu --help' for more information.");
            return ExitStatus.Usage;
        }

        switch (request)
        {
            case HelpRequest { Topic: FuzzCommandLine.HelpTopic }: WriteStdout(console, HelpText.Fuzz); return ExitStatus.Success;
            case HelpRequest h:
                WriteStdout(console, h.Topic switch { "run" => HelpText.Run, "debug" => HelpText.Debug, "trace" => HelpText.Trace, BenchCommandLine.HelpTopic => HelpText.Bench, _ => HelpText.Main });
                return ExitStatus.Success;
            case VersionRequest:
                WriteStdout(console, HelpText.VersionLine + "\n");
                return ExitStatus.Success;
            case RunRequest r:
                return RunCommand.Execute(r.Options, console);
            case TraceDiffRequest d:
                return TraceCommand.Diff(d, console);
            case TraceStatsRequest s:
                return TraceCommand.Stats(s, console);
            case BenchRequest b:
                return BenchCommand.Execute(b, console);
            case FuzzRequest f: return FuzzCommand.Execute(f, console);
            case CpuFuzzRequest c: return FuzzCommand.ExecuteCpu(c, console);
            case DiffFuzzRequest d: return DiffFuzzCommand.Execute(d, console);
            default:
                throw new InvalidOperationException($"unhandled request {request}");
        }
    }

    private static void WriteStdout(HostConsole console, string text)
    {
        if (!text.EndsWith('\n')) text += "\n";
        var bytes = System.Text.Encoding.UTF8.GetBytes(text);
        console.Stdout.Write(bytes);
        console.Stdout.Flush();
    }
}
