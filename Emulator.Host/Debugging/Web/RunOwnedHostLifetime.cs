using Microsoft.Extensions.Hosting;

namespace Emulator.Host.Debugging.Web;

/// <summary>
/// The web debugger's host lifetime: hooks no signals. The run owns Ctrl-C (the first stops the
/// machine, a second ends the process) and SIGTERM ends the process as for `emu run`; ASP.NET's
/// default console lifetime would take both and only stop the web server.
/// </summary>
public sealed class RunOwnedHostLifetime : IHostLifetime
{
    public Task WaitForStartAsync(CancellationToken cancellationToken) => Task.CompletedTask;
    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
