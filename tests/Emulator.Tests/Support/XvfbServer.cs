using System.Diagnostics;
using System.Runtime.InteropServices;

namespace Emulator.Tests.Support;

/// <summary>
/// A private X server (Debian's Xvfb) for the tests that open the display window: started on the
/// first free display number from :91 up, 1024×768×24, stopped when disposed.
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

    public static string? ExecutablePath =>
        (Environment.GetEnvironmentVariable("PATH") ?? "/usr/bin").Split(':').Select(d => Path.Combine(d, "Xvfb")).FirstOrDefault(File.Exists);

    public static bool IsInstalled => ExecutablePath != null;

    public static XvfbServer Start()
    {
        string exe = ExecutablePath ?? throw new InvalidOperationException(MissingMessage);
        for (int n = 91; n < 140; n++)
        {
            // A display is taken while its lock file or socket exists — unless the lock's server is gone
            // (a killed run leaves both behind): then they are removed and the display is reused.
            if (IsStale(n)) RemoveLeftovers(n);
            if (File.Exists($"/tmp/.X{n}-lock") || File.Exists($"/tmp/.X11-unix/X{n}")) continue;
            var psi = new ProcessStartInfo(exe)
            {
                ArgumentList = { $":{n}", "-screen", "0", "1024x768x24", "-nolisten", "tcp" },
                RedirectStandardError = true,
                RedirectStandardOutput = true,
                UseShellExecute = false,
            };
            var p = Process.Start(psi)!;
            p.ErrorDataReceived += (_, _) => { };
            p.BeginErrorReadLine();
            p.BeginOutputReadLine();
            var deadline = Stopwatch.StartNew();
            while (deadline.Elapsed < TimeSpan.FromSeconds(10) && !p.HasExited)
            {
                if (File.Exists($"/tmp/.X11-unix/X{n}")) return new XvfbServer(p, $":{n}");
                Thread.Sleep(50);
            }
            if (!p.HasExited) p.Kill();
            p.Dispose();
        }
        throw new InvalidOperationException("Xvfb did not start on any display from :91 to :139");
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

    /// <summary>A lock file whose process no longer exists.</summary>
    private static bool IsStale(int n)
    {
        try
        {
            string text = File.ReadAllText($"/tmp/.X{n}-lock").Trim();
            return int.TryParse(text, out int pid) && pid > 0 && kill(pid, 0) != 0 && Marshal.GetLastWin32Error() == 3; // ESRCH
        }
        catch (IOException) { return false; }
        catch (UnauthorizedAccessException) { return false; }
    }

    private static void RemoveLeftovers(int n)
    {
        try { File.Delete($"/tmp/.X{n}-lock"); } catch (IOException) { } catch (UnauthorizedAccessException) { }
        try { File.Delete($"/tmp/.X11-unix/X{n}"); } catch (IOException) { } catch (UnauthorizedAccessException) { }
    }

    /// <summary>Stops the server with SIGTERM, so that it removes its lock file and socket itself; SIGKILL only if it does not go.</summary>
    public void Dispose()
    {
        try
        {
            if (!_process.HasExited)
            {
                kill(_process.Id, SigTerm);
                if (!_process.WaitForExit(5000))
                {
                    _process.Kill();
                    _process.WaitForExit(5000);
                }
            }
        }
        catch (InvalidOperationException) { }
        if (int.TryParse(Display.TrimStart(':'), out int n) && IsStale(n)) RemoveLeftovers(n);
        _process.Dispose();
    }
}
