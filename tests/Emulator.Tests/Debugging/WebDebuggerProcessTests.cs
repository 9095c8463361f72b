using System.Diagnostics;

namespace Emulator.Tests.Debugging;

/// <summary>`emu debug` as a process: the signals stay the run's (ASP.NET's console lifetime must not take them).</summary>
public sealed class WebDebuggerProcessTests
{
    [Fact]
    public async Task SigtermEndsEmuDebugAsItEndsEmuRun()
    {
        var psi = new ProcessStartInfo("dotnet")
        {
            ArgumentList = { Path.Combine(AppContext.BaseDirectory, "emu.dll"), "debug", "-machine", "xen", "-serial", "none" },
            RedirectStandardError = true,
            RedirectStandardOutput = true,
        };
        using var p = Process.Start(psi)!;
        try
        {
            // Serving (the URL printed) and paused: the page is up, nothing else will end the run.
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
            bool serving = false;
            while (!serving && await p.StandardError.ReadLineAsync(timeout.Token) is { } line)
                serving = line.StartsWith("emu: web debugger on http://127.0.0.1:", StringComparison.Ordinal);
            Assert.True(serving, "emu debug did not print its URL");
            using (var kill = Process.Start("kill", ["-TERM", p.Id.ToString()])) await kill.WaitForExitAsync(timeout.Token);
            using var exit = new CancellationTokenSource(TimeSpan.FromSeconds(15));
            await p.WaitForExitAsync(exit.Token); // throws when SIGTERM did not end it
            Assert.Equal(128 + 15, p.ExitCode);
        }
        finally
        {
            if (!p.HasExited) p.Kill();
        }
    }
}
