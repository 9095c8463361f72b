namespace Emulator.Host.Display;

/// <summary>
/// GLFW key codes (glfw3.h, named after the US layout's keys, whatever the host's layout) to scan
/// code set 1 (0xE0nn for the extended keys). Keys a PC keyboard lacks map to 0.
/// </summary>
public static class GlfwKeyMap
{
    private static readonly Dictionary<int, ushort> Map = Build();

    /// <summary>The set-1 scan code of GLFW key <paramref name="glfwKey"/>, 0 when it has none.</summary>
    public static ushort ToScanCode(int glfwKey) => Map.TryGetValue(glfwKey, out var code) ? code : (ushort)0;

    private static Dictionary<int, ushort> Build()
    {
        var m = new Dictionary<int, ushort>
        {
            [32] = 0x39,  // space
            [39] = 0x28,  // '
            [44] = 0x33,  // ,
            [45] = 0x0C,  // -
            [46] = 0x34,  // .
            [47] = 0x35,  // /
            [48] = 0x0B,  // 0
            [59] = 0x27,  // ;
            [61] = 0x0D,  // =
            [91] = 0x1A,  // [
            [92] = 0x2B,  // backslash
            [93] = 0x1B,  // ]
            [96] = 0x29,  // `
            [162] = 0x56, // the 102nd key (world 2)
            [256] = 0x01, // escape
            [257] = 0x1C, // enter
            [258] = 0x0F, // tab
            [259] = 0x0E, // backspace
            [260] = 0xE052, [261] = 0xE053, // insert, delete
            [262] = 0xE04D, [263] = 0xE04B, [264] = 0xE050, [265] = 0xE048, // right, left, down, up
            [266] = 0xE049, [267] = 0xE051, [268] = 0xE047, [269] = 0xE04F, // page up, page down, home, end
            [280] = 0x3A, [281] = 0x46, [282] = 0x45, // caps lock, scroll lock, num lock
            [290] = 0x3B, [291] = 0x3C, [292] = 0x3D, [293] = 0x3E, [294] = 0x3F, [295] = 0x40, // F1–F6
            [296] = 0x41, [297] = 0x42, [298] = 0x43, [299] = 0x44, [300] = 0x57, [301] = 0x58, // F7–F12
            [330] = 0x53, [331] = 0xE035, [332] = 0x37, [333] = 0x4A, [334] = 0x4E, [335] = 0xE01C, // KP . / * - + Enter
            [340] = 0x2A, [341] = 0x1D, [342] = 0x38, [343] = 0xE05B, // left shift, ctrl, alt, super
            [344] = 0x36, [345] = 0xE01D, [346] = 0xE038, [347] = 0xE05C, [348] = 0xE05D, // right shift, ctrl, alt, super; menu
        };
        // 1–9: set 1 codes 0x02–0x0A.
        for (int k = 49; k <= 57; k++) m[k] = (ushort)(0x02 + k - 49);
        // A–Z (GLFW 65–90) in keyboard order.
        const string letters = "ABCDEFGHIJKLMNOPQRSTUVWXYZ";
        byte[] letterCodes =
        [
            0x1E, 0x30, 0x2E, 0x20, 0x12, 0x21, 0x22, 0x23, 0x17, 0x24, 0x25, 0x26, 0x32,
            0x31, 0x18, 0x19, 0x10, 0x13, 0x1F, 0x14, 0x16, 0x2F, 0x11, 0x2D, 0x15, 0x2C,
        ];
        for (int i = 0; i < letters.Length; i++) m[letters[i]] = letterCodes[i];
        // Keypad 0–9 (GLFW 320–329).
        byte[] keypad = [0x52, 0x4F, 0x50, 0x51, 0x4B, 0x4C, 0x4D, 0x47, 0x48, 0x49];
        for (int i = 0; i < 10; i++) m[320 + i] = keypad[i];
        return m;
    }
}
