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
            if (e.HelpTopic == BenchCommandLine.HelpTopic) { console.Stderr.WriteLine($"emu: {e.Message}\nTry 'emu bench --help' for the options of emu bench."); return ExitStatus.Usage; }
            console.Stderr.WriteLine($"emu: {e.Message}");
            console.Stderr.WriteLine(e.HelpTopic == "run"
                ? "Try 'emu run --help' for the options of emu run."
                : "Try 'emu --help' for more information.");
            return ExitStatus.Usage;
        }

        switch (request)
        {
            case HelpRequest { Topic: BenchCommandLine.HelpTopic }: WriteStdout(console, HelpText.Bench); return ExitStatus.Success;
            case HelpRequest h:
                WriteStdout(console, h.Topic == "run" ? HelpText.Run : HelpText.Main);
                return ExitStatus.Success;
            case VersionRequest:
                WriteStdout(console, HelpText.VersionLine + "\n");
                return ExitStatus.Success;
            case RunRequest r:
                return RunCommand.Execute(r.Options, console);
            case BenchRequest b: return BenchCommand.Execute(b, console);
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
