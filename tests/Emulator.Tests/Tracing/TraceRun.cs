using Emulator.Host.Cli;
using Emulator.Host.Commands;
using Emulator.Tests.Support;

namespace Emulator.Tests.Tracing;

/// <summary>Runs `emu run` in-process with -trace into a private file and returns the trace text.</summary>
public static class TraceRun
{
    public sealed record Result(RunCommand.Outcome Outcome, string Trace, string Stdout, string Stderr)
    {
        public string[] Lines => Trace.Split('\n', StringSplitOptions.RemoveEmptyEntries);
    }

    public static Result Record(RunOptions options)
    {
        string dir = Path.Combine(Path.GetTempPath(), "emu-trace-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(dir);
        try
        {
            options.TraceFile = Path.Combine(dir, "run.jsonl");
            var run = CapturedRun.Execute(options);
            string trace = File.Exists(options.TraceFile) ? File.ReadAllText(options.TraceFile) : "";
            return new Result(run.Outcome, trace, run.Stdout, run.Stderr);
        }
        finally
        {
            try { Directory.Delete(dir, recursive: true); } catch (IOException) { }
        }
    }
}
