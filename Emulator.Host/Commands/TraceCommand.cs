using System.Text;
using Emulator.Core.Tracing;
using Emulator.Host.Cli;

namespace Emulator.Host.Commands;

/// <summary>`emu trace diff` and `emu trace stats`: read traces back, compare or count them.</summary>
public static class TraceCommand
{
    public static int Diff(TraceDiffRequest r, HostConsole console)
    {
        if (!TryLoad(r.A, r.AllowTruncated, console, out var a) || !TryLoad(r.B, r.AllowTruncated, console, out var b))
            return ExitStatus.Usage;
        var diff = TraceDiff.Compare(a!, b!, r.Context);
        Write(console, diff.Report());
        return diff.IsEquivalent ? ExitStatus.Success : ExitStatus.TracesDiffer;
    }

    public static int Stats(TraceStatsRequest r, HostConsole console)
    {
        if (!TryLoad(r.File, r.AllowTruncated, console, out var file)) return ExitStatus.Usage;
        Write(console, TraceStats.Of(file!).Report());
        return ExitStatus.Success;
    }

    private static bool TryLoad(string path, bool allowTruncated, HostConsole console, out TraceFile? file)
    {
        try
        {
            file = TraceFile.Load(path, allowTruncated);
            return true;
        }
        catch (TraceFormatException e)
        {
            console.Stderr.WriteLine($"emu: {e.Message}");
            file = null;
            return false;
        }
    }

    private static void Write(HostConsole console, string text)
    {
        console.Stdout.Write(Encoding.UTF8.GetBytes(text));
        console.Stdout.Flush();
    }
}
