using System.Net;
using System.Net.Sockets;

namespace Emulator.Tests.Support;

/// <summary>A TCP port on 127.0.0.1 that was free a moment ago (for servers a test starts).</summary>
public static class FreeTcpPort
{
    public static int Next()
    {
        var l = new TcpListener(IPAddress.Loopback, 0);
        l.Start();
        int port = ((IPEndPoint)l.LocalEndpoint).Port;
        l.Stop();
        return port;
    }
}
