namespace Emulator.Host.Display;

/// <summary>The 16 colours of the VGA text modes (the BIOS's default palette), as 0xRRGGBB.</summary>
public static class VgaPalette
{
    public static readonly int[] Rgb =
    [
        0x000000, 0x0000AA, 0x00AA00, 0x00AAAA, 0xAA0000, 0xAA00AA, 0xAA5500, 0xAAAAAA,
        0x555555, 0x5555FF, 0x55FF55, 0x55FFFF, 0xFF5555, 0xFF55FF, 0xFFFF55, 0xFFFFFF,
    ];

    public static (byte R, byte G, byte B) Color(int index)
    {
        int v = Rgb[index & 15];
        return ((byte)(v >> 16), (byte)(v >> 8), (byte)v);
    }
}
