namespace Emulator.Host.Display;

/// <summary>The display could not be opened (no libglfw3, no X display, no OpenGL 3.3, no console font): a usage problem, not a bug.</summary>
public sealed class DisplayUnavailableException(string message, Exception? inner = null) : Exception(message, inner);
