using Emulator.Host.Cli;
using Emulator.Host.Commands;

namespace Emulator.Host;

public static class Program
{
    public static int Main(string[] args) => EmuCli.Run(args, HostConsole.ForProcess());
}
