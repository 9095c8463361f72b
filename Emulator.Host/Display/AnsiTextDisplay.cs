using System.Text;
using Emulator.Devices;
using Serilog;

namespace Emulator.Host.Display;

/// <summary>
/// `-display curses`: the 80×25 text screen redrawn on a terminal with ANSI escape sequences, from
/// its own thread at <see cref="FramesPerSecond"/> (only when something changed, and then only the
/// rows that changed), with the VGA colours mapped to the terminal's 16 and the hardware cursor
/// placed and shown as the CRTC registers say. Characters are code page 437 written as UTF-8.
/// </summary>
public sealed class AnsiTextDisplay : IDisposable
{
    public const int FramesPerSecond = 10;

    /// <summary>VGA colour index → ANSI colour index (the VGA has blue at 1, ANSI red).</summary>
    private static readonly int[] AnsiColor = [0, 4, 2, 6, 1, 5, 3, 7];

    private readonly Func<TextScreen> _capture;
    private readonly Stream _output;
    private readonly ILogger _log;
    private readonly Thread _thread;
    private readonly ManualResetEventSlim _stop = new();
    private TextScreen? _shown;

    private AnsiTextDisplay(Func<TextScreen> capture, Stream output, ILogger log)
    {
        _capture = capture;
        _output = output;
        _log = log;
        _thread = new Thread(Loop) { IsBackground = true, Name = "emu display (curses)" };
    }

    public static AnsiTextDisplay Start(Func<TextScreen> capture, Stream output, ILogger log)
    {
        var d = new AnsiTextDisplay(capture, output, log);
        d.Write("\x1b[?25l\x1b[0m\x1b[2J");
        d._thread.Start();
        return d;
    }

    /// <summary>The escape sequences that bring a terminal showing <paramref name="previous"/> (null: garbage) to <paramref name="screen"/>.</summary>
    public static string Render(TextScreen screen, TextScreen? previous)
    {
        var sb = new StringBuilder();
        for (int row = 0; row < TextScreen.Rows; row++)
        {
            if (previous != null && RowEquals(screen, previous, row)) continue;
            sb.Append("\x1b[").Append(row + 1).Append(";1H");
            int attr = -1;
            for (int col = 0; col < TextScreen.Columns; col++)
            {
                var cell = screen[row, col];
                if (cell.Attribute != attr)
                {
                    attr = cell.Attribute;
                    int fg = attr & 15, bg = (attr >> 4) & 7;
                    sb.Append("\x1b[0;").Append(fg >= 8 ? 90 + AnsiColor[fg - 8] : 30 + AnsiColor[fg])
                      .Append(';').Append(40 + AnsiColor[bg]);
                    if ((attr & 0x80) != 0) sb.Append(";5");
                    sb.Append('m');
                }
                char c = cell.UnicodeChar;
                sb.Append(c < ' ' ? ' ' : c);
            }
        }
        sb.Append("\x1b[0m");
        if (screen.CursorShown) sb.Append("\x1b[").Append(screen.CursorRow + 1).Append(';').Append(screen.CursorColumn + 1).Append("H\x1b[?25h");
        else sb.Append("\x1b[?25l");
        return sb.ToString();
    }

    private static bool RowEquals(TextScreen a, TextScreen b, int row)
    {
        for (int col = 0; col < TextScreen.Columns; col++)
            if (a[row, col] != b[row, col]) return false;
        return true;
    }

    private static bool SameScreen(TextScreen a, TextScreen b) =>
        a.Cells.AsSpan().SequenceEqual(b.Cells) && a.CursorRow == b.CursorRow && a.CursorColumn == b.CursorColumn &&
        a.CursorStart == b.CursorStart && a.CursorEnd == b.CursorEnd;

    private void Loop()
    {
        try
        {
            do Refresh();
            while (!_stop.Wait(1000 / FramesPerSecond));
        }
        catch (Exception e) when (e is IOException or ObjectDisposedException or NotSupportedException)
        {
            _log.Debug("The terminal display stopped: {Message}", e.Message);
        }
    }

    private void Refresh()
    {
        var screen = _capture();
        if (_shown != null && SameScreen(screen, _shown)) return;
        Write(Render(screen, _shown));
        _shown = screen;
    }

    private void Write(string s)
    {
        var bytes = Encoding.UTF8.GetBytes(s);
        lock (_output)
        {
            _output.Write(bytes);
            _output.Flush();
        }
    }

    public void Dispose()
    {
        _stop.Set();
        _thread.Join(TimeSpan.FromSeconds(2));
        try
        {
            if (!_thread.IsAlive) Refresh(); // the last screen, however short the run was
            Write($"\x1b[0m\x1b[{TextScreen.Rows + 1};1H\x1b[?25h\n");
        }
        catch (Exception e) when (e is IOException or ObjectDisposedException or NotSupportedException) { }
        _stop.Dispose();
    }
}
