namespace Emulator.Host.Display;

/// <summary>`emu run -display`: none (the default), gl (a native OpenGL window) or curses (the text screen redrawn on the terminal).</summary>
public enum DisplayKind { None, Gl, Curses }
