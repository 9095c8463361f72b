using System.Globalization;
using System.Net.Sockets;
using System.Text;

namespace Emulator.Host.Fuzzing;

/// <summary>
/// The client end of the gdb remote serial protocol, enough to drive QEMU's stub: packets
/// <c>$data#checksum</c> acknowledged with '+', one reply per request. Every read has a timeout
/// (<see cref="GdbRemoteException"/> when the stub goes quiet or closes the connection).
/// </summary>
public sealed class GdbRemoteClient : IDisposable
{
    private readonly TcpClient _client;
    private readonly NetworkStream _stream;
    private readonly byte[] _buffer = new byte[65536];
    private int _start, _end;

    public GdbRemoteClient(TcpClient client, TimeSpan timeout)
    {
        _client = client;
        _client.NoDelay = true;
        _client.ReceiveTimeout = (int)timeout.TotalMilliseconds;
        _client.SendTimeout = (int)timeout.TotalMilliseconds;
        _stream = client.GetStream();
    }

    /// <summary>Sends one packet and returns the reply's data (without framing).</summary>
    public string Request(string data)
    {
        Send(data);
        return Receive();
    }

    /// <summary>Sends a packet that gets no reply (such as <c>k</c>).</summary>
    public void Send(string data)
    {
        int sum = 0;
        foreach (char c in data) sum += c;
        var bytes = Encoding.ASCII.GetBytes(string.Create(CultureInfo.InvariantCulture, $"${data}#{sum & 0xFF:x2}"));
        try { _stream.Write(bytes); }
        catch (IOException e) { throw new GdbRemoteException($"sending to the gdb stub failed: {e.Message}", e); }
    }

    private string Receive()
    {
        // Skip acknowledgements until '$', then read up to '#' and the two checksum digits.
        while (true)
        {
            int b = NextByte();
            if (b == '$') break;
        }
        var data = new StringBuilder();
        while (true)
        {
            int b = NextByte();
            if (b == '#') break;
            if (b == '}') { data.Append((char)(NextByte() ^ 0x20)); continue; }
            data.Append((char)b);
            if (data.Length > 1 << 20) throw new GdbRemoteException("a reply from the gdb stub exceeds 1 MiB");
        }
        NextByte();
        NextByte();
        try { _stream.WriteByte((byte)'+'); }
        catch (IOException e) { throw new GdbRemoteException($"sending to the gdb stub failed: {e.Message}", e); }
        return data.ToString();
    }

    private int NextByte()
    {
        if (_start == _end)
        {
            int n;
            try { n = _stream.Read(_buffer, 0, _buffer.Length); }
            catch (IOException e) { throw new GdbRemoteException($"the gdb stub did not answer: {e.Message}", e); }
            if (n == 0) throw new GdbRemoteException("the gdb stub closed the connection");
            _start = 0;
            _end = n;
        }
        return _buffer[_start++];
    }

    public void Dispose()
    {
        _stream.Dispose();
        _client.Dispose();
    }
}

/// <summary>The gdb stub at the other end misbehaved: no answer, a closed connection, or an error reply.</summary>
public sealed class GdbRemoteException(string message, Exception? inner = null) : Exception(message, inner);
