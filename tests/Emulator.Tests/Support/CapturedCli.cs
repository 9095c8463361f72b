using System.Text;
using Emulator.Host.Cli;
using Emulator.Host.Commands;

namespace Emulator.Tests.Support;

/// <summary>The `emu` command line run in-process: exit status, stdout and stderr.</summary>
public static class CapturedCli
{
    public static (int Status, string Stdout, string Stderr) Emu(params string[] args)
    {
        var stdout = new MemoryStream();
        var stderr = new StringWriter();
        int status = EmuCli.Run(args, new HostConsole { Stdout = stdout, Stderr = stderr });
        return (status, Encoding.UTF8.GetString(stdout.ToArray()), stderr.ToString());
    }
}
