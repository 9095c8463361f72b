using Emulator.Core.Input;

namespace Emulator.Host.Display;

/// <summary>
/// Which keys type a character on a US keyboard, as set-1 scan codes: for turning text (a
/// terminal's characters, a test's script) into the key presses and releases a PC keyboard sends.
/// </summary>
public static class UsKeyboardLayout
{
    public const ushort LeftShift = 0x2A;

    private const string Plain = "\x1b" + "1234567890-=\b\tqwertyuiop[]\n" + "asdfghjkl;'`" + "\\zxcvbnm,./ ";
    private const string Shifted = "\x1b" + "!@#$%^&*()_+\b\tQWERTYUIOP{}\n" + "ASDFGHJKL:\"~" + "|ZXCVBNM<>? ";
    private static readonly byte[] Codes =
    [
        0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08, 0x09, 0x0A, 0x0B, 0x0C, 0x0D, 0x0E, 0x0F,
        0x10, 0x11, 0x12, 0x13, 0x14, 0x15, 0x16, 0x17, 0x18, 0x19, 0x1A, 0x1B, 0x1C,
        0x1E, 0x1F, 0x20, 0x21, 0x22, 0x23, 0x24, 0x25, 0x26, 0x27, 0x28, 0x29,
        0x2B, 0x2C, 0x2D, 0x2E, 0x2F, 0x30, 0x31, 0x32, 0x33, 0x34, 0x35, 0x39,
    ];

    /// <summary>The key of <paramref name="c"/> and whether Shift is held for it; false for a character no key types.</summary>
    public static bool TryGetKey(char c, out ushort scanCode, out bool shift)
    {
        if (c == '\r') c = '\n';
        int i = Plain.IndexOf(c);
        shift = i < 0;
        if (i < 0) i = Shifted.IndexOf(c);
        scanCode = i >= 0 ? Codes[i] : (ushort)0;
        return i >= 0;
    }

    /// <summary>The key events that type <paramref name="text"/> (characters no key types are skipped).</summary>
    public static IEnumerable<KeyInput> Type(string text)
    {
        foreach (char c in text)
        {
            if (!TryGetKey(c, out ushort code, out bool shift)) continue;
            if (shift) yield return new KeyInput(LeftShift, true);
            yield return new KeyInput(code, true);
            yield return new KeyInput(code, false);
            if (shift) yield return new KeyInput(LeftShift, false);
        }
    }
}
