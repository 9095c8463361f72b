namespace Emulator.Devices;

/// <summary>One character cell of the VGA text buffer: the character code (code page 437) and its attribute byte.</summary>
public readonly record struct TextCell(byte Character, byte Attribute)
{
    public char UnicodeChar => CodePage437.ToChar(Character);
    public int Foreground => Attribute & 0x0F;
    public int Background => (Attribute >> 4) & 0x0F;
}
