using System.IO.Compression;
using System.Text;
using Emulator.Devices;

namespace Emulator.Host.Display;

/// <summary>
/// An 8-pixel-wide console font in the Linux PSF format (version 1 or 2, gzipped or not), as
/// Debian's console-data and kbd packages install under /usr/share/consolefonts. The glyphs are
/// arranged for the VGA's code page 437: when the font carries a Unicode table, each CP437 code is
/// looked up through it; without one, glyph N is character N.
/// </summary>
public sealed class PsfFont
{
    public const int GlyphWidth = 8;
    public const string FontDirectory = "/usr/share/consolefonts";

    /// <summary>The fonts tried by <see cref="LoadDefault"/>, in order (the first one found is used).</summary>
    public static readonly string[] DefaultFontNames =
        ["default8x16.psf.gz", "default8x16.psfu.gz", "Lat15-VGA16.psf.gz", "Uni2-VGA16.psf.gz"];

    /// <summary>Environment variable naming another PSF font file.</summary>
    public const string FontVariable = "EMU_FONT";

    private readonly byte[] _glyphs; // 256 glyphs in CP437 order, Height bytes each (bit 7 = leftmost pixel)

    private PsfFont(byte[] glyphs, int height, string source)
    {
        _glyphs = glyphs;
        Height = height;
        Source = source;
    }

    public int Height { get; }

    /// <summary>The file the font came from.</summary>
    public string Source { get; }

    /// <summary>Row <paramref name="row"/> of the glyph of CP437 character <paramref name="character"/>; bit 7 is the leftmost pixel.</summary>
    public byte GlyphRow(byte character, int row) => _glyphs[character * Height + row];

    /// <summary>True when pixel (<paramref name="x"/>, <paramref name="y"/>) of the glyph is set.</summary>
    public bool Pixel(byte character, int x, int y) => (GlyphRow(character, y) & (0x80 >> x)) != 0;

    /// <summary>The font named by EMU_FONT, else the first of <see cref="DefaultFontNames"/> that exists.</summary>
    public static PsfFont LoadDefault(Func<string, string?>? getEnvironmentVariable = null)
    {
        string? fromEnvironment = (getEnvironmentVariable ?? Environment.GetEnvironmentVariable)(FontVariable);
        if (!string.IsNullOrEmpty(fromEnvironment)) return Load(fromEnvironment);
        foreach (var name in DefaultFontNames)
        {
            string path = Path.Combine(FontDirectory, name);
            if (File.Exists(path)) return Load(path);
        }
        throw new FileNotFoundException(
            $"no 8x16 console font found in {FontDirectory} (install Debian's console-data or kbd, or set {FontVariable} to a PSF file)");
    }

    /// <summary>Loads a PSF file (gunzipped when it ends in .gz); a malformed file throws <see cref="InvalidDataException"/>.</summary>
    public static PsfFont Load(string path)
    {
        byte[] data;
        using (var file = File.OpenRead(path))
        {
            Stream s = path.EndsWith(".gz", StringComparison.OrdinalIgnoreCase) ? new GZipStream(file, CompressionMode.Decompress) : file;
            using var ms = new MemoryStream();
            s.CopyTo(ms);
            data = ms.ToArray();
        }
        return Parse(data, path);
    }

    public static PsfFont Parse(byte[] data, string source)
    {
        int glyphCount, height, bytesPerGlyph, headerSize;
        bool hasTable;
        bool utf8Table;
        if (data.Length >= 4 && data[0] == 0x36 && data[1] == 0x04)
        {
            byte mode = data[2];
            glyphCount = (mode & 0x01) != 0 ? 512 : 256;
            hasTable = (mode & 0x06) != 0;
            utf8Table = false;
            height = bytesPerGlyph = data[3];
            headerSize = 4;
        }
        else if (data.Length >= 32 && BitConverter.ToUInt32(data, 0) == 0x864AB572)
        {
            headerSize = (int)BitConverter.ToUInt32(data, 8);
            hasTable = (BitConverter.ToUInt32(data, 12) & 1) != 0;
            utf8Table = true;
            glyphCount = (int)Math.Min(BitConverter.ToUInt32(data, 16), 65536u);
            bytesPerGlyph = (int)Math.Min(BitConverter.ToUInt32(data, 20), 1024u);
            height = (int)Math.Min(BitConverter.ToUInt32(data, 24), 1024u);
            int width = (int)Math.Min(BitConverter.ToUInt32(data, 28), 1024u);
            if (width != GlyphWidth) throw new InvalidDataException($"{source}: the font is {width} pixels wide; the display needs 8");
        }
        else
        {
            throw new InvalidDataException($"{source}: not a PSF font (no PSF1 or PSF2 magic)");
        }
        if (height < 1 || bytesPerGlyph != height || glyphCount < 256 || headerSize < 4 ||
            (long)headerSize + (long)glyphCount * bytesPerGlyph > data.Length)
            throw new InvalidDataException($"{source}: a malformed or unsupported PSF font (needs 8-pixel glyphs, at least 256 of them)");

        int tableStart = headerSize + glyphCount * bytesPerGlyph;
        var glyphOf = hasTable ? ReadUnicodeTable(data, tableStart, glyphCount, utf8Table) : null;
        var glyphs = new byte[256 * height];
        for (int c = 0; c < 256; c++)
        {
            int glyph = c;
            if (glyphOf != null)
            {
                char u = CodePage437.ToChar((byte)c);
                glyph = glyphOf.TryGetValue(u, out int g) ? g : glyphOf.GetValueOrDefault('?', c);
            }
            Array.Copy(data, headerSize + glyph * bytesPerGlyph, glyphs, c * height, height);
        }
        return new PsfFont(glyphs, height, source);
    }

    /// <summary>The Unicode table: for each glyph its code points (sequences are skipped), first glyph wins.</summary>
    private static Dictionary<char, int> ReadUnicodeTable(byte[] data, int start, int glyphCount, bool utf8)
    {
        var map = new Dictionary<char, int>();
        int p = start;
        for (int glyph = 0; glyph < glyphCount && p < data.Length; glyph++)
        {
            bool inSequence = false;
            if (utf8)
            {
                int end = Array.IndexOf(data, (byte)0xFF, p);
                if (end < 0) end = data.Length;
                int seg = p;
                for (int i = p; i <= end; i++)
                {
                    if (i < end && data[i] != 0xFE) continue;
                    if (!inSequence && i > seg)
                        foreach (var rune in Encoding.UTF8.GetString(data, seg, i - seg).EnumerateRunes())
                            if (rune.IsBmp) map.TryAdd((char)rune.Value, glyph);
                    inSequence = true; // after the first 0xFE only sequences follow
                    seg = i + 1;
                }
                p = end + 1;
            }
            else
            {
                while (p + 1 < data.Length)
                {
                    ushort v = BitConverter.ToUInt16(data, p);
                    p += 2;
                    if (v == 0xFFFF) break;
                    if (v == 0xFFFE) { inSequence = true; continue; }
                    if (!inSequence) map.TryAdd((char)v, glyph);
                }
            }
        }
        return map;
    }
}
