using Emulator.Devices;
using Silk.NET.OpenGL;

namespace Emulator.Host.Display;

/// <summary>
/// Draws an 80×25 <see cref="TextScreen"/> with OpenGL 3.3: the font is a 8×(256·16) integer
/// texture, the cells an 80×25 texture of (character, attribute), and one fragment shader picks
/// each pixel's glyph bit, its foreground or background colour from the VGA palette, character
/// blink (attribute bit 7, background limited to 8 colours, as with the VGA's blink enabled) and
/// the cursor's scanlines. One full-screen triangle, no per-cell geometry: a frame costs the same
/// whatever is on the screen. Must be used on the thread that owns the GL context.
/// </summary>
public sealed unsafe class GlTextRenderer : IDisposable
{
    public const int CellWidth = 8, CellHeight = 16;
    public const int Width = TextScreen.Columns * CellWidth, Height = TextScreen.Rows * CellHeight;

    private const string VertexSource = """
        #version 330 core
        out vec2 uv;
        void main()
        {
            vec2 p = vec2(float((gl_VertexID << 1) & 2), float(gl_VertexID & 2));
            uv = p;
            gl_Position = vec4(p * 2.0 - 1.0, 0.0, 1.0);
        }
        """;

    private const string FragmentSource = """
        #version 330 core
        in vec2 uv;
        out vec4 color;
        uniform usampler2D cells;
        uniform usampler2D font;
        uniform vec3 palette[16];
        uniform ivec4 cursor;      // column, row (-1: none), first and last scanline
        uniform int cursorOn;      // the cursor's blink phase
        uniform int blinkVisible;  // the blink phase of characters with attribute bit 7
        void main()
        {
            ivec2 px = clamp(ivec2(floor(vec2(uv.x, 1.0 - uv.y) * vec2(640.0, 400.0))), ivec2(0), ivec2(639, 399));
            ivec2 cell = px / ivec2(8, 16);
            ivec2 inCell = px - cell * ivec2(8, 16);
            uvec2 ca = texelFetch(cells, cell, 0).rg;
            int ch = int(ca.r), attr = int(ca.g);
            bool on = texelFetch(font, ivec2(inCell.x, ch * 16 + inCell.y), 0).r != 0u;
            if ((attr & 128) != 0 && blinkVisible == 0) on = false;
            if (cursorOn != 0 && cell == cursor.xy && inCell.y >= cursor.z && inCell.y <= cursor.w) on = true;
            color = vec4(palette[on ? (attr & 15) : ((attr >> 4) & 7)], 1.0);
        }
        """;

    private readonly GL _gl;
    private readonly uint _program, _vao, _cellTexture, _fontTexture;
    private readonly int _cursorLocation, _cursorOnLocation, _blinkLocation;
    private readonly byte[] _cellData = new byte[TextScreen.Columns * TextScreen.Rows * 2];

    public GlTextRenderer(GL gl, PsfFont font)
    {
        if (font.Height != CellHeight) throw new InvalidDataException($"{font.Source}: the display needs an 8x16 font, not 8x{font.Height}");
        _gl = gl;
        _program = Link(Compile(ShaderType.VertexShader, VertexSource), Compile(ShaderType.FragmentShader, FragmentSource));
        _vao = gl.GenVertexArray();

        gl.PixelStore(PixelStoreParameter.UnpackAlignment, 1);
        var fontPixels = new byte[CellWidth * 256 * CellHeight];
        for (int c = 0; c < 256; c++)
            for (int y = 0; y < CellHeight; y++)
                for (int x = 0; x < CellWidth; x++)
                    fontPixels[(c * CellHeight + y) * CellWidth + x] = font.Pixel((byte)c, x, y) ? (byte)255 : (byte)0;
        _fontTexture = CreateTexture(InternalFormat.R8ui, PixelFormat.RedInteger, CellWidth, 256 * CellHeight, fontPixels);
        _cellTexture = CreateTexture(InternalFormat.RG8ui, PixelFormat.RGInteger, TextScreen.Columns, TextScreen.Rows, _cellData);

        gl.UseProgram(_program);
        gl.Uniform1(gl.GetUniformLocation(_program, "cells"), 0);
        gl.Uniform1(gl.GetUniformLocation(_program, "font"), 1);
        var palette = new float[48];
        for (int i = 0; i < 16; i++)
        {
            var (r, g, b) = VgaPalette.Color(i);
            palette[i * 3] = r / 255f;
            palette[i * 3 + 1] = g / 255f;
            palette[i * 3 + 2] = b / 255f;
        }
        fixed (float* p = palette) gl.Uniform3(gl.GetUniformLocation(_program, "palette"), 16, p);
        _cursorLocation = gl.GetUniformLocation(_program, "cursor");
        _cursorOnLocation = gl.GetUniformLocation(_program, "cursorOn");
        _blinkLocation = gl.GetUniformLocation(_program, "blinkVisible");
    }

    /// <summary>Draws <paramref name="screen"/> into the current framebuffer's <paramref name="viewportWidth"/>×<paramref name="viewportHeight"/> pixels.</summary>
    public void Draw(TextScreen screen, bool cursorOn, bool blinkVisible, int viewportWidth, int viewportHeight)
    {
        for (int i = 0; i < screen.Cells.Length; i++)
        {
            _cellData[i * 2] = screen.Cells[i].Character;
            _cellData[i * 2 + 1] = screen.Cells[i].Attribute;
        }
        _gl.Viewport(0, 0, (uint)viewportWidth, (uint)viewportHeight);
        _gl.UseProgram(_program);
        _gl.ActiveTexture(TextureUnit.Texture0);
        _gl.BindTexture(TextureTarget.Texture2D, _cellTexture);
        fixed (byte* p = _cellData)
            _gl.TexSubImage2D(TextureTarget.Texture2D, 0, 0, 0, TextScreen.Columns, TextScreen.Rows, PixelFormat.RGInteger, PixelType.UnsignedByte, p);
        _gl.ActiveTexture(TextureUnit.Texture1);
        _gl.BindTexture(TextureTarget.Texture2D, _fontTexture);
        _gl.Uniform4(_cursorLocation, screen.CursorColumn, screen.CursorShown ? screen.CursorRow : -1, screen.CursorStart, screen.CursorEnd);
        _gl.Uniform1(_cursorOnLocation, cursorOn ? 1 : 0);
        _gl.Uniform1(_blinkLocation, blinkVisible ? 1 : 0);
        _gl.BindVertexArray(_vao);
        _gl.DrawArrays(PrimitiveType.Triangles, 0, 3);
    }

    /// <summary>Reads the framebuffer's lower-left <see cref="Width"/>×<see cref="Height"/> pixels as RGBA, top row first.</summary>
    public byte[] ReadPixels()
    {
        var bottomUp = new byte[Width * Height * 4];
        _gl.PixelStore(PixelStoreParameter.PackAlignment, 1);
        fixed (byte* p = bottomUp) _gl.ReadPixels(0, 0, Width, Height, PixelFormat.Rgba, PixelType.UnsignedByte, p);
        var topDown = new byte[bottomUp.Length];
        int stride = Width * 4;
        for (int y = 0; y < Height; y++) Array.Copy(bottomUp, (Height - 1 - y) * stride, topDown, y * stride, stride);
        return topDown;
    }

    private uint CreateTexture(InternalFormat internalFormat, PixelFormat format, int width, int height, byte[] data)
    {
        uint t = _gl.GenTexture();
        _gl.BindTexture(TextureTarget.Texture2D, t);
        _gl.TexParameter(TextureTarget.Texture2D, TextureParameterName.TextureMinFilter, (int)TextureMinFilter.Nearest);
        _gl.TexParameter(TextureTarget.Texture2D, TextureParameterName.TextureMagFilter, (int)TextureMagFilter.Nearest);
        _gl.TexParameter(TextureTarget.Texture2D, TextureParameterName.TextureMaxLevel, 0);
        fixed (byte* p = data)
            _gl.TexImage2D(TextureTarget.Texture2D, 0, internalFormat, (uint)width, (uint)height, 0, format, PixelType.UnsignedByte, p);
        return t;
    }

    private uint Compile(ShaderType type, string source)
    {
        uint s = _gl.CreateShader(type);
        _gl.ShaderSource(s, source);
        _gl.CompileShader(s);
        _gl.GetShader(s, ShaderParameterName.CompileStatus, out int ok);
        if (ok == 0) throw new InvalidOperationException($"the {type} did not compile: {_gl.GetShaderInfoLog(s)}");
        return s;
    }

    private uint Link(uint vertex, uint fragment)
    {
        uint p = _gl.CreateProgram();
        _gl.AttachShader(p, vertex);
        _gl.AttachShader(p, fragment);
        _gl.LinkProgram(p);
        _gl.GetProgram(p, ProgramPropertyARB.LinkStatus, out int ok);
        if (ok == 0) throw new InvalidOperationException($"the shaders did not link: {_gl.GetProgramInfoLog(p)}");
        _gl.DeleteShader(vertex);
        _gl.DeleteShader(fragment);
        return p;
    }

    public void Dispose()
    {
        _gl.DeleteTexture(_cellTexture);
        _gl.DeleteTexture(_fontTexture);
        _gl.DeleteVertexArray(_vao);
        _gl.DeleteProgram(_program);
    }
}
