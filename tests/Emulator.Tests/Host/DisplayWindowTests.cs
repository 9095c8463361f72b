using System.Buffers.Binary;
using System.IO.Compression;
using Emulator.Devices;
using Emulator.Host.Cli;
using Emulator.Host.Display;
using Emulator.Tests.Support;
using Serilog.Core;
using Xunit.Abstractions;

namespace Emulator.Tests.Host;

/// <summary>
/// `-display gl` under a private Xvfb (Mesa's software OpenGL): the window draws the toy kernel's
/// shell screen, the framebuffer read back with glReadPixels matches, pixel for pixel, the font's
/// glyph of every cell's character in the cell's colours, and a screenshot is saved as a PNG.
/// </summary>
public class DisplayWindowTests(ITestOutputHelper output)
{
    /// <summary>Where the screenshot of <see cref="TheWindowShowsEveryCellOfTheTextBuffer"/> is saved.</summary>
    public static string ScreenshotPath => Path.Combine(AppContext.BaseDirectory, "artifacts", "display-toykernel-shell.png");

    [XvfbFact]
    public async Task TheWindowShowsEveryCellOfTheTextBuffer()
    {
        using var x = XvfbServer.Start();
        x.UseForThisProcess();
        var shell = new ShellMachine();
        shell.Input.Replay(ShellMachine.Script("echo The quick brown fox: 0123456789 !@#$%^&*()\ncolors\n"));
        shell.Machine.Run(80_000_000); // the shell now waits for keys: the screen stays as it is
        var vga = shell.Platform.Vga;
        Assert.Equal("> echo The quick brown fox: 0123456789 !@#$%^&*()", vga.RenderLines()[2]);

        var font = PsfFont.LoadDefault();
        using var window = GlDisplayWindow.Open(vga.CaptureScreen, _ => { }, () => { }, font, "emu test", Logger.None);
        var frame = await window.CaptureFrameAsync(cursorOn: true, blinkVisible: true).WaitAsync(TimeSpan.FromSeconds(30));

        Directory.CreateDirectory(Path.GetDirectoryName(ScreenshotPath)!);
        PngWriter.Write(ScreenshotPath, frame.Rgba, frame.Width, frame.Height);
        output.WriteLine($"screenshot: {ScreenshotPath}");

        // The frame shows the buffer as it is (the machine is stopped).
        Assert.Equal(vga.Snapshot(), frame.Screen.Cells);
        Assert.Equal((640, 400), (frame.Width, frame.Height));
        Assert.True(frame.Screen.CursorShown);

        var (mismatches, lit, first) = CompareWithFont(frame, font, cursorOn: true, blinkVisible: true);
        Assert.True(mismatches == 0, $"{mismatches} pixels differ; first: {first}");
        Assert.True(lit > 5000, $"only {lit} foreground pixels: the screen is nearly empty");
        // The colours test shows all 16 foreground colours on 8 backgrounds (rows 5-12 after the echo).
        var colours = Enumerable.Range(0, 16).Select(fg => frame.Screen[5 + 3, fg].Attribute).ToArray();
        Assert.Equal(Enumerable.Range(0, 16).Select(fg => (byte)(3 << 4 | fg)).ToArray(), colours);

        // The PNG holds the same pixels.
        Assert.Equal(frame.Rgba, DecodePng(ScreenshotPath, out int w, out int h));
        Assert.Equal((640, 400), (w, h));
    }

    [XvfbFact]
    public async Task EveryCharacterAndAttributeIsDrawnWithBlinkAndCursorPhases()
    {
        using var x = XvfbServer.Start();
        x.UseForThisProcess();
        // 2000 cells: every character code, every attribute (blinking ones included), the cursor a block on row 3.
        var cells = new TextCell[TextScreen.Rows * TextScreen.Columns];
        for (int i = 0; i < cells.Length; i++) cells[i] = new TextCell((byte)i, (byte)(i * 7 + i / 256));
        var screen = new TextScreen(cells, 3, 17, 0, 15);
        var font = PsfFont.LoadDefault();
        using var window = GlDisplayWindow.Open(() => screen, _ => { }, () => { }, font, "emu test", Logger.None);
        foreach (var (cursorOn, blinkVisible) in new[] { (false, false), (true, false), (false, true) })
        {
            var frame = await window.CaptureFrameAsync(cursorOn, blinkVisible).WaitAsync(TimeSpan.FromSeconds(30));
            var (mismatches, lit, first) = CompareWithFont(frame, font, cursorOn, blinkVisible);
            Assert.True(mismatches == 0, $"cursor {cursorOn}, blink {blinkVisible}: {mismatches} pixels differ; first: {first}");
            Assert.True(lit > 10000, $"only {lit} foreground pixels");
        }
    }

    /// <summary>
    /// Compares every pixel of a frame with what the VGA shows: the font's glyph bit in the cell's
    /// foreground colour, else its background (3 bits: attribute bit 7 blinks the character), the
    /// cursor's scanlines in the foreground colour when its phase is on.
    /// </summary>
    private static (int Mismatches, int Lit, string? First) CompareWithFont(DisplayFrame frame, PsfFont font, bool cursorOn, bool blinkVisible)
    {
        int mismatches = 0, lit = 0;
        string? first = null;
        var s = frame.Screen;
        for (int row = 0; row < TextScreen.Rows; row++)
            for (int col = 0; col < TextScreen.Columns; col++)
            {
                var cell = s[row, col];
                bool cursorCell = cursorOn && s.CursorShown && row == s.CursorRow && col == s.CursorColumn;
                bool hidden = (cell.Attribute & 0x80) != 0 && !blinkVisible;
                for (int y = 0; y < 16; y++)
                    for (int xPixel = 0; xPixel < 8; xPixel++)
                    {
                        bool on = (font.Pixel(cell.Character, xPixel, y) && !hidden) ||
                                  (cursorCell && y >= s.CursorStart && y <= s.CursorEnd);
                        var expected = VgaPalette.Color(on ? cell.Foreground : cell.Background & 7);
                        int i = ((row * 16 + y) * frame.Width + col * 8 + xPixel) * 4;
                        var actual = (frame.Rgba[i], frame.Rgba[i + 1], frame.Rgba[i + 2]);
                        if (on) lit++;
                        if (actual != expected)
                        {
                            mismatches++;
                            first ??= $"cell ({row},{col}) char 0x{cell.Character:X2} attr 0x{cell.Attribute:X2} pixel ({xPixel},{y}): {actual} != {expected}";
                        }
                    }
            }
        return (mismatches, lit, first);
    }

    [XvfbFact(NeedsXdotool = true)]
    public void KeysTypedIntoTheWindowReachTheShellAndTheRecordReplaysThem()
    {
        using var x = XvfbServer.Start();
        x.UseForThisProcess();
        var shell = new ShellMachine();
        var record = new StringWriter();
        shell.Input.RecordTo(record);
        shell.Input.StartLive();
        string title = $"emu test {Guid.NewGuid():N}";
        using var window = GlDisplayWindow.Open(shell.Platform.Vga.CaptureScreen, shell.Input.Post, () => { }, PsfFont.LoadDefault(),
            title, Logger.None);
        Emulator.Core.Machine.MachineExit exit = default;
        var machineThread = new Thread(() => exit = shell.Machine.Run(20_000_000_000)) { IsBackground = true };
        machineThread.Start();
        try
        {
            // The shell is ready (halted, waiting for keys) well before 5 million instructions.
            var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
            while (!(shell.Machine.Cpu.Halted && shell.Machine.InstructionsRetired > 5_000_000) && DateTime.UtcNow < deadline) Thread.Sleep(10);

            string windowId = Xdotool(x, "search", "--sync", "--name", title).Trim().Split('\n')[0];
            Xdotool(x, "windowfocus", "--sync", windowId);
            Xdotool(x, "type", "--delay", "20", "echo Typed, Shifted!");
            Xdotool(x, "key", "Return");
            Xdotool(x, "type", "--delay", "20", "poweroff");
            Xdotool(x, "key", "Return");
            Assert.True(machineThread.Join(TimeSpan.FromSeconds(60)), "the shell did not power off");
        }
        finally
        {
            shell.Machine.Interrupt(); // a failed test leaves no machine running
            machineThread.Join(TimeSpan.FromSeconds(10));
        }
        Assert.Equal(Emulator.Core.Machine.ExitKind.PowerOff, exit.Kind);
        string serial = shell.Serial;
        Assert.Contains("> echo Typed, Shifted!\nTyped, Shifted!\n> poweroff\nshell: powering off\n", serial);

        // The record replays the session exactly.
        var replay = new ShellMachine();
        replay.Input.Replay(Emulator.Core.Input.InputLogFile.Parse(new StringReader(record.ToString())));
        Assert.Equal(Emulator.Core.Machine.ExitKind.PowerOff, replay.Machine.Run(20_000_000_000).Kind);
        Assert.Equal(serial, replay.Serial);
        Assert.Equal(shell.Machine.InstructionsRetired, replay.Machine.InstructionsRetired);
    }

    private static string Xdotool(XvfbServer x, params string[] args)
    {
        var psi = new System.Diagnostics.ProcessStartInfo(XvfbServer.FindExecutable("xdotool")!) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in args) psi.ArgumentList.Add(a);
        psi.Environment["DISPLAY"] = x.Display;
        using var p = System.Diagnostics.Process.Start(psi)!;
        string output = p.StandardOutput.ReadToEnd();
        string error = p.StandardError.ReadToEnd();
        Assert.True(p.WaitForExit(30_000), $"xdotool {string.Join(' ', args)} did not finish");
        Assert.True(p.ExitCode == 0, $"xdotool {string.Join(' ', args)}: exit {p.ExitCode} {error}");
        return output;
    }

    [XvfbFact]
    public void EmuRunWithTheGlDisplayRunsTheReplayedSession()
    {
        using var x = XvfbServer.Start();
        x.UseForThisProcess();
        using var files = new TempFiles();
        string log = ShellMachine.WriteScript(files, "echo shown\npoweroff\n");
        var run = CapturedRun.Execute(new RunOptions
        {
            Kernel = GuestImages.ToyKernel, Append = "shell", Display = DisplayKind.Gl, InputReplayFile = log,
            MaxInstructions = 200_000_000,
        });
        Assert.True(run.Status == 0, run.Stderr);
        Assert.Contains("> echo shown\nshown\n> poweroff\nshell: powering off\n", run.Stdout);
    }

    [Fact]
    public void WithoutAnXServerEmuRunSaysWhyAndExitsWith2()
    {
        var psi = new System.Diagnostics.ProcessStartInfo("dotnet")
        {
            ArgumentList = { Path.Combine(AppContext.BaseDirectory, "emu.dll"), "run", "-display", "gl", "-serial", "none" },
            RedirectStandardError = true,
            RedirectStandardOutput = true,
        };
        psi.Environment.Remove("DISPLAY");
        psi.Environment.Remove("WAYLAND_DISPLAY");
        using var p = System.Diagnostics.Process.Start(psi)!;
        string stderr = p.StandardError.ReadToEnd();
        p.StandardOutput.ReadToEnd();
        Assert.True(p.WaitForExit(60_000));
        Assert.Equal(2, p.ExitCode);
        Assert.StartsWith("emu: cannot open the display (-display): ", stderr);
        Assert.Contains("DISPLAY", stderr);
    }

    /// <summary>Reads back a PNG written by <see cref="PngWriter"/> (RGBA, filter 0 on every row), checking every chunk's CRC.</summary>
    private static byte[] DecodePng(string path, out int width, out int height)
    {
        var data = File.ReadAllBytes(path);
        Assert.Equal(new byte[] { 0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A }, data[..8]);
        int p = 8;
        width = height = 0;
        var idat = new MemoryStream();
        while (p < data.Length)
        {
            int length = BinaryPrimitives.ReadInt32BigEndian(data.AsSpan(p));
            string type = System.Text.Encoding.ASCII.GetString(data, p + 4, 4);
            var body = data.AsSpan(p + 8, length);
            uint crc = BinaryPrimitives.ReadUInt32BigEndian(data.AsSpan(p + 8 + length));
            Assert.Equal(PngWriter.Crc32(data.AsSpan(p + 4, length + 4)), crc);
            if (type == "IHDR")
            {
                width = BinaryPrimitives.ReadInt32BigEndian(body);
                height = BinaryPrimitives.ReadInt32BigEndian(body[4..]);
                Assert.Equal(8, body[8]);
                Assert.Equal(6, body[9]);
            }
            if (type == "IDAT") idat.Write(body);
            p += 12 + length;
        }
        idat.Position = 0;
        using var z = new ZLibStream(idat, CompressionMode.Decompress);
        var raw = new MemoryStream();
        z.CopyTo(raw);
        var rows = raw.ToArray();
        var rgba = new byte[width * height * 4];
        for (int y = 0; y < height; y++)
        {
            Assert.Equal(0, rows[y * (width * 4 + 1)]);
            Array.Copy(rows, y * (width * 4 + 1) + 1, rgba, y * width * 4, width * 4);
        }
        return rgba;
    }
}
