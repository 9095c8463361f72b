using System.Text;
using Emulator.Host.Cli;
using Emulator.Host.Commands;

namespace Emulator.Tests.Support;

/// <summary>`emu run` in-process with its console captured: the exit status, stdout, stderr and the outcome.</summary>
public sealed record CapturedRun(int Status, string Stdout, string Stderr, RunCommand.Outcome Outcome)
{
    public static CapturedRun Execute(RunOptions options, Func<string, string?>? env = null, string? baseDirectory = null)
    {
        var stdout = new MemoryStream();
        var stderr = new StringWriter();
        var console = new HostConsole
        {
            Stdout = stdout,
            Stderr = stderr,
            GetEnvironmentVariable = env ?? (_ => null),
            BaseDirectory = baseDirectory ?? AppContext.BaseDirectory,
        };
        var outcome = RunCommand.ExecuteDetailed(options, console);
        return new CapturedRun(outcome.ExitStatus, Encoding.UTF8.GetString(stdout.ToArray()), stderr.ToString(), outcome);
    }
}
