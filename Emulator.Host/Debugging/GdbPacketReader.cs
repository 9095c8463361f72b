using System.Text;

namespace Emulator.Host.Debugging;

/// <summary>What arrived from gdb: a packet with a good checksum, the interrupt byte (Ctrl-C), or a bad packet.</summary>
public abstract record GdbInput;
public sealed record GdbPacket(string Payload) : GdbInput;
public sealed record GdbInterrupt : GdbInput;
/// <summary>A packet that cannot be used (bad checksum, too long, bad escape): answered with a NAK, the session goes on.</summary>
public sealed record GdbBadPacket(string Why) : GdbInput;

/// <summary>
/// Frames gdb remote protocol input (GDB manual, "Overview" of the remote protocol): $payload#cs
/// with a two-hex-digit checksum (sum of payload bytes mod 256), '}' escapes (next byte XOR 0x20),
/// 0x03 as the interrupt request, '+'/'-' acknowledgements (ignored: we never resend). Anything
/// else between packets is garbage and skipped. Payloads longer than <see cref="MaxPayload"/> are
/// read to their end and reported bad, so one overlong packet does not desynchronise the stream.
/// </summary>
public sealed class GdbPacketReader
{
    public const int MaxPayload = 16384;
    private readonly Stream _stream;

    public GdbPacketReader(Stream stream) => _stream = stream;

    /// <summary>The next input, or null at the end of the stream.</summary>
    public GdbInput? Read()
    {
        while (true)
        {
            int b = _stream.ReadByte();
            if (b < 0) return null;
            if (b == 0x03) return new GdbInterrupt();
            if (b != '$') continue; // '+', '-' and garbage
            return ReadPacketBody();
        }
    }

    private GdbInput? ReadPacketBody()
    {
        var payload = new StringBuilder();
        int sum = 0;
        bool escape = false, overlong = false, badEscape = false;
        while (true)
        {
            int b = _stream.ReadByte();
            if (b < 0) return null;
            if (b == '#') break;
            if (b == '$') { payload.Clear(); sum = 0; escape = false; overlong = false; continue; } // a new packet starts: the old one was cut
            sum += b;
            if (escape) { b ^= 0x20; escape = false; }
            else if (b == '}') { escape = true; continue; }
            if (payload.Length < MaxPayload) payload.Append((char)b);
            else overlong = true;
        }
        if (escape) badEscape = true;
        int h = _stream.ReadByte(), l = _stream.ReadByte();
        if (h < 0 || l < 0) return null;
        if (!TryHex((char)h, out int hi) || !TryHex((char)l, out int lo))
            return new GdbBadPacket($"checksum '{(char)h}{(char)l}' is not two hex digits");
        if (((hi << 4) | lo) != (sum & 0xFF)) return new GdbBadPacket($"bad checksum: {(char)h}{(char)l}, computed {sum & 0xFF:x2}");
        if (overlong) return new GdbBadPacket($"packet longer than {MaxPayload} bytes");
        if (badEscape) return new GdbBadPacket("an escape at the end of the packet");
        return new GdbPacket(payload.ToString());
    }

    private static bool TryHex(char c, out int v)
    {
        v = c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
        return v >= 0;
    }

    /// <summary>Frames a reply: $payload#cs, escaping '$', '#', '}' and '*'.</summary>
    public static byte[] Frame(string payload)
    {
        var sb = new StringBuilder(payload.Length + 4);
        sb.Append('$');
        int sum = 0;
        foreach (char c in payload)
        {
            if (c is '$' or '#' or '}' or '*')
            {
                sb.Append('}');
                sum += '}';
                char e = (char)(c ^ 0x20);
                sb.Append(e);
                sum += e;
            }
            else
            {
                sb.Append(c);
                sum += c;
            }
        }
        sb.Append('#').Append((sum & 0xFF).ToString("x2"));
        return Encoding.Latin1.GetBytes(sb.ToString());
    }
}
