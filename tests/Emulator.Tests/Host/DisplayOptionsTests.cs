using Emulator.Host.Cli;
using Emulator.Host.Display;

namespace Emulator.Tests.Host;

/// <summary>`emu run -display`, `-input-record` and `-input-replay` on the command line.</summary>
public class DisplayOptionsTests
{
    private static RunOptions Run(params string[] args) => CommandLineParserTests.Run(args);

    private static UsageException Error(params string[] args) => CommandLineParserTests.Error(args);

    [Fact]
    public void NoDisplayAndNoInputLogByDefault()
    {
        var o = Run("run");
        Assert.Equal(DisplayKind.None, o.Display);
        Assert.Null(o.InputRecordFile);
        Assert.Null(o.InputReplayFile);
    }

    [Theory]
    [InlineData("none", DisplayKind.None)]
    [InlineData("gl", DisplayKind.Gl)]
    [InlineData("sdl", DisplayKind.Gl)]
    [InlineData("curses", DisplayKind.Curses)]
    public void DisplayTypes(string text, DisplayKind kind) => Assert.Equal(kind, Run("run", "-display", text).Display);

    [Fact]
    public void UnknownDisplayIsRefused() =>
        Assert.Equal("unknown display 'vnc' for -display (known: none, gl, curses)", Error("run", "-display", "vnc").Message);

    [Fact]
    public void RecordAndReplayFiles()
    {
        Assert.Equal("keys.txt", Run("run", "-display", "gl", "-input-record", "keys.txt").InputRecordFile);
        Assert.Equal("keys.txt", Run("run", "--input-replay=keys.txt").InputReplayFile);
    }

    [Fact]
    public void RecordingNeedsADisplayThatTakesKeys() =>
        Assert.Contains("-input-record needs a display", Error("run", "-input-record", "keys.txt").Message);

    [Fact]
    public void RecordAndReplayAreExclusive() =>
        Assert.Contains("cannot be combined", Error("run", "-display", "gl", "-input-record", "a", "-input-replay", "b").Message);

    [Fact]
    public void CursesTakesTheTerminalFromTheSerialConsoleUnlessItIsAskedFor()
    {
        Assert.Equal(OutputTarget.None, Run("run", "-display", "curses").Serial);
        Assert.Equal(OutputTarget.Stdio, Run("run", "-display", "curses", "-serial", "stdio").Serial);
        Assert.Equal(OutputTarget.Stdio, Run("run", "-display", "gl").Serial);
    }

    [Fact]
    public void HelpDescribesTheOptions()
    {
        Assert.Contains("-display TYPE", HelpText.Run);
        Assert.Contains("-input-record FILE", HelpText.Run);
        Assert.Contains("-input-replay FILE", HelpText.Run);
    }
}
