using System.Net.WebSockets;
using System.Text;
using System.Text.Json.Nodes;
using Emulator.Core.Debugging;
using Serilog;

namespace Emulator.Host.Debugging.Web;

/// <summary>
/// One page's WebSocket: requests in (each answered with a reply or an error, whatever it holds:
/// not JSON, an unknown command, a bad number, too long, binary — the machine is never affected),
/// and pushes out: the state after every stop and when the machine runs, new console text, trace
/// events and hypercalls, polled every <see cref="PushInterval"/>.
/// </summary>
public sealed class DebuggerSocketSession
{
    public static readonly TimeSpan PushInterval = TimeSpan.FromMilliseconds(50);
    /// <summary>At most this many trace events go out per push (the rest is shown as skipped).</summary>
    public const int MaxTraceEventsPerPush = 200;

    private readonly WebSocket _socket;
    private readonly DebuggedMachine _m;
    private readonly DebuggerCommands _commands;
    private readonly ILogger _log;
    private readonly SemaphoreSlim _sendLock = new(1, 1);

    public DebuggerSocketSession(WebSocket socket, DebuggedMachine machine, DebuggerCommands commands, ILogger log)
    {
        _socket = socket;
        _m = machine;
        _commands = commands;
        _log = log;
    }

    /// <summary>Serves the socket until the page closes it, the connection breaks or <paramref name="cancel"/> fires.</summary>
    public async Task RunAsync(CancellationToken cancel)
    {
        using var done = CancellationTokenSource.CreateLinkedTokenSource(cancel);
        var pushes = PushLoop(done.Token);
        try { await ReceiveLoop(done.Token); }
        catch (Exception e) when (e is WebSocketException or OperationCanceledException)
        {
            _log.Debug("web debugger: connection ended: {Message}", e.Message);
        }
        finally
        {
            done.Cancel();
            try { await pushes; } catch (Exception e) when (e is WebSocketException or OperationCanceledException) { }
        }
        if (_socket.State == WebSocketState.Open)
        {
            try { await _socket.CloseAsync(WebSocketCloseStatus.NormalClosure, "the debugger stopped", CancellationToken.None); }
            catch (Exception e) when (e is WebSocketException or OperationCanceledException) { }
        }
    }

    private async Task ReceiveLoop(CancellationToken cancel)
    {
        var buffer = new byte[DebuggerProtocol.MaxRequestBytes];
        var chunk = new byte[4096];
        while (_socket.State == WebSocketState.Open && !cancel.IsCancellationRequested)
        {
            int length = 0;
            bool tooLong = false;
            WebSocketReceiveResult r;
            do
            {
                r = await _socket.ReceiveAsync(chunk, cancel);
                if (r.MessageType == WebSocketMessageType.Close) return;
                if (length + r.Count > buffer.Length) tooLong = true; // the rest of it is read and dropped
                else { chunk.AsSpan(0, r.Count).CopyTo(buffer.AsSpan(length)); length += r.Count; }
            }
            while (!r.EndOfMessage);

            if (r.MessageType == WebSocketMessageType.Binary) await SendError(null, "binary messages are not understood: send JSON text", cancel);
            else if (tooLong) await SendError(null, $"message too long (at most {DebuggerProtocol.MaxRequestBytes} bytes)", cancel);
            else await Answer(buffer.AsMemory(0, length), cancel);
        }
    }

    private async Task Answer(ReadOnlyMemory<byte> message, CancellationToken cancel)
    {
        JsonObject? request = null;
        JsonObject reply;
        try
        {
            request = DebuggerProtocol.ParseRequest(message.Span);
            reply = _commands.Execute(request);
            reply["type"] ??= "reply";
            reply["id"] = DebuggerProtocol.Id(request);
            reply["cmd"] = DebuggerProtocol.Command(request);
        }
        catch (DebuggerRequestException e)
        {
            await SendError(request, e.Message, cancel);
            return;
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            // A bug of ours, never the page's doing: the page hears of it, the machine goes on.
            _log.Error(e, "web debugger: internal error on a request");
            await SendError(request, $"internal error: {e.GetType().Name}: {e.Message}", cancel);
            return;
        }
        await Send(reply, cancel);
    }

    private Task SendError(JsonObject? request, string message, CancellationToken cancel)
    {
        _log.Debug("web debugger: request refused: {Message}", message);
        return Send(new JsonObject { ["type"] = "error", ["id"] = DebuggerProtocol.Id(request), ["error"] = message }, cancel);
    }

    /// <summary>Pushes state changes and new console text, trace events and hypercalls.</summary>
    private async Task PushLoop(CancellationToken cancel)
    {
        long seenStops = -1;
        bool? seenRunning = null;
        long console = 0, trace = Math.Max(0, _m.Trace.Count - 100), hypercalls = 0; // a new page gets the latest 100 trace events
        using var timer = new PeriodicTimer(PushInterval);
        do
        {
            try { (seenStops, seenRunning, console, trace, hypercalls) = await Push(seenStops, seenRunning, console, trace, hypercalls, cancel); }
            catch (Exception e) when (e is not (OperationCanceledException or WebSocketException))
            {
                _log.Error(e, "web debugger: internal error while pushing the machine's state");
            }
        }
        while (await timer.WaitForNextTickAsync(cancel));
    }

    private async Task<(long, bool?, long, long, long)> Push(long seenStops, bool? seenRunning, long console, long trace, long hypercalls, CancellationToken cancel)
    {
        {
            var stop = _m.Engine.CurrentStop;
            long stops = _m.Engine.StopCount;
            bool running = stop == null;
            if (running != seenRunning || (!running && stops != seenStops))
            {
                // Read the counter before the state: a stop that comes while the state is built is pushed next time.
                seenRunning = running;
                seenStops = stops;
                await Send(_commands.State(), cancel);
            }
            var (text, nextConsole) = _m.Console.Since(console);
            if (text.Length > 0) await Send(new JsonObject { ["type"] = "console", ["text"] = text }, cancel);
            console = nextConsole;

            var (events, nextTrace) = _m.Trace.Since(trace);
            if (events.Count > 0)
            {
                int skip = Math.Max(0, events.Count - MaxTraceEventsPerPush);
                var list = new JsonArray();
                foreach (var e in events.Skip(skip)) list.Add(JsonNode.Parse(e));
                await Send(new JsonObject { ["type"] = "trace", ["skipped"] = skip, ["events"] = list }, cancel);
            }
            trace = nextTrace;

            if (_m.Hypercalls != null)
            {
                var entries = _m.Hypercalls.Since(hypercalls);
                if (entries.Count > 0)
                {
                    var list = new JsonArray();
                    foreach (var e in entries.Skip(Math.Max(0, entries.Count - 500))) list.Add(DebuggerProtocol.Hypercall(e, _m, detail: false));
                    await Send(new JsonObject { ["type"] = "hypercalls", ["entries"] = list }, cancel);
                    hypercalls = entries[^1].Sequence + 1;
                }
            }
        }
        return (seenStops, seenRunning, console, trace, hypercalls);
    }

    private async Task Send(JsonObject message, CancellationToken cancel)
    {
        byte[] bytes = Encoding.UTF8.GetBytes(message.ToJsonString());
        await _sendLock.WaitAsync(cancel);
        try { await _socket.SendAsync(bytes, WebSocketMessageType.Text, endOfMessage: true, cancel); }
        finally { _sendLock.Release(); }
    }
}
