using System.Text;
using Emulator.Host.Cli;
using Emulator.Host.Commands;

using Emulator.Tests.Support;

namespace Emulator.Tests.Host;

public class EmuCliTests
{
    private static (int Status, string Stdout, string Stderr) Emu(params string[] args) => CapturedCli.Emu(args);

    [Fact]
    public void HelpGoesToStdoutWithStatus0()
    {
        var (status, stdout, stderr) = Emu("--help");
        Assert.Equal(0, status);
        Assert.Equal("", stderr);
        Assert.Contains("emu run [options]", stdout);
        Assert.Contains("emu --version", stdout);
    }

    [Fact]
    public void RunHelpExplainsEveryOptionAndExitStatus()
    {
        var (status, stdout, _) = Emu("run", "--help");
        Assert.Equal(0, status);
        foreach (var option in new[] { "-kernel", "-initrd", "-append", "-bios", "-m ", "-machine", "-serial", "-debugcon",
                     "-no-reboot", "--max-instructions", "--stats", "--log-level", "--log-file", "EMU_GUESTS" })
            Assert.Contains(option, stdout);
        foreach (var line in new[] { "\n  0 ", "(v << 1) | 1", "\n  2 ", "\n  4 ", "\n  124 ", "\n  130 " })
            Assert.Contains(line, stdout);
    }

    [Fact]
    public void DebugHelpDescribesThePageAndItsPort()
    {
        var (status, stdout, _) = Emu("debug", "--help");
        Assert.Equal(0, status);
        Assert.StartsWith("Usage: emu debug [the options of emu run] [--port N]", stdout);
        foreach (var words in new[] { "--port N", "http://127.0.0.1:PORT", "hypercall log", "reverse step", "page-table walk" })
            Assert.Contains(words, stdout);
        Assert.Contains("emu debug [options]", Emu("--help").Stdout);
    }

    [Fact]
    public void Version()
    {
        var (status, stdout, _) = Emu("--version");
        Assert.Equal(0, status);
        Assert.StartsWith("emu ", stdout);
        Assert.Matches(@"^emu \d+\.\d+\.\d+", stdout);
    }

    [Fact]
    public void UsageErrorIsOneLinePlusAHintWithStatus2()
    {
        var (status, stdout, stderr) = Emu("run", "-bogus");
        Assert.Equal(2, status);
        Assert.Equal("", stdout);
        var lines = stderr.TrimEnd('\n').Split('\n');
        Assert.Equal(2, lines.Length);
        Assert.Equal("emu: unknown option '-bogus'", lines[0]);
        Assert.Contains("emu run --help", lines[1]);
    }

    [Fact]
    public void NoArgumentsIsAUsageError()
    {
        var (status, _, stderr) = Emu();
        Assert.Equal(2, status);
        Assert.Contains("emu --help", stderr);
    }
}
