using System.Net;
using System.Reflection;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using ILogger = Serilog.ILogger;

namespace Emulator.Host.Debugging.Web;

/// <summary>
/// The web debugger's server (DESIGN.md §9): Kestrel from the ASP.NET Core shared framework on
/// 127.0.0.1 only, serving the page (index.html, app.js, style.css, embedded in this assembly) and
/// the WebSocket at /ws, one <see cref="DebuggerSocketSession"/> per page. Requests whose Host or
/// Origin is not this server are refused, so another web site open in the same browser cannot
/// drive the debugger (DNS rebinding, cross-site WebSockets).
/// </summary>
public sealed class DebuggerWebServer : IDisposable
{
    private static readonly (string Path, string Resource, string ContentType)[] Files =
    [
        ("/", "wwwroot/index.html", "text/html; charset=utf-8"),
        ("/index.html", "wwwroot/index.html", "text/html; charset=utf-8"),
        ("/app.js", "wwwroot/app.js", "text/javascript; charset=utf-8"),
        ("/style.css", "wwwroot/style.css", "text/css; charset=utf-8"),
    ];

    private WebApplication? _app;
    private readonly CancellationTokenSource _stopping = new();
    private int _sessions;
    private volatile int _port;

    private DebuggerWebServer(int port) => _port = port;

    /// <summary>The port listened on (the one asked for, or the one the system chose for 0).</summary>
    public int Port => _port;

    public string Url => $"http://127.0.0.1:{Port}/";

    /// <summary>How many pages are connected now.</summary>
    public int Sessions => Volatile.Read(ref _sessions);

    /// <summary>Listens on 127.0.0.1:<paramref name="port"/> (0: a free port); throws IOException when the port is taken.</summary>
    public static DebuggerWebServer Start(int port, DebuggedMachine machine, ILogger log)
    {
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { ContentRootPath = AppContext.BaseDirectory });
        builder.Logging.ClearProviders(); // diagnostics go through Serilog (our own lines below)
        builder.Services.AddSingleton<IHostLifetime, RunOwnedHostLifetime>();
        builder.WebHost.ConfigureKestrel(k =>
        {
            k.Listen(IPAddress.Loopback, port);
            k.Limits.MaxRequestBodySize = 0;
        });
        var app = builder.Build();
        var commands = new DebuggerCommands(machine);
        var server = new DebuggerWebServer(port);
        app.UseWebSockets(new WebSocketOptions { KeepAliveInterval = TimeSpan.FromSeconds(20) });
        app.Use(async (context, next) =>
        {
            if (!FromThisServer(context, server.Port))
            {
                log.Warning("web debugger: refused a request with Host {Host} and Origin {Origin}", context.Request.Host.Value, context.Request.Headers.Origin.ToString());
                context.Response.StatusCode = StatusCodes.Status403Forbidden;
                return;
            }
            await next(context);
        });
        foreach (var (path, resource, type) in Files)
        {
            byte[] body = Resource(resource);
            app.MapGet(path, (HttpContext c) => Results.Bytes(body, type));
        }
        app.Map("/ws", async (HttpContext context) =>
        {
            if (!context.WebSockets.IsWebSocketRequest)
            {
                context.Response.StatusCode = StatusCodes.Status400BadRequest;
                return;
            }
            using var socket = await context.WebSockets.AcceptWebSocketAsync();
            log.Information("web debugger: a page connected from {Remote}", context.Connection.RemoteIpAddress);
            Interlocked.Increment(ref server._sessions);
            try { await new DebuggerSocketSession(socket, machine, commands, log).RunAsync(server._stopping.Token); }
            finally { Interlocked.Decrement(ref server._sessions); }
            log.Information("web debugger: a page disconnected");
        });
        try { app.StartAsync().GetAwaiter().GetResult(); }
        catch
        {
            app.DisposeAsync().AsTask().GetAwaiter().GetResult();
            throw;
        }
        var addresses = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses;
        server._port = new Uri(addresses.First()).Port;
        server._app = app;
        return server;
    }

    /// <summary>Host must name this server and Origin, when a browser sends one, be this server's page.</summary>
    private static bool FromThisServer(HttpContext context, int port)
    {
        string host = context.Request.Host.Value ?? "";
        bool hostOk = host == $"127.0.0.1:{port}" || host == $"localhost:{port}";
        string origin = context.Request.Headers.Origin.ToString();
        bool originOk = origin.Length == 0 || origin == $"http://127.0.0.1:{port}" || origin == $"http://localhost:{port}";
        return hostOk && originOk;
    }

    private static byte[] Resource(string name)
    {
        using var stream = Assembly.GetExecutingAssembly().GetManifestResourceStream(name)
            ?? throw new InvalidOperationException($"the web debugger's {name} is not embedded in the assembly");
        using var copy = new MemoryStream();
        stream.CopyTo(copy);
        return copy.ToArray();
    }

    /// <summary>After the run ended: lets connected pages receive the end before the server stops.</summary>
    public void LetPagesSeeTheEnd()
    {
        // Each session pushes the exit state within one push interval: give them a few.
        if (Sessions > 0) Thread.Sleep(DebuggerSocketSession.PushInterval * 4);
    }

    public void Dispose()
    {
        _stopping.Cancel();
        if (_app == null) return;
        using var grace = new CancellationTokenSource(TimeSpan.FromSeconds(2));
        try { _app.StopAsync(grace.Token).GetAwaiter().GetResult(); }
        catch (OperationCanceledException) { }
        _app.DisposeAsync().AsTask().GetAwaiter().GetResult();
    }
}
