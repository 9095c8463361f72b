using System.Net.WebSockets;
using System.Text;
using System.Text.Json.Nodes;
using Emulator.Tests.Support;

namespace Emulator.Tests.Debugging;

/// <summary>
/// The web debugger's WebSocket protocol against `emu debug -machine xen` in this process: whatever
/// a page sends (not JSON, unknown commands, bad numbers, huge or binary messages) gets an error
/// reply, and the machine goes on being debuggable.
/// </summary>
public sealed class WebDebuggerProtocolTests
{
    /// <summary>The toy kernel's entry under -machine xen, where emu debug starts paused.</summary>
    private static readonly uint XenStart = ElfSymbols.Address(GuestImages.ToyKernel, "xen_start");

    /// <summary>A test's end of the socket: sends requests, reads messages until the one wanted.</summary>
    private sealed class Page : IDisposable
    {
        private readonly ClientWebSocket _socket = new();
        private int _id;

        public Page(WebDebuggerRun run)
        {
            _socket.Options.SetRequestHeader("Origin", run.Origin);
            _socket.ConnectAsync(run.SocketUri, Timeout()).GetAwaiter().GetResult();
        }

        private static CancellationToken Timeout() => new CancellationTokenSource(TimeSpan.FromSeconds(30)).Token;

        public void SendRaw(byte[] bytes, WebSocketMessageType type = WebSocketMessageType.Text) =>
            _socket.SendAsync(bytes, type, true, Timeout()).GetAwaiter().GetResult();

        /// <summary>Sends a request with a fresh id and returns its reply or error.</summary>
        public JsonObject Request(string cmd, JsonObject? fields = null)
        {
            var o = fields ?? new JsonObject();
            o["cmd"] = cmd;
            o["id"] = ++_id;
            SendRaw(Encoding.UTF8.GetBytes(o.ToJsonString()));
            int id = _id;
            return Next(m => m["id"] is JsonValue v && v.GetValue<int>() == id);
        }

        /// <summary>The next message matching <paramref name="wanted"/> (others are skipped).</summary>
        public JsonObject Next(Func<JsonObject, bool> wanted)
        {
            var buffer = new byte[1 << 20];
            while (true)
            {
                int length = 0;
                ValueWebSocketReceiveResult r;
                do
                {
                    r = _socket.ReceiveAsync(buffer.AsMemory(length), Timeout()).AsTask().GetAwaiter().GetResult();
                    length += r.Count;
                }
                while (!r.EndOfMessage);
                if (r.MessageType == WebSocketMessageType.Close)
                    throw new WebSocketException($"the server closed the connection ({_socket.CloseStatus})");
                var m = JsonNode.Parse(buffer.AsSpan(0, length))!.AsObject();
                if (wanted(m)) return m;
            }
        }

        public JsonObject NextState(Func<JsonObject, bool> wanted) => Next(m => (string?)m["type"] == "state" && wanted(m));

        /// <summary>The first state of a stopped machine (a page may connect before the machine reaches its first instruction).</summary>
        public JsonObject FirstStop() => NextState(m => !(bool)m["running"]!);

        public void Dispose() => _socket.Dispose();
    }

    private static string ErrorOf(JsonObject m)
    {
        Assert.Equal("error", (string?)m["type"]);
        return (string)m["error"]!;
    }

    [Fact]
    public void BadMessagesGetErrorRepliesAndTheMachineGoesOn()
    {
        var run = WebDebuggerRun.Start();
        using var page = new Page(run);
        var first = page.FirstStop();
        Assert.False((bool)first["running"]!);
        Assert.Equal("paused", (string?)first["stop"]!["kind"]);
        Assert.Equal($"0x{XenStart:x8}", (string?)first["registers"]!["eip"]); // xen_start, the kernel's entry

        JsonObject ErrorFor(string raw)
        {
            page.SendRaw(Encoding.UTF8.GetBytes(raw));
            return page.Next(m => (string?)m["type"] == "error");
        }
        Assert.StartsWith("not JSON", ErrorOf(ErrorFor("this is not json")));
        Assert.Equal("a request is a JSON object with \"cmd\"", ErrorOf(ErrorFor("[1, 2, 3]")));
        Assert.Equal("a request needs \"cmd\" (a string)", ErrorOf(ErrorFor("{\"cmd\": 5}")));
        Assert.StartsWith("not JSON", ErrorOf(ErrorFor(new string('[', 100) + new string(']', 100)))); // too deep
        Assert.Equal("unknown command 'frobnicate'", ErrorOf(page.Request("frobnicate")));
        Assert.Equal("\"address\": 'zz' is not a number (decimal, or hex with 0x)", ErrorOf(page.Request("memory", new() { ["address"] = "zz", ["length"] = 4 })));
        Assert.Equal("\"address\": -1 is not a whole number from 0 to 4294967295", ErrorOf(page.Request("walk", new() { ["address"] = -1 })));
        Assert.Equal("\"address\": 4294967296 is out of range (at most 4294967295)", ErrorOf(page.Request("break", new() { ["address"] = 4294967296L })));
        Assert.Equal("\"length\": 100000 is out of range (at most 4096)", ErrorOf(page.Request("memory", new() { ["address"] = "0x1000", ["length"] = 100000 })));
        Assert.Equal("\"port\" is missing", ErrorOf(page.Request("breakPort")));
        Assert.StartsWith("bad condition: ", ErrorOf(page.Request("break", new() { ["address"] = $"0x{XenStart:x}", ["condition"] = "eax ==" })));
        Assert.Equal("unknown hypercall 'no_such_call'", ErrorOf(page.Request("breakHypercall", new() { ["what"] = "no_such_call" })));
        Assert.Equal("message too long (at most 16384 bytes)", ErrorOf(ErrorFor("{\"cmd\":\"state\",\"pad\":\"" + new string('x', 200_000) + "\"}")));
        page.SendRaw([1, 2, 3], WebSocketMessageType.Binary);
        Assert.Equal("binary messages are not understood: send JSON text", ErrorOf(page.Next(m => (string?)m["type"] == "error")));

        // Still debuggable: registers, memory, a walk, and a run to the first hypercall.
        var memory = page.Request("memory", new() { ["address"] = $"0x{XenStart:x}", ["length"] = 4 });
        Assert.Equal("reply", (string?)memory["type"]);
        Assert.Matches("^[0-9a-f]{8}$", (string)memory["hex"]!);
        var walk = page.Request("walk", new() { ["address"] = $"0x{XenStart:x}" });
        Assert.Equal("PAE", (string?)walk["mode"]);
        Assert.Equal(3, walk["levels"]!.AsArray().Count);
        Assert.Equal("reply", (string?)page.Request("runToHypercall")["type"]);
        var stopped = page.NextState(m => !(bool)m["running"]! && (string?)m["stop"]?["kind"] == "hypercall");
        Assert.Matches(@"^\w+\(.*\) = -?\d+$", (string)stopped["stop"]!["detail"]!);
        var log = page.Request("hypercalls")["entries"]!.AsArray();  // (also pushed, maybe before the stop's state)
        Assert.Equal(0, (int)log[0]!["seq"]!);
        Assert.StartsWith((string)log[0]!["name"]! + "(", (string)stopped["stop"]!["detail"]!);

        Assert.Equal("reply", (string?)page.Request("kill")["type"]);
        Assert.Equal(130, run.Join(TimeSpan.FromSeconds(30)));
    }

    [Fact]
    public void BadMessagesWhileTheMachineRunsAreAnsweredAndItRunsOnUntilPaused()
    {
        var run = WebDebuggerRun.Start(machine: "pc", kernel: GuestImages.Loop, append: "n=4000000000"); // runs for minutes
        using var page = new Page(run);
        var first = page.FirstStop();
        page.Request("continue");
        page.NextState(m => (bool)m["running"]!);
        page.SendRaw(Encoding.UTF8.GetBytes("{{{"));
        Assert.StartsWith("not JSON", ErrorOf(page.Next(m => (string?)m["type"] == "error")));
        Assert.Equal("the machine is running: pause it first", ErrorOf(page.Request("step")));
        Assert.Equal("the machine is running: pause it first", ErrorOf(page.Request("memory", new() { ["address"] = 0, ["length"] = 4 })));
        Assert.Equal("no hypercalls to break on: this is not a -machine xen run", ErrorOf(page.Request("breakHypercall", new() { ["what"] = "any" })));
        Assert.Equal("reply", (string?)page.Request("pause")["type"]);
        var paused = page.NextState(m => !(bool)m["running"]!);
        Assert.Equal("paused", (string?)paused["stop"]!["kind"]);
        Assert.True((ulong)paused["tick"]! > (ulong)first["tick"]!);
        Assert.Equal("reply", (string?)page.Request("kill")["type"]);
        Assert.Equal(130, run.Join(TimeSpan.FromSeconds(30)));
    }

    [Fact]
    public void AHypercallRunAgainAfterAReverseStepIsLoggedOnce()
    {
        var run = WebDebuggerRun.Start();
        using var page = new Page(run);
        page.FirstStop();
        page.Request("runToHypercall");
        var first = page.NextState(m => (string?)m["stop"]?["kind"] == "hypercall");
        page.Request("reverseStep");
        var back = page.NextState(m => (string?)m["stop"]?["detail"] == "reverse step");
        Assert.True((ulong)back["tick"]! < (ulong)first["tick"]!);
        page.Request("runToHypercall");
        var again = page.NextState(m => (string?)m["stop"]?["kind"] == "hypercall");
        Assert.Equal((string?)first["stop"]!["detail"], (string?)again["stop"]!["detail"]);
        Assert.Equal((ulong)first["tick"]!, (ulong)again["tick"]!);
        Assert.Equal(first["registers"]!.ToJsonString(), again["registers"]!.ToJsonString());
        var log = page.Request("hypercalls")["entries"]!.AsArray();
        Assert.Single(log);                                   // re-executed history is not logged again
        Assert.Equal("reply", (string?)page.Request("kill")["type"]);
        Assert.Equal(130, run.Join(TimeSpan.FromSeconds(30)));
    }

    [Fact]
    public void EveryKindOfBreakpointIsSetListedAndCleared()
    {
        var run = WebDebuggerRun.Start();
        using var page = new Page(run);
        page.FirstStop();
        string[] Listed(JsonObject reply) => reply["breakpoints"]!.AsArray().Select(b => (string)b!["what"]!).ToArray();

        page.Request("break", new() { ["address"] = $"0x{XenStart:x}", ["condition"] = "eax == 1" });
        page.Request("breakHypercall", new() { ["what"] = "1" });
        page.Request("breakPort", new() { ["port"] = "0x3f8" });
        page.Request("breakVector", new() { ["vector"] = 14 });
        page.Request("break", new() { ["address"] = "0x200000", ["space"] = "physical" });
        page.Request("watch", new() { ["address"] = "0xb8000", ["length"] = 4000, ["space"] = "physical" });
        var all = page.Request("watch", new() { ["address"] = $"0x{XenStart:x}", ["length"] = 4 });
        Assert.Equal([$"exec 0x{XenStart:x8} if eax == 1", "exec physical 0x00200000", "port 0x03f8", "vector 14",
            "write physical 0x000b8000 (4000 bytes)", $"write 0x{XenStart:x8} (4 bytes)", "hypercall mmu_update"], Listed(all));
        Assert.Equal(Listed(all), Listed(page.Request("breakpoints")));

        page.Request("unbreak", new() { ["address"] = XenStart });
        page.Request("unbreakHypercall", new() { ["what"] = "mmu_update" });
        page.Request("unbreakPort", new() { ["port"] = 1016 });
        page.Request("unbreakVector", new() { ["vector"] = "0xe" });
        page.Request("unbreak", new() { ["address"] = 0x200000, ["space"] = "physical" });
        page.Request("unwatch", new() { ["address"] = 0xb8000, ["length"] = 4000, ["space"] = "physical" });
        Assert.Empty(Listed(page.Request("unwatch", new() { ["address"] = $"0x{XenStart:x}", ["length"] = "4" })));
        Assert.Equal("\"space\" must be virtual or physical", ErrorOf(page.Request("break", new() { ["address"] = 1, ["space"] = "io" })));
        Assert.Equal("cannot watch that range: 1 to 1048576 bytes, not past 4 GiB", ErrorOf(page.Request("watch", new() { ["address"] = "0xffffff00", ["length"] = 4096, ["space"] = "physical" })));
        Assert.Equal("no breakpoint at that address", ErrorOf(page.Request("unbreak", new() { ["address"] = XenStart })));

        // Read and access watches (gdb's rwatch/awatch): on RAM only.
        page.Request("watch", new() { ["address"] = $"0x{XenStart:x}", ["length"] = 4, ["kind"] = "read" });
        var watches = page.Request("watch", new() { ["address"] = "0x100000", ["length"] = 16, ["space"] = "physical", ["kind"] = "access" });
        Assert.Equal([$"read 0x{XenStart:x8} (4 bytes)", "access physical 0x00100000 (16 bytes)"], Listed(watches));
        Assert.Equal("\"kind\" must be write, read or access", ErrorOf(page.Request("watch", new() { ["address"] = 0x100000, ["length"] = 4, ["kind"] = "execute" })));
        page.Request("unwatch", new() { ["address"] = XenStart, ["length"] = 4, ["kind"] = "read" });
        Assert.Empty(Listed(page.Request("unwatch", new() { ["address"] = 0x100000, ["length"] = 16, ["space"] = "physical", ["kind"] = "access" })));
        Assert.Equal("no such watch", ErrorOf(page.Request("unwatch", new() { ["address"] = 0x100000, ["length"] = 16, ["kind"] = "read" })));
        Assert.Equal("no hypercall breakpoint on mmu_update", ErrorOf(page.Request("unbreakHypercall", new() { ["what"] = "1" })));

        // A hypercall breakpoint by number stops after that call.
        page.Request("breakHypercall", new() { ["what"] = "18" });
        page.Request("continue");
        var stop = page.NextState(m => (string?)m["stop"]?["kind"] == "hypercall");
        Assert.StartsWith("console_io(cmd=write, count=", (string)stop["stop"]!["detail"]!);
        Assert.Equal(["hypercall console_io"], Listed(stop));

        Assert.Equal("reply", (string?)page.Request("kill")["type"]);
        Assert.Equal(130, run.Join(TimeSpan.FromSeconds(30)));
    }

    [Fact]
    public void ATextFrameThatIsNotUtf8EndsOnlyThatConnection()
    {
        var run = WebDebuggerRun.Start();
        using (var broken = new Page(run))
        {
            broken.FirstStop();
            broken.SendRaw([.. "{\"cmd\":\""u8, 0xFF, 0xFE, .. "\"}"u8]);
            // RFC 6455 §8.1: a text message must be UTF-8, else the endpoint fails the connection.
            Assert.ThrowsAny<WebSocketException>(() => broken.Next(_ => false));
        }
        using var page = new Page(run);
        Assert.Equal("paused", (string?)page.FirstStop()["stop"]!["kind"]);
        Assert.Equal("reply", (string?)page.Request("step")["type"]);
        Assert.Equal("step", (string?)page.NextState(m => !(bool)m["running"]! && (string?)m["stop"]?["kind"] == "step")["stop"]!["kind"]);
        Assert.Equal("reply", (string?)page.Request("kill")["type"]);
        Assert.Equal(130, run.Join(TimeSpan.FromSeconds(30)));
    }

    [Fact]
    public void ATakenPortIsAClearError()
    {
        var holder = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        holder.Start();
        try
        {
            int port = ((System.Net.IPEndPoint)holder.LocalEndpoint).Port;
            var result = CapturedRun.Execute(new Emulator.Host.Cli.RunOptions
            {
                Kernel = GuestImages.ToyKernel, MachineType = "xen", MemoryMiB = 32, Serial = Emulator.Host.Cli.OutputTarget.None, WebDebuggerPort = port,
            });
            Assert.Equal(2, result.Status);
            Assert.Contains($"emu: cannot serve the web debugger on 127.0.0.1:{port}: ", result.Stderr);
            Assert.Contains("address already in use", result.Stderr);
        }
        finally { holder.Stop(); }
    }

    [Fact]
    public void RequestsFromAnotherSiteAreRefused()
    {
        var run = WebDebuggerRun.Start();
        using var foreign = new ClientWebSocket();
        foreign.Options.SetRequestHeader("Origin", "http://evil.example");
        var e = Assert.Throws<WebSocketException>(() => foreign.ConnectAsync(run.SocketUri, CancellationToken.None).GetAwaiter().GetResult());
        Assert.Contains("403", e.Message);
        using var page = new Page(run);
        page.FirstStop();
        Assert.Equal("reply", (string?)page.Request("kill")["type"]);
        Assert.Equal(130, run.Join(TimeSpan.FromSeconds(30)));
    }
}
