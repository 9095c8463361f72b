namespace Emulator.Core.Input;

/// <summary>
/// One key going down or up, named by its scan code in set 1 (the codes a PC's 8042 delivers with
/// translation on): 0x01–0x7F for the main keys, 0xE0nn for the extended keys that send an E0
/// prefix (arrows, right Ctrl/Alt, the navigation block, keypad Enter and /).
/// </summary>
public readonly record struct KeyInput(ushort ScanCode, bool Pressed)
{
    /// <summary>True for an extended key (sent with an E0 prefix).</summary>
    public bool Extended => (ScanCode & 0xFF00) == 0xE000;

    /// <summary>The code without the E0 prefix (0x01–0x7F).</summary>
    public byte Code => (byte)ScanCode;

    /// <summary>True when the scan code names a key: 0x01–0x7F, optionally with the E0 prefix.</summary>
    public static bool IsValidScanCode(ushort scanCode) =>
        (scanCode & 0xFF00) is 0 or 0xE000 && (scanCode & 0xFF) is >= 0x01 and <= 0x7F;
}
