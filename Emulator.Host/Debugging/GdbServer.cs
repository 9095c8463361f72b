using System.Net;
using System.Net.Sockets;
using Emulator.Core.Debugging;
using Serilog;

namespace Emulator.Host.Debugging;

/// <summary>
/// The gdb remote stub's listener (as QEMU's -s / -gdb tcp::PORT): 127.0.0.1 only, one debugger at
/// a time, each connection served on a background thread by a <see cref="GdbSession"/>.
/// </summary>
public sealed class GdbServer : IDisposable
{
    private readonly TcpListener _listener;
    private readonly DebugEngine _engine;
    private readonly ILogger _log;
    private readonly HypercallLog? _hypercalls;
    private readonly Thread _thread;
    private volatile bool _disposed;
    private volatile bool _sessionActive;

    /// <summary>Waits (at most <paramref name="timeout"/>) for a connected debugger's session to end, e.g. after the exit reply.</summary>
    public void WaitForSessionEnd(TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        lock (_thread)
            while (_sessionActive && DateTime.UtcNow < deadline) Monitor.Wait(_thread, TimeSpan.FromMilliseconds(50));
    }

    private GdbServer(TcpListener listener, DebugEngine engine, ILogger log, HypercallLog? hypercalls)
    {
        _hypercalls = hypercalls;
        _listener = listener;
        _engine = engine;
        _log = log;
        _thread = new Thread(AcceptLoop) { IsBackground = true, Name = "gdb server" };
    }

    /// <summary>The port listened on (the one asked for, or the one the system chose for 0).</summary>
    public int Port => ((IPEndPoint)_listener.LocalEndpoint).Port;

    /// <summary>Listens on 127.0.0.1:<paramref name="port"/>; throws SocketException when the port is taken.</summary>
    public static GdbServer Start(int port, DebugEngine engine, ILogger log, HypercallLog? hypercalls = null)
    {
        var listener = new TcpListener(IPAddress.Loopback, port);
        listener.Start(1);
        var server = new GdbServer(listener, engine, log, hypercalls);
        server._thread.Start();
        return server;
    }

    private void AcceptLoop()
    {
        while (!_disposed)
        {
            TcpClient client;
            try { client = _listener.AcceptTcpClient(); }
            catch (SocketException) { return; }
            catch (ObjectDisposedException) { return; }
            _log.Information("gdb: debugger connected from {Remote}", client.Client.RemoteEndPoint);
            using (client)
            {
                client.NoDelay = true;
                _sessionActive = true;
                try { new GdbSession(client.GetStream(), _engine, _log, _hypercalls).Run(); }
                finally
                {
                    _sessionActive = false;
                    lock (_thread) Monitor.PulseAll(_thread);
                }
            }
            _log.Information("gdb: debugger disconnected");
        }
    }

    public void Dispose()
    {
        _disposed = true;
        _listener.Stop();
    }
}
