using System.Text;
using Emulator.Host.Debugging;

namespace Emulator.Tests.Debugging;

/// <summary>Framing of the gdb remote protocol: packets, checksums, escapes, interrupts and garbage.</summary>
public sealed class GdbPacketReaderTests
{
    private static List<GdbInput> ReadAll(string wire)
    {
        var reader = new GdbPacketReader(new MemoryStream(Encoding.Latin1.GetBytes(wire)));
        var all = new List<GdbInput>();
        while (reader.Read() is { } input) all.Add(input);
        return all;
    }

    [Fact]
    public void ReadsPacketsAndSkipsAcksAndGarbage()
    {
        var all = ReadAll("+$g#67garbage+-$m1000,4#8e");
        Assert.Equal(new GdbInput[] { new GdbPacket("g"), new GdbPacket("m1000,4") }, all);
    }

    [Fact]
    public void TheInterruptByteIsItsOwnInput()
    {
        Assert.Equal(new GdbInput[] { new GdbInterrupt(), new GdbPacket("?") }, ReadAll("\x03$?#3f"));
    }

    [Fact]
    public void ABadChecksumIsABadPacketAndTheNextOneStillReads()
    {
        var all = ReadAll("$g#00$g#67");
        Assert.IsType<GdbBadPacket>(all[0]);
        Assert.Contains("bad checksum", ((GdbBadPacket)all[0]).Why);
        Assert.Equal(new GdbPacket("g"), all[1]);
    }

    [Fact]
    public void NonHexChecksumsAndCutPacketsAreHandled()
    {
        var all = ReadAll("$g#zz$ab$g#67");
        Assert.IsType<GdbBadPacket>(all[0]);
        Assert.Equal(new GdbPacket("g"), all[1]); // "$ab" was cut by a new '$'
    }

    [Fact]
    public void AnOverlongPacketIsRejectedWithoutLosingTheStream()
    {
        string big = new('a', GdbPacketReader.MaxPayload + 10);
        int sum = big.Sum(c => c) & 0xFF;
        var all = ReadAll($"${big}#{sum:x2}$g#67");
        Assert.Contains("longer than", ((GdbBadPacket)all[0]).Why);
        Assert.Equal(new GdbPacket("g"), all[1]);
    }

    [Fact]
    public void EscapesRoundTripThroughFrame()
    {
        string payload = "X1000,4:$#}*";
        byte[] framed = GdbPacketReader.Frame(payload);
        Assert.Equal("$X1000,4:}\u0004}\u0003}]}\n#", Encoding.Latin1.GetString(framed)[..^2]);
        Assert.Equal(new GdbInput[] { new GdbPacket(payload) }, ReadAll(Encoding.Latin1.GetString(framed)));
    }

    [Fact]
    public void AnEndOfStreamInsideAPacketEndsReading()
    {
        Assert.Empty(ReadAll("$g#6"));
        Assert.Empty(ReadAll("$gggg"));
    }
}
