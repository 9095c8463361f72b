using System.Diagnostics;
using System.Runtime.InteropServices;

namespace Emulator.Tests.Support;

/// <summary>
/// A private X server (Debian's Xvfb, 1024×768×24) for the tests that open the display window.
/// Xvfb picks a free display number itself (-displayfd) and is ended with SIGTERM, so that it
/// removes its lock file and socket.
/// </summary>
public sealed class XvfbServer : IDisposable
{
    public const string MissingMessage = "Xvfb is not installed (apt-get install xvfb libglfw3 libgl1-mesa-dri; .ci/run does it)";

    private readonly Process _process;

    public string Display { get; }

    private XvfbServer(Process process, string display)
    {
        _process = process;
        Display = display;
    }

    public static string? ExecutablePath => FindExecutable("Xvfb");

    /// <summary>The full path of a program on PATH, or null.</summary>
    public static string? FindExecutable(string name) =>
        (Environment.GetEnvironmentVariable("PATH") ?? "/usr/bin").Split(':').Select(d => Path.Combine(d, name)).FirstOrDefault(File.Exists);

    public static bool IsInstalled => ExecutablePath != null;

    public static XvfbServer Start()
    {
        string exe = ExecutablePath ?? throw new InvalidOperationException(MissingMessage);
        var psi = new ProcessStartInfo(exe)
        {
            // -displayfd 1: Xvfb chooses a free display and writes its number to stdout once it serves it.
            ArgumentList = { "-displayfd", "1", "-screen", "0", "1024x768x24", "-nolisten", "tcp" },
            RedirectStandardError = true,
            RedirectStandardOutput = true,
            UseShellExecute = false,
        };
        var p = Process.Start(psi)!;
        p.ErrorDataReceived += (_, _) => { };
        p.BeginErrorReadLine();
        var line = p.StandardOutput.ReadLineAsync();
        if (!line.Wait(TimeSpan.FromSeconds(20)) || !int.TryParse(line.Result, out int display))
        {
            var server = new XvfbServer(p, "");
            server.Dispose();
            throw new InvalidOperationException("Xvfb did not report a display within 20 s");
        }
        return new XvfbServer(p, $":{display}");
    }

    /// <summary>
    /// Points this process's native environment at the server (libX11 reads DISPLAY with getenv;
    /// .NET's Environment.SetEnvironmentVariable does not reach it on Linux).
    /// </summary>
    public void UseForThisProcess()
    {
        if (setenv("DISPLAY", Display, 1) != 0) throw new InvalidOperationException("setenv(DISPLAY) failed");
        Environment.SetEnvironmentVariable("DISPLAY", Display);
    }

    [DllImport("libc", SetLastError = true)]
    private static extern int setenv(string name, string value, int overwrite);

    [DllImport("libc", SetLastError = true)]
    private static extern int kill(int pid, int signal);

    private const int SigTerm = 15;

    public void Dispose()
    {
        try
        {
            if (!_process.HasExited)
            {
                kill(_process.Id, SigTerm); // Xvfb then removes /tmp/.X<n>-lock and its socket
                if (!_process.WaitForExit(5000)) _process.Kill();
                _process.WaitForExit(5000);
            }
        }
        catch (InvalidOperationException) { }
        _process.Dispose();
    }
}
