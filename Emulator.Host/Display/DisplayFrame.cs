using Emulator.Devices;

namespace Emulator.Host.Display;

/// <summary>One frame the window drew: the screen it drew and the pixels read back (RGBA, top row first).</summary>
public sealed record DisplayFrame(TextScreen Screen, byte[] Rgba, int Width, int Height);
