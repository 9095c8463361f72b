using Emulator.Host.Cli;
using Serilog.Events;

namespace Emulator.Tests.Host;

public class CommandLineParserTests
{
    internal static RunOptions Run(params string[] args) =>
        Assert.IsType<RunRequest>(CommandLineParser.Parse(args)).Options;

    internal static UsageException Error(params string[] args) =>
        Assert.Throws<UsageException>(() => CommandLineParser.Parse(args));

    [Fact]
    public void Defaults()
    {
        var o = Run("run");
        Assert.Null(o.Kernel);
        Assert.Null(o.Bios);
        Assert.Null(o.Append);
        Assert.Null(o.Initrd);
        Assert.Equal(128u, o.MemoryMiB);
        Assert.Equal("pc", o.MachineType);
        Assert.Equal(OutputTarget.Stdio, o.Serial);
        Assert.Equal(OutputTarget.None, o.DebugCon);
        Assert.False(o.NoReboot);
        Assert.Null(o.MaxInstructions);
        Assert.False(o.Stats);
        Assert.Equal(LogEventLevel.Warning, o.LogLevel);
        Assert.Null(o.LogFile);
    }

    [Fact]
    public void EveryOption()
    {
        var o = Run("run", "-kernel", "k.elf", "-initrd", "a b,c", "-append", "exit=5 hi", "-bios", "bios.bin",
            "-m", "256", "-machine", "pc", "-serial", "file:/tmp/com1.txt", "-debugcon", "stdio", "-no-reboot",
            "--max-instructions", "1000000", "--stats", "--log-level", "debug", "--log-file", "emu.log");
        Assert.Equal("k.elf", o.Kernel);
        Assert.Equal("a b,c", o.Initrd);
        Assert.Equal("exit=5 hi", o.Append);
        Assert.Equal("bios.bin", o.Bios);
        Assert.Equal(256u, o.MemoryMiB);
        Assert.Equal("pc", o.MachineType);
        Assert.Equal(OutputTarget.FromFile("/tmp/com1.txt"), o.Serial);
        Assert.Equal(OutputTarget.Stdio, o.DebugCon);
        Assert.True(o.NoReboot);
        Assert.Equal(1000000ul, o.MaxInstructions);
        Assert.True(o.Stats);
        Assert.Equal(LogEventLevel.Debug, o.LogLevel);
        Assert.Equal("emu.log", o.LogFile);
    }

    [Fact]
    public void OneAndTwoDashesAndInlineValuesAreTheSame()
    {
        Assert.Equal("k", Run("run", "-kernel", "k").Kernel);
        Assert.Equal("k", Run("run", "--kernel", "k").Kernel);
        Assert.Equal("k", Run("run", "--kernel=k").Kernel);
        Assert.Equal("a=b c", Run("run", "-kernel", "k", "-append=a=b c").Append);
        Assert.Equal(5ul, Run("run", "-max-instructions", "5").MaxInstructions);
        Assert.True(Run("run", "-stats").Stats);
    }

    [Fact]
    public void AValueMayStartWithADash()
    {
        Assert.Equal("-v --x", Run("run", "-kernel", "k", "-append", "-v --x").Append);
    }

    [Theory]
    [InlineData("128", 128u)]
    [InlineData("128M", 128u)]
    [InlineData("128m", 128u)]
    [InlineData("1G", 1024u)]
    [InlineData("3g", 3072u)]
    [InlineData("2", 2u)]
    public void MemorySizes(string text, uint mib) => Assert.Equal(mib, Run("run", "-m", text).MemoryMiB);

    [Theory]
    [InlineData("abc")]
    [InlineData("")]
    [InlineData("12k")]
    [InlineData("1.5G")]
    [InlineData("-5")]
    [InlineData("M")]
    public void BadMemorySizes(string text)
    {
        var e = Error("run", "-m", text);
        Assert.Contains("bad memory size", e.Message);
        Assert.Equal("run", e.HelpTopic);
    }

    [Theory]
    [InlineData("0")]
    [InlineData("1")]
    [InlineData("4G")]
    [InlineData("3073")]
    [InlineData("99999999999999999999G")]
    public void MemorySizesOutOfRange(string text) => Assert.Contains("out of range", Error("run", "-m", text).Message);

    [Theory]
    [InlineData("0")]
    [InlineData("-1")]
    [InlineData("ten")]
    [InlineData("1e6")]
    [InlineData("99999999999999999999999")]
    public void BadInstructionCounts(string text) =>
        Assert.Contains("expected a positive whole number", Error("run", "--max-instructions", text).Message);

    [Fact]
    public void UnknownOption()
    {
        var e = Error("run", "-kernel", "k", "-frobnicate");
        Assert.Equal("unknown option '-frobnicate'", e.Message);
        Assert.Equal("run", e.HelpTopic);
    }

    [Fact]
    public void MissingValue()
    {
        Assert.Equal("option -kernel needs a value (a multiboot kernel file)", Error("run", "-kernel").Message);
        Assert.Contains("needs a value", Error("run", "-m").Message);
        Assert.Contains("needs a non-empty value", Error("run", "-kernel", "").Message);
    }

    [Fact]
    public void FlagsTakeNoValue() => Assert.Contains("takes no value", Error("run", "--stats=yes").Message);

    [Fact]
    public void PositionalArgumentIsRefused() =>
        Assert.Contains("unexpected argument 'hello.elf'", Error("run", "hello.elf").Message);

    [Fact]
    public void UnknownCommandAndNoCommand()
    {
        var e = Error("boot");
        Assert.Contains("unknown command 'boot'", e.Message);
        Assert.Null(e.HelpTopic);
        Assert.Contains("no command given", Error().Message);
        Assert.Contains("unknown option '-kernel'", Error("-kernel", "k").Message);
    }

    [Fact]
    public void MachineTypes()
    {
        Assert.Equal("xen", Run("run", "-machine", "xen").MachineType);
        Assert.Equal(42ul, Run("run", "-machine", "xen", "--p2m-seed", "42").P2mSeed);
        Assert.Equal(1ul, Run("run").P2mSeed);
        Assert.Equal("pc", Run("run", "-M", "pc").MachineType);
        Assert.Contains("unknown machine type 'q35'", Error("run", "-machine", "q35").Message);
    }

    [Fact]
    public void TraceOptions()
    {
        Assert.Null(Run("run").TraceFile);
        var o = Run("run", "-trace", "boot.jsonl");
        Assert.Equal("boot.jsonl", o.TraceFile);
        Assert.Equal(Emulator.Core.Tracing.TraceLevel.Hypercall, o.TraceLevel); // the default level
        Assert.Equal(Emulator.Core.Tracing.TraceLevel.Full, Run("run", "-trace", "t", "-trace-level", "full").TraceLevel);
        Assert.Equal(Emulator.Core.Tracing.TraceLevel.Boot, Run("run", "-trace-level=BOOT", "-trace=t").TraceLevel);
        Assert.Contains("bad trace level 'all' for -trace-level: expected boot, hypercall or full", Error("run", "-trace", "t", "-trace-level", "all").Message);
        Assert.Contains("-trace-level needs -trace FILE", Error("run", "-trace-level", "boot").Message);
        Assert.Contains("option -trace needs a value", Error("run", "-trace").Message);
    }

    [Fact]
    public void GdbStubOptions()
    {
        Assert.Null(Run("run").GdbPort);
        Assert.Equal(1234, Run("run", "-s").GdbPort);
        Assert.Equal(4321, Run("run", "-gdb", "tcp::4321").GdbPort);
        Assert.Equal(4321, Run("run", "-gdb", "tcp:127.0.0.1:4321").GdbPort);
        Assert.Equal(4321, Run("run", "-gdb", "tcp:localhost:4321").GdbPort);
        Assert.Equal(0, Run("run", "-gdb=0").GdbPort);
        var waiting = Run("run", "-s", "-S");
        Assert.True(waiting.WaitForDebugger);
        Assert.False(Run("run", "-s").WaitForDebugger);
        Assert.Contains("-S needs a debugger to continue the machine: add -s or -gdb tcp::PORT", Error("run", "-S").Message);
        Assert.Contains("-gdb listens on 127.0.0.1 only, not on '0.0.0.0'", Error("run", "-gdb", "tcp:0.0.0.0:1234").Message);
        Assert.Contains("bad value 'tcp::99999' for -gdb", Error("run", "-gdb", "tcp::99999").Message);
        Assert.Contains("bad value 'udp::1' for -gdb", Error("run", "-gdb", "udp::1").Message);
        Assert.Contains("option -s takes no value", Error("run", "-s=1").Message);
    }

    [Fact]
    public void DebugTakesTheRunOptionsAndAPort()
    {
        var o = Run("debug", "-machine", "xen", "-append", "pv=ops", "-m", "64");
        Assert.Equal(0, o.WebDebuggerPort);          // a free port
        Assert.Equal("xen", o.MachineType);
        Assert.Equal("pv=ops", o.Append);
        Assert.Equal(64u, o.MemoryMiB);
        Assert.Equal(8080, Run("debug", "--port", "8080").WebDebuggerPort);
        Assert.Equal(8080, Run("debug", "--port=8080").WebDebuggerPort);
        Assert.Null(Run("run").WebDebuggerPort);
        Assert.Equal(new HelpRequest("debug"), CommandLineParser.Parse(["debug", "--help"]));
        Assert.Equal(new HelpRequest("debug"), CommandLineParser.Parse(["help", "debug"]));

        var taken = Error("debug", "--port", "70000");
        Assert.Equal("bad value '70000' for --port: expected a port from 0 to 65535", taken.Message);
        Assert.Equal("debug", taken.HelpTopic);
        Assert.Equal("unknown option '--port'", Error("run", "--port", "1").Message);
        Assert.Equal("emu debug serves the web debugger and starts paused: -s, -gdb and -S are for emu run", Error("debug", "-s").Message);
        Assert.Equal("debug", Error("debug", "-bogus").HelpTopic);
    }

    [Fact]
    public void OutputTargets()
    {
        Assert.Equal(OutputTarget.None, Run("run", "-serial", "none").Serial);
        Assert.Equal(OutputTarget.Stdio, Run("run", "-debugcon", "stdio").DebugCon);
        Assert.Equal(OutputTarget.FromFile("out.txt"), Run("run", "-debugcon", "file:out.txt").DebugCon);
        Assert.Contains("expected stdio, none or file:PATH", Error("run", "-serial", "tcp:1234").Message);
        Assert.Contains("expected stdio, none or file:PATH", Error("run", "-serial", "file:").Message);
    }

    [Theory]
    [InlineData("verbose", LogEventLevel.Verbose)]
    [InlineData("debug", LogEventLevel.Debug)]
    [InlineData("information", LogEventLevel.Information)]
    [InlineData("warning", LogEventLevel.Warning)]
    [InlineData("error", LogEventLevel.Error)]
    [InlineData("Info", LogEventLevel.Information)]
    public void LogLevels(string text, LogEventLevel level) => Assert.Equal(level, Run("run", "--log-level", text).LogLevel);

    [Fact]
    public void BadLogLevel() => Assert.Contains("bad log level 'loud'", Error("run", "--log-level", "loud").Message);

    [Fact]
    public void InitrdAndAppendNeedAKernel()
    {
        Assert.Contains("-initrd needs -kernel", Error("run", "-initrd", "a").Message);
        Assert.Contains("-append needs a kernel", Error("run", "-bios", "rom.bin", "-append", "x").Message);
    }

    [Fact]
    public void AppendWithoutKernelIsTheDefaultGuestsCommandLine()
    {
        var r = Assert.IsType<RunRequest>(CommandLineParser.Parse(new[] { "run", "-append", "pv=patch" }));
        Assert.Null(r.Options.Kernel);
        Assert.Equal("pv=patch", r.Options.Append);
    }

    [Fact]
    public void HelpAndVersion()
    {
        Assert.Equal(new HelpRequest(null), CommandLineParser.Parse(new[] { "--help" }));
        Assert.Equal(new HelpRequest(null), CommandLineParser.Parse(new[] { "-h" }));
        Assert.Equal(new HelpRequest(null), CommandLineParser.Parse(new[] { "help" }));
        Assert.Equal(new HelpRequest("run"), CommandLineParser.Parse(new[] { "help", "run" }));
        Assert.Equal(new HelpRequest("run"), CommandLineParser.Parse(new[] { "run", "--help" }));
        Assert.Equal(new HelpRequest("run"), CommandLineParser.Parse(new[] { "run", "-kernel", "k", "-h" }));
        Assert.IsType<VersionRequest>(CommandLineParser.Parse(new[] { "--version" }));
    }

    [Fact]
    public void LastRepeatedOptionWins() => Assert.Equal(64u, Run("run", "-m", "32", "-m", "64").MemoryMiB);
}
