using Emulator.Core.Input;
using Serilog;

namespace Emulator.Host.Display;

/// <summary>
/// The keys typed at the terminal under `-display curses`, as a PC keyboard would send them: each
/// character becomes a press and a release (with Shift around it when the US layout needs it);
/// arrows and the navigation keys become their extended keys. Reads on a background thread.
/// </summary>
public static class TerminalKeyReader
{
    public static void Start(Action<KeyInput> keySink, ILogger log)
    {
        if (Console.IsInputRedirected)
        {
            log.Information("Display: standard input is not a terminal; no keys are read from it");
            return;
        }
        var thread = new Thread(() =>
        {
            try
            {
                while (true)
                {
                    var info = Console.ReadKey(intercept: true);
                    foreach (var key in KeysFor(info)) keySink(key);
                }
            }
            catch (Exception e) when (e is IOException or InvalidOperationException)
            {
                log.Debug("Terminal key input stopped: {Message}", e.Message);
            }
        })
        {
            IsBackground = true,
            Name = "emu terminal keys",
        };
        thread.Start();
    }

    /// <summary>The key events for one key the terminal reported.</summary>
    public static IEnumerable<KeyInput> KeysFor(ConsoleKeyInfo info)
    {
        ushort extended = info.Key switch
        {
            ConsoleKey.UpArrow => 0xE048, ConsoleKey.DownArrow => 0xE050, ConsoleKey.LeftArrow => 0xE04B,
            ConsoleKey.RightArrow => 0xE04D, ConsoleKey.Home => 0xE047, ConsoleKey.End => 0xE04F,
            ConsoleKey.PageUp => 0xE049, ConsoleKey.PageDown => 0xE051, ConsoleKey.Insert => 0xE052,
            ConsoleKey.Delete => 0xE053,
            _ => 0,
        };
        if (extended != 0) return [new KeyInput(extended, true), new KeyInput(extended, false)];
        char c = info.Key switch
        {
            ConsoleKey.Enter => '\n', ConsoleKey.Backspace => '\b', ConsoleKey.Tab => '\t', ConsoleKey.Escape => '\x1b',
            _ => info.KeyChar,
        };
        return UsKeyboardLayout.Type(c.ToString());
    }
}
