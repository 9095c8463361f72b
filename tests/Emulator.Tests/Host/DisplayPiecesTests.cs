using System.IO.Compression;
using System.Text;
using Emulator.Core.Input;
using Emulator.Devices;
using Emulator.Host.Display;

namespace Emulator.Tests.Host;

/// <summary>The display's parts that need no window: the PSF loader, key maps, the terminal renderer.</summary>
public class DisplayPiecesTests
{
    /// <summary>A PSF font whose glyph N has the byte N in every row (glyph 'A' = 0x41 in all 16 rows).</summary>
    private static byte[] Psf2(int glyphs, byte[]? unicodeTable = null)
    {
        var ms = new MemoryStream();
        var w = new BinaryWriter(ms);
        w.Write(0x864AB572u); w.Write(0u); w.Write(32u); w.Write(unicodeTable != null ? 1u : 0u);
        w.Write((uint)glyphs); w.Write(16u); w.Write(16u); w.Write(8u);
        for (int g = 0; g < glyphs; g++)
            for (int r = 0; r < 16; r++) w.Write((byte)g);
        if (unicodeTable != null) w.Write(unicodeTable);
        return ms.ToArray();
    }

    [Fact]
    public void Psf2WithoutATableIsIndexedByCharacterCode()
    {
        var font = PsfFont.Parse(Psf2(256), "test.psf");
        Assert.Equal(16, font.Height);
        Assert.Equal(0x41, font.GlyphRow(0x41, 7));
        Assert.True(font.Pixel(0x80, 0, 0));  // 0x80: only the leftmost pixel
        Assert.False(font.Pixel(0x80, 1, 0));
        Assert.True(font.Pixel(0x01, 7, 15)); // 0x01: only the rightmost
    }

    [Fact]
    public void AUnicodeTableMapsCodePage437ToItsGlyphs()
    {
        // 300 glyphs; the table gives glyph 0 U+263A (CP437 0x01) and glyph 299 U+00C7 (CP437 0x80), others nothing.
        var table = new List<byte>();
        for (int g = 0; g < 300; g++)
        {
            if (g == 0) table.AddRange(Encoding.UTF8.GetBytes("\u263A"));
            if (g == 299) table.AddRange(Encoding.UTF8.GetBytes("\u00C7"));
            if (g == 0x3F) table.AddRange(Encoding.UTF8.GetBytes("?"));
            table.Add(0xFF);
        }
        var data = Psf2(300, table.ToArray());
        // Glyph 299's rows hold 299 & 0xFF = 0x2B.
        var font = PsfFont.Parse(data, "test.psf");
        Assert.Equal(0x2B, font.GlyphRow(0x80, 0));
        Assert.Equal(0x00, font.GlyphRow(0x01, 0));
        Assert.Equal(0x3F, font.GlyphRow(0x41, 0)); // 'A' is not in the table: the glyph of '?'
    }

    [Fact]
    public void Psf1GzippedLoadsFromAFile()
    {
        var raw = new MemoryStream();
        raw.Write([0x36, 0x04, 0x00, 16]);
        for (int g = 0; g < 256; g++)
            for (int r = 0; r < 16; r++) raw.WriteByte((byte)(255 - g));
        string path = Path.Combine(Path.GetTempPath(), $"emu-test-{Guid.NewGuid():N}.psf.gz");
        try
        {
            using (var gz = new GZipStream(File.Create(path), CompressionLevel.Fastest)) raw.WriteTo(gz);
            var font = PsfFont.Load(path);
            Assert.Equal(255 - 0x41, font.GlyphRow(0x41, 3));
        }
        finally { File.Delete(path); }
    }

    [Theory]
    [InlineData(new byte[] { 1, 2, 3, 4 }, "not a PSF font")]
    [InlineData(new byte[] { 0x36, 0x04, 0x00, 16, 0, 0 }, "malformed")]
    public void MalformedFontsAreRefused(byte[] data, string message) =>
        Assert.Contains(message, Assert.Throws<InvalidDataException>(() => PsfFont.Parse(data, "bad.psf")).Message);

    [Fact]
    public void TheInstalledDefaultFontHasTheVgaLetterA()
    {
        // Debian's console-data (.ci/run installs it): what -display gl uses by default.
        var font = PsfFont.LoadDefault(_ => null);
        Assert.EndsWith(PsfFont.DefaultFontNames[0], font.Source);
        // The VGA's 'A': rows 2..11 of 16, a peak at the top and two legs.
        Assert.Equal(16, font.Height);
        Assert.Equal(0x10, font.GlyphRow((byte)'A', 2));
        Assert.Equal(0xFE, font.GlyphRow((byte)'A', 7));
    }

    [Fact]
    public void GlfwKeysMapToSet1()
    {
        Assert.Equal(0x1E, GlfwKeyMap.ToScanCode('A'));
        Assert.Equal(0x2C, GlfwKeyMap.ToScanCode('Z'));
        Assert.Equal(0x02, GlfwKeyMap.ToScanCode('1'));
        Assert.Equal(0x0B, GlfwKeyMap.ToScanCode('0'));
        Assert.Equal(0x1C, GlfwKeyMap.ToScanCode(257));   // enter
        Assert.Equal(0xE048, GlfwKeyMap.ToScanCode(265)); // up
        Assert.Equal(0xE01C, GlfwKeyMap.ToScanCode(335)); // keypad enter
        Assert.Equal(0x52, GlfwKeyMap.ToScanCode(320));   // keypad 0
        Assert.Equal(0, GlfwKeyMap.ToScanCode(-1));       // GLFW_KEY_UNKNOWN
    }

    [Fact]
    public void TextTypesWithShiftWhereTheUsLayoutNeedsIt()
    {
        var keys = UsKeyboardLayout.Type("a!\n").ToList();
        Assert.Equal(new[]
        {
            new KeyInput(0x1E, true), new KeyInput(0x1E, false),
            new KeyInput(0x2A, true), new KeyInput(0x02, true), new KeyInput(0x02, false), new KeyInput(0x2A, false),
            new KeyInput(0x1C, true), new KeyInput(0x1C, false),
        }, keys);
        Assert.Empty(UsKeyboardLayout.Type("é"));
    }

    [Fact]
    public void TerminalArrowsAreExtendedKeys()
    {
        var up = TerminalKeyReader.KeysFor(new ConsoleKeyInfo('\0', ConsoleKey.UpArrow, false, false, false)).ToList();
        Assert.Equal(new[] { new KeyInput(0xE048, true), new KeyInput(0xE048, false) }, up);
        var enter = TerminalKeyReader.KeysFor(new ConsoleKeyInfo('\r', ConsoleKey.Enter, false, false, false)).ToList();
        Assert.Equal(new[] { new KeyInput(0x1C, true), new KeyInput(0x1C, false) }, enter);
    }

    private static TextScreen Screen(Func<int, int, TextCell> cell, int cursorRow = 1, int cursorCol = 2)
    {
        var cells = new TextCell[TextScreen.Rows * TextScreen.Columns];
        for (int r = 0; r < TextScreen.Rows; r++)
            for (int c = 0; c < TextScreen.Columns; c++) cells[r * TextScreen.Columns + c] = cell(r, c);
        return new TextScreen(cells, cursorRow, cursorCol, 13, 14);
    }

    [Fact]
    public void TheTerminalRendererDrawsColoursCharactersAndTheCursor()
    {
        var blank = Screen((_, _) => new TextCell((byte)' ', 0x07));
        var screen = Screen((r, c) => r == 0 && c == 0 ? new TextCell(0xC9, 0x1E) : new TextCell((byte)' ', 0x07));
        string full = AnsiTextDisplay.Render(screen, null);
        Assert.StartsWith("\x1b[1;1H\x1b[0;93;44m\u2554\x1b[0;37;40m ", full); // yellow on blue, CP437 0xC9 as U+2554
        Assert.Equal(25, full.Split("H\x1b[0;").Length - 1);                    // every row drawn
        Assert.EndsWith("\x1b[0m\x1b[2;3H\x1b[?25h", full);                     // the cursor at row 2, column 3 (1-based)

        string update = AnsiTextDisplay.Render(screen, blank);
        Assert.StartsWith("\x1b[1;1H", update);
        Assert.DoesNotContain("\x1b[2;1H", update); // unchanged rows are not redrawn
        var hidden = AnsiTextDisplay.Render(Screen((_, _) => new TextCell((byte)' ', 0x07), cursorRow: -1), blank);
        Assert.Equal("\x1b[0m\x1b[?25l", hidden);
    }
}
