using System.Diagnostics;
using System.Runtime.InteropServices;
using Emulator.Core.Input;
using Emulator.Devices;
using Serilog;
using Silk.NET.OpenGL;

namespace Emulator.Host.Display;

/// <summary>
/// `-display gl`: a native window (GLFW, OpenGL 3.3) showing the VGA text screen. It runs on its
/// own thread and redraws at <see cref="FramesPerSecond"/> from a snapshot of the text buffer and
/// the CRTC cursor registers (<see cref="VgaText.CaptureScreen"/>), so the CPU never waits for it.
/// The cursor blinks every <see cref="CursorBlinkMilliseconds"/>, blinking characters at half that
/// rate (host time: what the window shows, never what the guest sees). Key presses and releases go
/// to <c>keySink</c> as set-1 scan codes (the input log); closing the window calls <c>onClosed</c>.
/// </summary>
public sealed class GlDisplayWindow : IDisposable
{
    public const int FramesPerSecond = 60;
    public const int CursorBlinkMilliseconds = 267; // 16 frames of the VGA's 60 Hz

    private readonly Func<TextScreen> _capture;
    private readonly Action<KeyInput> _keySink;
    private readonly Action _onClosed;
    private readonly PsfFont _font;
    private readonly string _title;
    private readonly ILogger _log;
    private readonly Thread _thread;
    private readonly ManualResetEventSlim _started = new();
    private Exception? _startError;
    private volatile bool _stop;
    private readonly object _captureLock = new();
    private (TaskCompletionSource<DisplayFrame> Done, bool CursorOn, bool BlinkVisible)? _captureRequest;
    // Kept in fields: GLFW holds the native thunks for as long as the window lives.
    private Glfw.KeyCallback? _keyCallback;
    private Glfw.ErrorCallback? _errorCallback;
    private string? _lastGlfwError;

    private GlDisplayWindow(Func<TextScreen> capture, Action<KeyInput> keySink, Action onClosed, PsfFont font, string title, ILogger log)
    {
        _capture = capture;
        _keySink = keySink;
        _onClosed = onClosed;
        _font = font;
        _title = title;
        _log = log;
        _thread = new Thread(ThreadMain) { IsBackground = true, Name = "emu display (gl)" };
    }

    /// <summary>Opens the window; throws <see cref="DisplayUnavailableException"/> when it cannot.</summary>
    public static GlDisplayWindow Open(Func<TextScreen> capture, Action<KeyInput> keySink, Action onClosed, PsfFont font, string title, ILogger log)
    {
        var w = new GlDisplayWindow(capture, keySink, onClosed, font, title, log);
        w._thread.Start();
        w._started.Wait();
        if (w._startError != null)
        {
            w._thread.Join();
            throw w._startError as DisplayUnavailableException ?? new DisplayUnavailableException(w._startError.Message, w._startError);
        }
        return w;
    }

    /// <summary>
    /// Draws the next frame with the given blink phases, reads it back (glReadPixels) and returns it
    /// with the screen it showed. Fails when the window closes first.
    /// </summary>
    public Task<DisplayFrame> CaptureFrameAsync(bool cursorOn = true, bool blinkVisible = true)
    {
        var done = new TaskCompletionSource<DisplayFrame>(TaskCreationOptions.RunContinuationsAsynchronously);
        lock (_captureLock)
        {
            if (!_thread.IsAlive) done.SetException(new InvalidOperationException("the display window is closed"));
            else _captureRequest = (done, cursorOn, blinkVisible);
        }
        return done.Task;
    }

    private void ThreadMain()
    {
        IntPtr window = IntPtr.Zero;
        GlTextRenderer? renderer = null;
        bool glfwUp = false;
        try
        {
            try
            {
                _errorCallback = (code, description) => _lastGlfwError = $"{Marshal.PtrToStringUTF8(description)} (GLFW error 0x{code:X})";
                Glfw.SetErrorCallback(_errorCallback);
                if (Glfw.Init() == Glfw.False)
                    throw new DisplayUnavailableException($"GLFW could not start: {_lastGlfwError ?? "no reason given"} (is DISPLAY set?)");
                glfwUp = true;
            }
            catch (DllNotFoundException e)
            {
                throw new DisplayUnavailableException("libglfw.so.3 is missing: install Debian's libglfw3 for -display gl", e);
            }
            Glfw.WindowHint(Glfw.ContextVersionMajor, 3);
            Glfw.WindowHint(Glfw.ContextVersionMinor, 3);
            Glfw.WindowHint(Glfw.OpenGlProfile, Glfw.OpenGlCoreProfile);
            Glfw.WindowHint(Glfw.OpenGlForwardCompat, Glfw.True);
            Glfw.WindowHint(Glfw.Resizable, Glfw.True);
            window = Glfw.CreateWindow(GlTextRenderer.Width, GlTextRenderer.Height, _title, IntPtr.Zero, IntPtr.Zero);
            if (window == IntPtr.Zero)
                throw new DisplayUnavailableException($"no OpenGL 3.3 window: {_lastGlfwError ?? "no reason given"}");
            Glfw.MakeContextCurrent(window);
            Glfw.SwapInterval(0); // the loop paces itself
            _keyCallback = OnKey;
            Glfw.SetKeyCallback(window, _keyCallback);
            var gl = GL.GetApi(Glfw.GetProcAddress);
            renderer = new GlTextRenderer(gl, _font);
            _log.Information("Display: {Renderer}, OpenGL {Version}, font {Font}", gl.GetStringS(StringName.Renderer),
                gl.GetStringS(StringName.Version), _font.Source);
        }
        catch (Exception e)
        {
            _startError = e;
            renderer?.Dispose();
            if (window != IntPtr.Zero) Glfw.DestroyWindow(window);
            if (glfwUp) Glfw.Terminate();
            _started.Set();
            return;
        }
        _started.Set();

        try
        {
            RenderLoop(window, renderer);
        }
        catch (Exception e)
        {
            // Never the guest's doing, and never a reason to end the run: the window goes, the machine goes on.
            _log.Error(e, "The display window failed and was closed");
        }
        finally
        {
            lock (_captureLock)
            {
                _captureRequest?.Done.TrySetException(new InvalidOperationException("the display window closed"));
                _captureRequest = null;
            }
            renderer.Dispose();
            Glfw.DestroyWindow(window);
            Glfw.Terminate();
        }
    }

    private void RenderLoop(IntPtr window, GlTextRenderer renderer)
    {
        var clock = Stopwatch.StartNew();
        long frameTicks = Stopwatch.Frequency / FramesPerSecond;
        long next = clock.ElapsedTicks;
        while (!_stop)
        {
            Glfw.PollEvents();
            if (Glfw.WindowShouldClose(window) != Glfw.False)
            {
                _log.Information("Display: the window was closed");
                _stop = true;
                _onClosed();
                break;
            }
            Glfw.GetFramebufferSize(window, out int width, out int height);
            long ms = clock.ElapsedMilliseconds;
            bool cursorOn = ms / CursorBlinkMilliseconds % 2 == 0;
            bool blinkVisible = ms / (2 * CursorBlinkMilliseconds) % 2 == 0;

            (TaskCompletionSource<DisplayFrame> Done, bool CursorOn, bool BlinkVisible)? request;
            lock (_captureLock)
            {
                request = _captureRequest;
                _captureRequest = null;
            }
            var screen = _capture();
            if (request is { } r)
            {
                // Drawn at the renderer's own size so that the read-back is one pixel per font pixel.
                renderer.Draw(screen, r.CursorOn, r.BlinkVisible, GlTextRenderer.Width, GlTextRenderer.Height);
                var pixels = renderer.ReadPixels();
                r.Done.TrySetResult(new DisplayFrame(screen, pixels, GlTextRenderer.Width, GlTextRenderer.Height));
            }
            renderer.Draw(screen, cursorOn, blinkVisible, width, height);
            Glfw.SwapBuffers(window);

            next += frameTicks;
            long wait = next - clock.ElapsedTicks;
            if (wait > 0) Thread.Sleep(TimeSpan.FromTicks(wait * TimeSpan.TicksPerSecond / Stopwatch.Frequency));
            else next = clock.ElapsedTicks; // fell behind: do not try to catch up
        }
    }

    /// <summary>GLFW's key callback (called from native code inside PollEvents: nothing may escape it).</summary>
    private void OnKey(IntPtr window, int key, int scancode, int action, int mods)
    {
        try
        {
            ushort code = GlfwKeyMap.ToScanCode(key);
            if (code == 0) return;
            if (action == Glfw.Press || action == Glfw.Repeat) _keySink(new KeyInput(code, true));
            else if (action == Glfw.Release) _keySink(new KeyInput(code, false));
        }
        catch (Exception e)
        {
            _log.Error(e, "Display: a key event was lost");
        }
    }

    public void Dispose()
    {
        _stop = true;
        if (_thread.IsAlive && Thread.CurrentThread != _thread) _thread.Join(TimeSpan.FromSeconds(5));
        _started.Dispose();
    }
}
