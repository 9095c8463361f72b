using Emulator.Core.Input;
using Emulator.Core.Machine;
using Emulator.Core.Tracing;
using Emulator.Devices;
using Emulator.Host.Cli;
using Serilog;

namespace Emulator.Host.Display;

/// <summary>
/// The display and the keyboard input of one `emu run`: the input log (live keys from the window
/// or the terminal, -input-record, -input-replay) feeding the 8042, and the window or terminal
/// display showing the VGA text screen. Null when the run has neither a display nor a replay.
/// </summary>
public sealed class DisplaySession : IDisposable
{
    public HostInputLog Input { get; }
    private GlDisplayWindow? _window;
    private AnsiTextDisplay? _terminal;
    private StreamWriter? _record;

    private DisplaySession(HostInputLog input) => Input = input;

    /// <summary>
    /// Sets up input and display. Throws <see cref="DisplayUnavailableException"/> when the display
    /// cannot be opened and <see cref="FormatException"/> or <see cref="IOException"/> for a bad
    /// input log. With <paramref name="readTerminalKeys"/>, -display curses reads this process's
    /// terminal: only when it is the run's console (a test's in-memory console has none, and a
    /// reader blocked in Console.ReadKey would hold the console for the whole process).
    /// </summary>
    public static DisplaySession? Start(RunOptions options, Machine machine, PcPlatform platform, TraceRecording? recording,
        Stream terminal, bool readTerminalKeys, string title, ILogger log)
    {
        if (options.Display == DisplayKind.None && options.InputReplayFile == null) return null;
        var input = platform.Input;
        var session = new DisplaySession(input);
        try
        {
            if (recording != null) input.Injected = e => recording.Emit(new InputEvent(e.Tick, e.Key.ScanCode, e.Key.Pressed));
            bool replaying = options.InputReplayFile != null;
            if (replaying)
            {
                var events = InputLogFile.ParseFile(options.InputReplayFile!);
                input.Replay(events);
                log.Information("Replaying {Count} key events from {File}", events.Count, options.InputReplayFile);
            }
            if (options.InputRecordFile != null) input.RecordTo(session._record = new StreamWriter(options.InputRecordFile));
            if (options.Display != DisplayKind.None && !replaying) input.StartLive();

            Action<KeyInput> keySink = replaying
                ? _ => log.Debug("Display: a key typed while replaying is ignored")
                : input.Post;
            switch (options.Display)
            {
                case DisplayKind.Gl:
                    PsfFont font;
                    try { font = PsfFont.LoadDefault(); }
                    catch (Exception e) when (e is IOException or InvalidDataException or UnauthorizedAccessException)
                    {
                        throw new DisplayUnavailableException(e.Message, e);
                    }
                    session._window = GlDisplayWindow.Open(platform.Vga.CaptureScreen, keySink, machine.Interrupt, font, title, log);
                    break;
                case DisplayKind.Curses:
                    session._terminal = AnsiTextDisplay.Start(platform.Vga.CaptureScreen, terminal, log);
                    if (!replaying && readTerminalKeys) TerminalKeyReader.Start(keySink, log);
                    break;
            }
            return session;
        }
        catch
        {
            session.Dispose();
            throw;
        }
    }

    public void Dispose()
    {
        _window?.Dispose();
        _terminal?.Dispose();
        _record?.Dispose();
    }
}
