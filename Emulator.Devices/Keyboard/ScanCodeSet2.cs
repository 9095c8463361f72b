namespace Emulator.Devices;

/// <summary>
/// Scan code set 2 (what a PS/2 keyboard sends by default) against set 1 (what the 8042 hands the
/// CPU when its translation bit is on). The table lists the set-2 code of every set-1 key
/// 0x01–0x58 of a 102-key keyboard; an extended key (E0 prefix) keeps its prefix and uses the code
/// of its base key, except the three Windows keys, which have no base key. A break is F0 before the
/// code in set 2, the code with bit 7 set in set 1.
/// </summary>
public static class ScanCodeSet2
{
    private static readonly byte[] FromSet1 =
    [
        // 0x00–0x0F: -, Esc, 1 2 3 4 5 6 7 8 9 0 - =, Backspace, Tab
        0x00, 0x76, 0x16, 0x1E, 0x26, 0x25, 0x2E, 0x36, 0x3D, 0x3E, 0x46, 0x45, 0x4E, 0x55, 0x66, 0x0D,
        // 0x10–0x1F: Q W E R T Y U I O P [ ], Enter, LCtrl, A S
        0x15, 0x1D, 0x24, 0x2D, 0x2C, 0x35, 0x3C, 0x43, 0x44, 0x4D, 0x54, 0x5B, 0x5A, 0x14, 0x1C, 0x1B,
        // 0x20–0x2F: D F G H J K L ; ' `, LShift, \, Z X C V
        0x23, 0x2B, 0x34, 0x33, 0x3B, 0x42, 0x4B, 0x4C, 0x52, 0x0E, 0x12, 0x5D, 0x1A, 0x22, 0x21, 0x2A,
        // 0x30–0x3F: B N M , . /, RShift, KP*, LAlt, Space, CapsLock, F1 F2 F3 F4 F5
        0x32, 0x31, 0x3A, 0x41, 0x49, 0x4A, 0x59, 0x7C, 0x11, 0x29, 0x58, 0x05, 0x06, 0x04, 0x0C, 0x03,
        // 0x40–0x4F: F6 F7 F8 F9 F10, NumLock, ScrollLock, KP7 KP8 KP9 KP- KP4 KP5 KP6 KP+ KP1
        0x0B, 0x83, 0x0A, 0x01, 0x09, 0x77, 0x7E, 0x6C, 0x75, 0x7D, 0x7B, 0x6B, 0x73, 0x74, 0x79, 0x69,
        // 0x50–0x58: KP2 KP3 KP0 KP., -, -, the 102nd key (<>), F11 F12
        0x72, 0x7A, 0x70, 0x71, 0x00, 0x00, 0x61, 0x78, 0x07,
    ];

    private static readonly byte[] ToSet1 = BuildInverse();

    private static byte[] BuildInverse()
    {
        var inverse = new byte[256];
        for (int i = 1; i < FromSet1.Length; i++)
            if (FromSet1[i] != 0) inverse[FromSet1[i]] = (byte)i;
        inverse[0x1F] = 0x5B; // left Windows (E0 only)
        inverse[0x27] = 0x5C; // right Windows (E0 only)
        inverse[0x2F] = 0x5D; // menu (E0 only)
        return inverse;
    }

    /// <summary>The set-2 code of a set-1 code (without prefixes or break bits); 0 when the key has none.</summary>
    public static byte FromSet1Code(byte set1, bool extended)
    {
        if (extended)
        {
            switch (set1)
            {
                case 0x5B: return 0x1F;
                case 0x5C: return 0x27;
                case 0x5D: return 0x2F;
            }
        }
        return set1 < FromSet1.Length ? FromSet1[set1] : (byte)0;
    }

    /// <summary>What the 8042's translation makes of a set-2 code byte (below 0x80 the set-1 code; 0 when unknown).</summary>
    public static byte ToSet1Code(byte set2) => ToSet1[set2];
}
