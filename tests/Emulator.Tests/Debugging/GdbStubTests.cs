using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;
using Emulator.Host.Cli;
using Emulator.Tests.Support;

namespace Emulator.Tests.Debugging;

/// <summary>
/// The gdb remote stub end to end: Debian's real gdb in batch mode against `emu run -S -gdb tcp::PORT`
/// (.ci/run installs gdb), and a raw socket sending malformed packets.
/// </summary>
public sealed class GdbStubTests
{
    /// <summary>Starts `emu run -S -gdb tcp::PORT` with the toy kernel in this process; returns the run's thread and its result holder.</summary>
    private static (Thread Thread, Func<CapturedRun?> Result) StartStub(int port, string machine = "pc")
    {
        CapturedRun? result = null;
        var options = new RunOptions
        {
            Kernel = GuestImages.ToyKernel, Append = "pv=ops", MachineType = machine, MemoryMiB = 32,
            Serial = OutputTarget.None, GdbPort = port, WaitForDebugger = true,
        };
        var thread = new Thread(() => result = CapturedRun.Execute(options)) { IsBackground = true };
        thread.Start();
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(20);
        while (true)
        {
            // Wait for the listener: a connection that closes at once is a session that ends at once.
            try { using var probe = new TcpClient(); probe.Connect(IPAddress.Loopback, port); break; }
            catch (SocketException) when (DateTime.UtcNow < deadline) { Thread.Sleep(50); }
        }
        return (thread, () => result);
    }

    /// <summary>Runs Debian's gdb in batch mode on the toy kernel's symbols against the stub; returns what it printed.</summary>
    private static string GdbBatch(int port, params string[] commands)
    {
        var start = new ProcessStartInfo("gdb") { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var arg in new[] { "-batch", "-nx", "-ex", $"target remote 127.0.0.1:{port}" }) start.ArgumentList.Add(arg);
        foreach (var command in commands) { start.ArgumentList.Add("-ex"); start.ArgumentList.Add(command); }
        start.ArgumentList.Add(GuestImages.ToyKernel);
        using var gdb = Process.Start(start)!;
        var stderr = gdb.StandardError.ReadToEndAsync();
        string output = gdb.StandardOutput.ReadToEnd() + stderr.Result;
        Assert.True(gdb.WaitForExit(60_000), "gdb did not finish");
        return output;
    }

    [Fact]
    public void RealGdbAttachesBreaksStepsWatchesAndDetaches()
    {
        int port = FreeTcpPort.Next();
        var (thread, result) = StartStub(port);
        uint demandFaults = ElfSymbols.Address(GuestImages.ToyKernel, "ops_demand_faults");
        uint kmain = ElfSymbols.Address(GuestImages.ToyKernel, "ops_kmain");
        string output = GdbBatch(port,
            "break ops_kmain",
            "continue",
            "info registers eip cs cr0",
            "stepi",
            "info registers eip",
            $"watch *(int*)0x{demandFaults:x}",
            "continue",
            "print *(int*)&ops_demand_faults",
            "delete",
            $"rwatch *(int*)0x{demandFaults:x}",
            "continue",
            "delete",
            "monitor where",
            "detach");
        Assert.True(thread.Join(60_000), "the run did not finish after detach");

        Assert.Contains($"Breakpoint 1, 0x{kmain:x8} in ops_kmain ()", output);
        Assert.Matches($@"eip\s+0x{kmain:x}\s+0x{kmain:x} <ops_kmain>", output);
        Assert.Matches(@"cs\s+0x8\s+8", output);
        Assert.Matches($@"eip\s+0x{kmain + 1:x}\s+0x{kmain + 1:x} <ops_kmain\+1>", output);
        Assert.Contains("Hardware watchpoint 2", output);
        Assert.Contains("Old value = 0", output);
        Assert.Contains("New value = 1", output);
        Assert.Contains("$1 = 1", output);
        Assert.Contains("Hardware read watchpoint 3", output); // rwatch (Z3): the next read of the counter
        Assert.Contains("Value = 1", output);
        Assert.Contains("(linear), virtual time ", output);
        Assert.Contains("[Inferior 1 (Remote target) detached]", output);
        Assert.Equal(0, result()!.Status); // after detach the toy kernel runs its self-tests to the end
    }

    [Fact]
    public void RealGdbReverseStepsBackToTheSameRegistersAndReverseContinuesToTheStartOfHistory()
    {
        int port = FreeTcpPort.Next();
        var (thread, result) = StartStub(port, machine: "xen");
        uint kmain = ElfSymbols.Address(GuestImages.ToyKernel, "ops_kmain");
        string output = GdbBatch(port,
            "break ops_kmain",
            "continue",
            "echo ==before==\\n",
            "info registers",
            "echo ==end==\\n",
            "stepi",
            "stepi",
            "stepi",
            "stepi",
            "reverse-stepi",
            "reverse-stepi",
            "reverse-stepi",
            "reverse-stepi",
            "echo ==after==\\n",
            "info registers",
            "echo ==end==\\n",
            "stepi",
            "monitor reverse-step",
            "maintenance flush register-cache",
            "echo ==monitor==\\n", "info registers eip", "echo ==end==\\n",
            "delete",
            "reverse-continue",
            "monitor where",
            "detach");
        Assert.True(thread.Join(60_000), "the run did not finish after detach");

        string Block(string name)
        {
            int start = output.IndexOf($"=={name}==", StringComparison.Ordinal);
            Assert.True(start >= 0, output);
            int end = output.IndexOf("==end==", start, StringComparison.Ordinal);
            return output[start..end].Replace($"=={name}==", "");
        }
        string before = Block("before"), after = Block("after");
        Assert.Matches(@"eip\s+0x[0-9a-f]+\s+0x[0-9a-f]+ <ops_kmain>", before);
        Assert.Contains("cr3", before);
        Assert.Equal(before, after);
        Assert.Contains("reverse step: EIP 0x", output); // monitor reverse-step, for front ends without bs
        Assert.Matches($@"eip\s+0x{kmain:x}\s+0x{kmain:x} <ops_kmain>", Block("monitor"));
        Assert.Contains("No more reverse-execution history.", output);
        // Back at the domain's first instruction (its entry point, ring 1 under Xen).
        uint entry = ElfSymbols.Address(GuestImages.ToyKernel, "xen_start");
        Assert.Matches($@"EIP 0x{entry:x8} \(linear\), virtual time \d+, CPL 1", output);
        Assert.Contains("[Inferior 1 (Remote target) detached]", output);
        Assert.Equal(0, result()!.Status);
    }

    [Fact]
    public void MalformedPacketsGetErrorRepliesAndTheSessionGoesOn()
    {
        int port = FreeTcpPort.Next();
        var (thread, result) = StartStub(port, machine: "xen");
        using var wire = new GdbWire(port);
        string Exchange(string raw) => wire.Exchange(raw);

        Assert.Equal("-", Exchange("$g#00"));                               // bad checksum: NAK
        Assert.Equal("-", Exchange("$" + new string('z', 20000) + "#00"));  // overlong (and bad): NAK
        Assert.Equal("+$#00", Exchange("garbage$qUnknownThing#" + Checksum("qUnknownThing"))); // unknown: empty reply
        Assert.Equal("+$E01#a6", Exchange("$mzz,4#" + Checksum("mzz,4")));  // malformed arguments: error
        Assert.Equal("+$E14#aa", Exchange("$m40000000,4#" + Checksum("m40000000,4"))); // unmapped: EFAULT
        string regs = Exchange("$g#67");                                     // still serving
        Assert.StartsWith("+$", regs);
        uint xenStart = ElfSymbols.Address(GuestImages.ToyKernel, "xen_start");
        Assert.Contains(System.Buffers.Binary.BinaryPrimitives.ReverseEndianness(xenStart).ToString("x8"), regs); // EIP at xen_start, little-endian, after eax..edi
        wire.Send("$k#6b");
        Assert.True(thread.Join(30_000));
        Assert.Equal(130, result()!.Status);
    }

    [Fact]
    public void AMonitorHypercallBreakpointStopsAfterTheNextMmuUpdateUnderXen()
    {
        int port = FreeTcpPort.Next();
        var (thread, result) = StartStub(port, machine: "xen");
        using var wire = new GdbWire(port);
        Assert.Equal("+$" + Hex("unknown hypercall 'no_such_call'\n") + "#", wire.Packet("qRcmd," + Hex("break-hypercall no_such_call"))[..^2]);
        Assert.Equal("+$" + Hex("stopping after mmu_update\n") + "#", wire.Packet("qRcmd," + Hex("break-hypercall 1"))[..^2]); // by number (XEN-ABI: 1)
        Assert.StartsWith("+$T05thread:1;#", wire.Packet("c"));
        string where = FromHex(wire.Packet("qRcmd," + Hex("where"))[2..^3]);
        Assert.Matches(@"^EIP 0x[0-9a-f]{8} \(linear\), virtual time \d+, CPL 1\n$", where); // back in the ring-1 kernel
        Assert.Equal("+$OK#9a", wire.Packet("D"));
        Assert.True(thread.Join(60_000));
        Assert.Equal(0, result()!.Status); // detached: the kernel's self-tests run to the end
    }

    [Fact]
    public void MonitorHypercallsListsTheLatestDecodedAndWalkShowsEveryLevel()
    {
        int port = FreeTcpPort.Next();
        var (thread, result) = StartStub(port, machine: "xen");
        using var wire = new GdbWire(port);
        string Monitor(string command) => FromHex(wire.Packet("qRcmd," + Hex(command))[2..^3]);

        Assert.Equal("no hypercalls yet\n", Monitor("hypercalls"));
        Monitor("break-hypercall mmu_update");
        Assert.StartsWith("+$T05thread:1;#", wire.Packet("c"));
        string[] lines = Monitor("hypercalls 3").Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(3, lines.Length);
        Assert.Matches(@"^#\d+ tick \d+: mmu_update\(reqs=0x[0-9a-f]{8}, count=1, foreigndom=0x7ff0, entries=\[\{ptr=0x[0-9a-f]{16}, cmd=normal_pt_update, val=0x[0-9a-f]{16}\}\]\) = 0$", lines[2]);
        var seqs = lines.Select(l => int.Parse(l[1..l.IndexOf(' ')])).ToArray();
        Assert.Equal([seqs[0], seqs[0] + 1, seqs[0] + 2], seqs);   // the latest three, oldest first
        Assert.Single(Monitor("hypercalls 1").Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.Equal("+$E01#a6", wire.Packet("qRcmd," + Hex("hypercalls many")));  // a bad count: an error, the session goes on

        uint entry = ElfSymbols.Address(GuestImages.ToyKernel, "xen_start");
        string walk = Monitor($"walk 0x{entry:x}");
        Assert.StartsWith($"0x{entry:x8}: PAE paging, CR3 0x", walk);
        Assert.Matches(@"\n  PDPTE at 0x[0-9a-f]{8} = 0x[0-9a-f]{16}  P\n  PDE   at .*\n  PTE   at .*\n  -> physical 0x[0-9a-f]{8}\n$", walk);
        Assert.Equal("+$OK#9a", wire.Packet("D"));
        Assert.True(thread.Join(60_000));
        Assert.Equal(0, result()!.Status);
    }

    private static string Hex(string text) => Convert.ToHexString(Encoding.UTF8.GetBytes(text)).ToLowerInvariant();
    private static string FromHex(string hex) => Encoding.UTF8.GetString(Convert.FromHexString(hex));
    private static string Checksum(string payload) => (payload.Sum(c => c) & 0xFF).ToString("x2");

    /// <summary>A raw connection to the stub: sends wire bytes, reads one reply (a NAK or an ack and a packet).</summary>
    private sealed class GdbWire : IDisposable
    {
        private readonly TcpClient _client = new();
        private readonly NetworkStream _stream;

        public GdbWire(int port)
        {
            _client.Connect(IPAddress.Loopback, port);
            _stream = _client.GetStream();
            _stream.ReadTimeout = 30_000;
        }

        public void Send(string raw) => _stream.Write(Encoding.Latin1.GetBytes(raw));

        /// <summary>Sends a well-formed packet and returns "+$reply#cs".</summary>
        public string Packet(string payload) => Exchange("$" + payload + "#" + Checksum(payload));

        public string Exchange(string raw)
        {
            Send(raw);
            var sb = new StringBuilder();
            while (true)
            {
                int b = _stream.ReadByte();
                if (b < 0) break;
                sb.Append((char)b);
                string s = sb.ToString();
                if (s == "-") return s;
                int hash = s.IndexOf('#');
                if (s.Contains('$') && hash >= 0 && s.Length >= hash + 3) return s;
            }
            return sb.ToString();
        }

        public void Dispose() => _client.Dispose();
    }
}
