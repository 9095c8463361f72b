using System.Text.RegularExpressions;
using Emulator.Host.Cli;
using Emulator.Host.Commands;

namespace Emulator.Tests.Support;

/// <summary>
/// `emu debug` on the toy kernel in this process (a thread runs it) on a port the system chooses:
/// the page's URL is read from the line it prints on stderr, so parallel tests never race for a port.
/// </summary>
public sealed partial class WebDebuggerRun
{
    private readonly Thread _thread;
    private readonly StringWriter _stderr = new();
    private readonly TextWriter _stderrShared;
    private RunCommand.Outcome? _outcome;

    private WebDebuggerRun(RunOptions options)
    {
        _stderrShared = TextWriter.Synchronized(_stderr);
        var console = new HostConsole { Stdout = Stream.Null, Stderr = _stderrShared, GetEnvironmentVariable = _ => null };
        _thread = new Thread(() => _outcome = RunCommand.ExecuteDetailed(options, console)) { IsBackground = true, Name = "emu debug under test" };
    }

    public string Url { get; private set; } = "";
    public Uri SocketUri => new(Url.Replace("http://", "ws://") + "ws");
    /// <summary>What the page must send as its Origin ("http://127.0.0.1:PORT").</summary>
    public string Origin => Url.TrimEnd('/');

    [GeneratedRegex(@"emu: web debugger on (http://127\.0\.0\.1:\d+/)")]
    private static partial Regex UrlLine();

    private string Stderr { get { lock (_stderrShared) return _stderr.ToString(); } }

    /// <summary>Starts `emu debug -machine MACHINE -kernel KERNEL -append APPEND` (the toy kernel, pv=ops) and returns once it serves its page.</summary>
    public static WebDebuggerRun Start(string machine = "xen", string? kernel = null, string append = "pv=ops")
    {
        var run = new WebDebuggerRun(new RunOptions
        {
            Kernel = kernel ?? GuestImages.ToyKernel, Append = append, MachineType = machine, MemoryMiB = 32,
            Serial = OutputTarget.None, WebDebuggerPort = 0,
        });
        run._thread.Start();
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(20);
        while (UrlLine().Match(run.Stderr) is not { Success: true } m)
        {
            if (!run._thread.IsAlive) throw new InvalidOperationException($"emu debug ended before serving: {run.Stderr}");
            if (DateTime.UtcNow >= deadline) throw new TimeoutException("emu debug did not print its URL within 20 s");
            Thread.Sleep(10);
        }
        run.Url = UrlLine().Match(run.Stderr).Groups[1].Value;
        return run;
    }

    /// <summary>Waits for the run to end; its exit status.</summary>
    public int Join(TimeSpan timeout)
    {
        Assert.True(_thread.Join(timeout), "the run did not end");
        return _outcome!.ExitStatus;
    }
}
