using System.Text;
using Emulator.Core.Input;
using Emulator.Core.Machine;
using Emulator.Host.Cli;
using Emulator.Tests.Support;

namespace Emulator.Tests.Guests;

/// <summary>
/// The toy kernel's `shell`: keys typed through the input log reach it by the 8042 and IRQ1, and
/// their echo appears on the serial console and in the VGA text buffer; recording and replaying
/// the input gives the same run.
/// </summary>
public class ToyKernelShellTests
{
    [Fact]
    public void TypedKeysAreEchoedOnTheSerialConsoleAndTheVgaScreen()
    {
        var shell = new ShellMachine();
        shell.Input.Replay(ShellMachine.Script("echo Hello, World!\n"));
        var exit = shell.Machine.Run(40_000_000);
        Assert.Equal(ExitKind.InstructionLimit, exit.Kind);

        Assert.Contains("toykernel: all self-tests passed; shell ready (type help)\n> echo Hello, World!\nHello, World!\n> ", shell.Serial);
        var lines = shell.Platform.Vga.RenderLines();
        Assert.Equal("toykernel shell", lines[0].Trim());
        Assert.Equal("toykernel: all self-tests passed; shell ready (type help)", lines[1]);
        Assert.Equal("> echo Hello, World!", lines[2]);
        Assert.Equal("Hello, World!", lines[3]);
        Assert.Equal(">", lines[4]);
        // The prompt is light green, the title bar white on blue, typed text light grey.
        Assert.Equal(0x0A, shell.Platform.Vga.GetTextCell(2, 0).Attribute);
        Assert.Equal(0x1F, shell.Platform.Vga.GetTextCell(0, 5).Attribute);
        Assert.Equal(0x07, shell.Platform.Vga.GetTextCell(3, 0).Attribute);
        // The hardware cursor follows the prompt: row 4, column 2.
        Assert.Equal((4, 2), shell.Platform.Vga.CursorPosition);
    }

    [Fact]
    public void BackspaceAndShiftAreHonoured()
    {
        var shell = new ShellMachine();
        var keys = ShellMachine.Script("echo abx\bc\n");
        shell.Input.Replay(keys);
        shell.Machine.Run(40_000_000);
        Assert.Equal("> echo abc", shell.Platform.Vga.RenderLines()[2]);
        Assert.Equal("abc", shell.Platform.Vga.RenderLines()[3]);
        Assert.Contains("echo abx\b \bc\nabc\n", shell.Serial);
    }

    [Fact]
    public void PoweroffFromAReplayFileEndsTheRunThroughTheCli()
    {
        using var files = new TempFiles();
        string log = ShellMachine.WriteScript(files, "help\npoweroff\n");
        var run = CapturedRun.Execute(new RunOptions
        {
            Kernel = GuestImages.ToyKernel, Append = "shell", InputReplayFile = log, MaxInstructions = 100_000_000,
        });
        Assert.Equal(0, run.Status);
        Assert.Contains("> help\ncommands: help, echo TEXT, clear, colors, poweroff\n> poweroff\nshell: powering off\n", run.Stdout);
        // The self-test lines are those of a run without the shell.
        Assert.Contains("# toykernel: 0 of 29 self-tests failed", run.Stdout);
    }

    [Fact]
    public void LiveInputRecordedAndReplayedGivesTheSameRun()
    {
        // Live: keys posted from another thread while the machine runs enter at polls the machine chooses.
        var record = new StringWriter();
        string liveSerial;
        ulong liveEnd;
        {
            var live = new ShellMachine();
            live.Input.RecordTo(record);
            live.Input.StartLive();
            var typist = new Thread(() =>
            {
                while (!live.Machine.Cpu.Halted || live.Machine.InstructionsRetired < 5_000_000) Thread.Sleep(1);
                foreach (var key in Emulator.Host.Display.UsKeyboardLayout.Type("echo again\npoweroff\n"))
                {
                    live.Input.Post(key);
                    Thread.Sleep(1);
                }
            });
            typist.Start();
            var exit = live.Machine.Run(2_000_000_000);
            typist.Join();
            Assert.Equal(ExitKind.PowerOff, exit.Kind);
            liveSerial = live.Serial;
            liveEnd = live.Machine.InstructionsRetired;
        }
        Assert.Contains("> echo again\nagain\n> poweroff\nshell: powering off\n", liveSerial);

        var events = InputLogFile.Parse(new StringReader(record.ToString()));
        // Every key up to the last Enter's press entered, in order (the machine may power off before its release).
        var typed = UsKeyboardLayout();
        Assert.InRange(events.Count, typed.Count - 1, typed.Count);
        Assert.Equal(typed.Take(events.Count), events.Select(e => e.Key));
        Assert.All(events, e => Assert.Equal(0ul, e.Tick % Emulator.Core.Input.HostInputLog.PollTicks));

        var replay = new ShellMachine();
        replay.Input.Replay(events);
        var replayExit = replay.Machine.Run(2_000_000_000);
        Assert.Equal(ExitKind.PowerOff, replayExit.Kind);
        Assert.Equal(liveSerial, replay.Serial);
        Assert.Equal(liveEnd, replay.Machine.InstructionsRetired);

        static List<KeyInput> UsKeyboardLayout() => Emulator.Host.Display.UsKeyboardLayout.Type("echo again\npoweroff\n").ToList();
    }

    [Fact]
    public void UnderXenTheShellIsSkippedWithAMessage()
    {
        var run = CapturedRun.Execute(new RunOptions { MachineType = "xen", Append = "shell", MaxInstructions = 100_000_000 },
            env: v => v == "EMU_GUESTS" ? GuestImages.BuildDirectory : null);
        Assert.Equal(0, run.Status);
        Assert.Contains("toykernel: shell: not available under Xen (a PV domain has no keyboard or VGA ports); shutting down\n", run.Stdout);
    }

    [Fact]
    public void TheInputEventsAreInTheTrace()
    {
        using var files = new TempFiles();
        string log = ShellMachine.WriteScript(files, "x");
        string trace = files.PathOf("trace.jsonl");
        var run = CapturedRun.Execute(new RunOptions
        {
            Kernel = GuestImages.ToyKernel, Append = "shell", InputReplayFile = log, MaxInstructions = 20_000_000,
            TraceFile = trace, TraceLevel = Emulator.Core.Tracing.TraceLevel.Boot,
        });
        Assert.Equal(124, run.Status);
        var inputs = File.ReadAllLines(trace, Encoding.UTF8).Where(l => l.Contains("\"type\":\"input\"")).ToList();
        Assert.Equal(new[]
        {
            "{\"i\":10000000,\"type\":\"input\",\"device\":\"keyboard\",\"scancode\":\"0x2d\",\"action\":\"down\"}",
            "{\"i\":10100000,\"type\":\"input\",\"device\":\"keyboard\",\"scancode\":\"0x2d\",\"action\":\"up\"}",
        }, inputs);
    }

    [Fact]
    public void TheCursesDisplayDrawsTheShellOnTheTerminal()
    {
        using var files = new TempFiles();
        var run = CapturedRun.Execute(new RunOptions
        {
            Kernel = GuestImages.ToyKernel, Append = "shell", Display = Emulator.Host.Display.DisplayKind.Curses,
            InputReplayFile = ShellMachine.WriteScript(files, "echo on the terminal\npoweroff\n"),
            Serial = OutputTarget.None, MaxInstructions = 100_000_000,
        });
        Assert.Equal(0, run.Status);
        Assert.StartsWith("\x1b[?25l\x1b[0m\x1b[2J", run.Stdout);                 // hide the cursor, clear
        Assert.Contains("\x1b[1;1H\x1b[0;97;44m toykernel shell ", run.Stdout);   // the title bar: white on blue
        Assert.Contains("\x1b[0;92;40m> \x1b[0;37;40mecho on the terminal ", run.Stdout); // green prompt, grey text
        Assert.Contains("shell: powering off", run.Stdout);
        Assert.DoesNotContain("ok 1 - ", run.Stdout);                               // no serial console on the terminal
    }

    [Fact]
    public void RestoringAnEarlierStateMakesTheLoggedKeysEnterAgainAtTheirTicks()
    {
        var shell = new ShellMachine();
        var record = new StringWriter();
        shell.Input.RecordTo(record);
        shell.Input.StartLive();
        shell.Machine.Run(5_000_000); // the shell waits for keys
        var saved = Emulator.Core.Snapshots.MachineState.Capture(shell.Machine);
        byte[] ram = (byte[])shell.Machine.Memory.Ram.Clone();
        int serialAtSave = shell.Serial.Length;

        foreach (var key in Emulator.Host.Display.UsKeyboardLayout.Type("echo one\n")) shell.Input.Post(key);
        shell.Machine.Run(20_000_000);
        string first = shell.Serial[serialAtSave..];
        var screen = shell.Platform.Vga.Snapshot();
        var events = shell.Input.Events.ToList();
        Assert.StartsWith("echo one\none\n> ", first); // the prompt came before the save

        // Back to the saved state (what reverse execution does), and forward again with no live input.
        ram.CopyTo(shell.Machine.Memory.Ram, 0);
        saved.Restore(shell.Machine);
        Assert.Equal(0, shell.Input.InjectedCount);
        int serialAtRestore = shell.Serial.Length;
        shell.Machine.Run(20_000_000);
        Assert.Equal(first, shell.Serial[serialAtRestore..]);
        Assert.Equal(screen, shell.Platform.Vga.Snapshot());
        Assert.Equal(events, shell.Input.Events);
        Assert.Equal(events.Count, shell.Input.InjectedCount);
        // Each event was recorded once, not again when it re-entered.
        Assert.Equal(events.Count + 1, record.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries).Length);
    }

    [Fact]
    public void ARunWithReplayedKeysSplitAtASnapshotFileIsTheWholeRun()
    {
        using var files = new TempFiles();
        string keys = ShellMachine.WriteScript(files, "echo before and after\npoweroff\n");
        string snap = files.PathOf("shell.snap");
        // The split falls in the middle of the typing (keys from 10,000,000, one every 100,000).
        var whole = CapturedCli.Emu("run", "-m", "32", "-append", "shell", "-input-replay", keys);
        var first = CapturedCli.Emu("run", "-m", "32", "-append", "shell", "-input-replay", keys, "--max-instructions", "11000000",
            "-snapshot-save", snap);
        var second = CapturedCli.Emu("run", "-m", "32", "-append", "shell", "-input-replay", keys, "-snapshot-load", snap);
        Assert.Equal(0, whole.Status);
        Assert.Equal(124, first.Status);
        Assert.Equal(0, second.Status);
        Assert.Contains("> echo before and after\nbefore and after\n> poweroff\nshell: powering off\n", whole.Stdout);
        Assert.Equal(whole.Stdout, first.Stdout + second.Stdout);
    }

    [Fact]
    public void TheTraceOfASessionReplaysItByteForByte()
    {
        using var files = new TempFiles();
        string keys = ShellMachine.WriteScript(files, "echo from the trace\npoweroff\n");
        string trace1 = files.PathOf("one.jsonl"), trace2 = files.PathOf("two.jsonl");
        var first = CapturedCli.Emu("run", "-m", "32", "-append", "shell", "-input-replay", keys, "-trace", trace1);
        var second = CapturedCli.Emu("run", "-m", "32", "-append", "shell", "-input-replay", trace1, "-trace", trace2);
        Assert.Equal(0, first.Status);
        Assert.Equal(0, second.Status);
        Assert.Contains("> echo from the trace\nfrom the trace\n", first.Stdout);
        Assert.Equal(first.Stdout, second.Stdout);
        Assert.Equal(File.ReadAllBytes(trace1), File.ReadAllBytes(trace2));
        Assert.Equal(ShellMachine.Script("echo from the trace\npoweroff\n").Count - 1, // the last release comes after the power-off
            File.ReadLines(trace1).Count(l => l.Contains("\"type\":\"input\"")));
    }
}
