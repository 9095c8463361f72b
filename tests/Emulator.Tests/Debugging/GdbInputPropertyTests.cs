using System.Text;
using CsCheck;
using Emulator.Core.Debugging;
using Emulator.Core.Machine;
using Emulator.Host.Debugging;
using Emulator.Tests.Support;
using Serilog.Core;

namespace Emulator.Tests.Debugging;

/// <summary>
/// Property-based checks (CsCheck) of the gdb stub's input on hostile bytes: the packet reader only
/// ever yields packets, interrupts and bad packets (payloads within the limit) and reaches the end
/// of any stream; framing round-trips; and a session answers every random or mangled packet
/// (bad hex, negative and huge lengths, odd register numbers, monitor commands) with a reply,
/// never with an exception that would end the stub. Fixed seeds, one thread.
/// </summary>
public sealed class GdbInputPropertyTests
{
    private const string Seed = "000000000000";
    private const string Hex = "0123456789abcdefABCDEF";

    /// <summary>Bytes biased toward the protocol's framing characters.</summary>
    private static readonly Gen<byte[]> WireBytes = Gen.Byte.Array[0, 3000].Select(raw =>
    {
        var bytes = new byte[raw.Length];
        for (int k = 0; k < raw.Length; k++)
        {
            byte b = raw[k];
            bytes[k] = b < 30 ? (byte)'$' : b < 60 ? (byte)'#' : b < 75 ? (byte)'}' : b < 80 ? (byte)0x03 : b < 90 ? (byte)'+' : b < 200 ? (byte)Hex[b % Hex.Length] : b;
        }
        return bytes;
    });

    [Fact]
    public void TheReaderTurnsAnyBytesIntoInputsAndReachesTheEnd() =>
        WireBytes.Sample(bytes =>
        {
            var reader = new GdbPacketReader(new MemoryStream(bytes));
            int inputs = 0;
            while (reader.Read() is { } input)
            {
                Assert.True(++inputs <= bytes.Length, "more inputs than bytes");
                if (input is GdbPacket p) Assert.True(p.Payload.Length <= GdbPacketReader.MaxPayload);
            }
        }, seed: Seed, iter: 5000, threads: 1);

    [Fact]
    public void AnOverlongRunOfPayloadIsCappedAndTheNextPacketStillReads() =>
        Gen.Int[GdbPacketReader.MaxPayload - 2, 3 * GdbPacketReader.MaxPayload].Sample(length =>
        {
            var payload = new string('a', length);
            var stream = new MemoryStream(GdbPacketReader.Frame(payload).Concat(GdbPacketReader.Frame("g")).ToArray());
            var reader = new GdbPacketReader(stream);
            var first = reader.Read();
            if (length <= GdbPacketReader.MaxPayload) Assert.Equal(payload, Assert.IsType<GdbPacket>(first).Payload);
            else Assert.IsType<GdbBadPacket>(first);
            Assert.Equal("g", Assert.IsType<GdbPacket>(reader.Read()).Payload);
        }, seed: Seed, iter: 20, threads: 1);

    [Fact]
    public void FramingRoundTripsAnyPayload() =>
        Gen.Char[(char)1, (char)255].Array[0, 400].Select(c => new string(c)).Sample(payload =>
        {
            var reader = new GdbPacketReader(new MemoryStream(GdbPacketReader.Frame(payload)));
            Assert.Equal(payload, Assert.IsType<GdbPacket>(reader.Read()).Payload);
            Assert.Null(reader.Read());
        }, seed: Seed, iter: 3000, threads: 1);

    /// <summary>Packets that inspect or change a stopped machine (never resume, detach or kill it), their arguments mangled.</summary>
    private static readonly Gen<string> HostilePacket = Gen.Select(
        Gen.OneOf(Gen.Const("g"), Gen.Const("G"), Gen.Const("p"), Gen.Const("P"), Gen.Const("m"), Gen.Const("M"), Gen.Const("X"),
            Gen.Const("Z0,"), Gen.Const("z0,"), Gen.Const("Z2,"), Gen.Const("z2,"), Gen.Const("Z4,"), Gen.Const("?"), Gen.Const("H"),
            Gen.Const("qXfer:features:read:target.xml:"), Gen.Const("qSupported:"), Gen.Const("qRcmd,"), Gen.Const("qC"),
            Gen.Const("vMustReplyEmpty"), Gen.Const("vCont?"), Gen.Const("Q"), Gen.Const("T"), Gen.Const("!"), Gen.Const("qZ")),
        Gen.OneOf(
            Gen.Const(""),
            Gen.Char[Hex].Array[1, 20].Select(c => new string(c)),
            Gen.Select(Gen.UInt, Gen.Int, (a, l) => $"{a:x},{l:x}"),
            Gen.Select(Gen.UInt, Gen.Int[-4, 40], Gen.Char[Hex].Array[0, 80], (a, l, d) => $"{a:x},{l:x}:{new string(d)}"),
            Gen.Select(Gen.Int[-2, 80], Gen.Char[Hex].Array[0, 20], (r, v) => $"{r:x}={new string(v)}"),
            Gen.OneOf(Gen.Const("where"), Gen.Const("info"), Gen.Const("help"), Gen.Const("break-port 70"), Gen.Const("break-port 1ffff"),
                    Gen.Const("break-vector 300"), Gen.Const("walk zz"), Gen.Const("walk 0xffffffff"), Gen.Const("break eax=="), Gen.Const("break 0x100 if"),
                    Gen.Const("break-hypercall nonsense"), Gen.Const("break"), Gen.Const("walk"),
                    Gen.Const("hypercalls"), Gen.Const("hypercalls 0"), Gen.Const("hypercalls -1"), Gen.Const("hypercalls 2147483647"), Gen.Const("hypercalls zz"))
                .Select(m => Convert.ToHexString(Encoding.UTF8.GetBytes(m)).ToLowerInvariant()),
            Gen.Char[(char)32, (char)126].Array[0, 60].Select(c => new string(c))),
        (command, args) => command + args);

    /// <summary>'+' bytes inside framed replies (between '$' and '#'), which are not acknowledgements.</summary>
    private static int PlusesInsideReplies(byte[] written)
    {
        int count = 0;
        bool inside = false;
        foreach (byte b in written)
        {
            if (b == '$') inside = true;
            else if (b == '#') inside = false;
            else if (b == '+' && inside) count++;
        }
        return count;
    }

    [Fact]
    public void ASessionAnswersEveryHostilePacket()
    {
        var machine = TestMachines.Pc(GuestImages.Loop, "n=200000");
        var engine = new DebugEngine(machine.Cpu) { EndRun = machine.Interrupt };
        engine.RequestPause();
        var run = new Thread(() => machine.Run()) { IsBackground = true };
        run.Start();
        try
        {
            HostilePacket.Array[1, 40].Sample(packets =>
            {
                var script = packets.SelectMany(GdbPacketReader.Frame).ToArray();
                var stream = new ScriptedDuplexStream(script);
                var session = new Thread(new GdbSession(stream, engine, Logger.None).Run) { IsBackground = true };
                session.Start();
                Assert.True(session.Join(TimeSpan.FromSeconds(10)), "the session hangs");
                // An acknowledgement and at least one well-framed reply per packet (a monitor command's output comes in extra 'O' packets).
                var replies = new GdbPacketReader(new MemoryStream(stream.Written));
                int framed = 0;
                while (replies.Read() is { } reply)
                {
                    Assert.IsType<GdbPacket>(reply);
                    framed++;
                }
                Assert.True(framed >= packets.Length, $"{framed} replies to {packets.Length} packets");
                Assert.Equal(packets.Length, stream.Written.Count(b => b == '+') - PlusesInsideReplies(stream.Written));
            }, seed: Seed, iter: 150, threads: 1, print: p => string.Join(" | ", p));
        }
        finally
        {
            engine.Kill();
            run.Join(TimeSpan.FromSeconds(20));
        }
    }
}
