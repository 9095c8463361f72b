using System.Net.Http;
using Emulator.Host.Cli;

namespace Emulator.Tests.Support;

/// <summary>`emu debug` on the toy kernel in this process (a thread runs it), its page served on a free port.</summary>
public sealed class WebDebuggerRun
{
    private readonly Thread _thread;
    private CapturedRun? _result;

    private WebDebuggerRun(int port, RunOptions options)
    {
        Port = port;
        _thread = new Thread(() => _result = CapturedRun.Execute(options)) { IsBackground = true, Name = "emu debug under test" };
    }

    public int Port { get; }
    public string Url => $"http://127.0.0.1:{Port}/";
    public Uri SocketUri => new($"ws://127.0.0.1:{Port}/ws");

    /// <summary>Starts `emu debug -machine MACHINE -append pv=ops` and returns once the page is served.</summary>
    public static WebDebuggerRun Start(string machine = "xen")
    {
        int port = FreeTcpPort.Next();
        var options = new RunOptions
        {
            Kernel = GuestImages.ToyKernel, Append = "pv=ops", MachineType = machine, MemoryMiB = 32,
            Serial = OutputTarget.None, WebDebuggerPort = port,
        };
        var run = new WebDebuggerRun(port, options);
        run._thread.Start();
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(2) };
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(20);
        while (true)
        {
            try
            {
                if (http.GetAsync(run.Url).GetAwaiter().GetResult().IsSuccessStatusCode) return run;
            }
            catch (HttpRequestException) when (DateTime.UtcNow < deadline) { }
            catch (TaskCanceledException) when (DateTime.UtcNow < deadline) { }
            if (!run._thread.IsAlive) throw new InvalidOperationException($"emu debug ended before serving: {run._result?.Stderr}");
            if (DateTime.UtcNow >= deadline) throw new TimeoutException("emu debug did not serve its page within 20 s");
            Thread.Sleep(50);
        }
    }

    /// <summary>Waits for the run to end; its result.</summary>
    public CapturedRun Join(TimeSpan timeout)
    {
        Assert.True(_thread.Join(timeout), "the run did not end");
        return _result!;
    }
}
