using System.Text;
using Emulator.Core.Bus;
using Emulator.Core.Memory;
using Emulator.Core.Timing;

namespace Emulator.Devices;

/// <summary>
/// VGA in 80×25 colour text mode, as far as a text console needs it. The text buffer at
/// 0xB8000 is ordinary RAM (the guest writes it directly); this device reads it to produce
/// cells and text lines. It answers the CRT controller index/data ports 0x3D4/0x3D5 (every
/// register is stored; cursor shape 0x0A/0x0B, start address 0x0C/0x0D and cursor location
/// 0x0E/0x0F are what the rendering uses), input status 1 at 0x3DA (display-enable and vertical
/// retrace bits derived from virtual time at the 70 Hz mode-3 timing), and the miscellaneous
/// output register (write 0x3C2, read 0x3CC).
/// </summary>
public sealed class VgaText : IPortDevice, Emulator.Core.Snapshots.ISnapshotState
{
    public const int Columns = 80, Rows = 25;
    public const uint TextBufferBase = 0xB8000;
    /// <summary>The colour text window is 32 KiB (0xB8000–0xBFFFF); offsets wrap within it.</summary>
    public const uint TextWindowSize = 0x8000;

    public const ushort MiscOutputWritePort = 0x3C2, MiscOutputReadPort = 0x3CC;
    public const ushort CrtcIndexPort = 0x3D4, CrtcDataPort = 0x3D5, InputStatus1Port = 0x3DA;

    public const int CrtcCursorStart = 0x0A, CrtcCursorEnd = 0x0B, CrtcStartHigh = 0x0C, CrtcStartLow = 0x0D,
        CrtcCursorHigh = 0x0E, CrtcCursorLow = 0x0F;

    // Mode 3 timing: 25.175 MHz dot clock, 800 dots × 449 lines; 640 visible dots, 400 visible
    // lines, vertical retrace on lines 412–413 (CRTC 0x10/0x11 of the BIOS mode table).
    public const ulong LineNanoseconds = 31_778;
    public const ulong LineDisplayNanoseconds = 25_422;
    public const int LinesPerFrame = 449, DisplayLines = 400, VerticalRetraceStart = 412, VerticalRetraceLines = 2;

    private static readonly byte[] Mode3Crtc =
    {
        0x5F, 0x4F, 0x50, 0x82, 0x55, 0x81, 0xBF, 0x1F, 0x00, 0x4F, 0x0D, 0x0E, 0x00, 0x00, 0x00, 0x00,
        0x9C, 0x8E, 0x8F, 0x28, 0x1F, 0x96, 0xB9, 0xA3, 0xFF,
    };

    private readonly PhysicalMemory _memory;
    private readonly VirtualClock _clock;
    private readonly byte[] _crtc = new byte[32];
    private byte _crtcIndex;
    private byte _miscOutput = 0x67; // mode 3: colour I/O addresses, 28 MHz clock select, RAM enabled

    public VgaText(PhysicalMemory memory, VirtualClock clock)
    {
        _memory = memory;
        _clock = clock;
        Mode3Crtc.CopyTo(_crtc, 0);
    }

    public string SnapshotSection => "vga";

    /// <summary>The CRTC and miscellaneous registers; the text buffer is RAM and travels with it.</summary>
    public void SaveState(Emulator.Core.Snapshots.SnapshotWriter w)
    {
        w.WriteBytes(_crtc);
        w.WriteByte(_crtcIndex);
        w.WriteByte(_miscOutput);
    }

    public void LoadState(Emulator.Core.Snapshots.SnapshotReader r)
    {
        r.ReadBytes(_crtc);
        _crtcIndex = r.ReadByte();
        _miscOutput = r.ReadByte();
    }

    public byte MiscOutput => _miscOutput;

    public byte GetCrtcRegister(int index) => _crtc[index & 0x1F];

    /// <summary>Offset in cells of the first visible character (CRTC 0x0C/0x0D).</summary>
    public int StartAddress => (_crtc[CrtcStartHigh] << 8) | _crtc[CrtcStartLow];

    /// <summary>Cursor location in cells from the start of video memory (CRTC 0x0E/0x0F).</summary>
    public int CursorLocation => (_crtc[CrtcCursorHigh] << 8) | _crtc[CrtcCursorLow];

    public int CursorStartScanline => _crtc[CrtcCursorStart] & 0x1F;
    public int CursorEndScanline => _crtc[CrtcCursorEnd] & 0x1F;

    /// <summary>CRTC 0x0A bit 5 turns the cursor off.</summary>
    public bool CursorVisible => (_crtc[CrtcCursorStart] & 0x20) == 0;

    /// <summary>The cursor's position on the screen, or (-1, -1) when it lies outside the visible 80×25 area.</summary>
    public (int Row, int Column) CursorPosition
    {
        get
        {
            int rel = CursorLocation - StartAddress;
            if (rel < 0 || rel >= Rows * Columns) return (-1, -1);
            return (rel / Columns, rel % Columns);
        }
    }

    /// <summary>The cell shown at <paramref name="row"/>, <paramref name="col"/> (honouring the start address).</summary>
    public TextCell GetTextCell(int row, int col)
    {
        if ((uint)row >= Rows) throw new ArgumentOutOfRangeException(nameof(row));
        if ((uint)col >= Columns) throw new ArgumentOutOfRangeException(nameof(col));
        uint offset = (uint)((StartAddress + row * Columns + col) * 2) % TextWindowSize;
        uint addr = TextBufferBase + offset;
        return new TextCell(_memory.Read8(addr), _memory.Read8(addr + 1));
    }

    /// <summary>All 80×25 visible cells, row by row.</summary>
    public TextCell[] Snapshot()
    {
        var cells = new TextCell[Rows * Columns];
        for (int r = 0; r < Rows; r++)
            for (int c = 0; c < Columns; c++)
                cells[r * Columns + c] = GetTextCell(r, c);
        return cells;
    }

    /// <summary>
    /// The visible cells and the cursor, read in one pass. Safe to call from a display thread while
    /// the CPU runs: it only reads guest memory and the CRTC registers (a frame may then show a
    /// half-finished guest update, which the next frame corrects).
    /// </summary>
    public TextScreen CaptureScreen()
    {
        var (row, col) = CursorVisible ? CursorPosition : (-1, -1);
        return new TextScreen(Snapshot(), row, col, CursorStartScanline, CursorEndScanline);
    }

    /// <summary>The screen as 25 lines of text (code page 437 mapped to Unicode), trailing spaces trimmed by default.</summary>
    public string[] RenderLines(bool trimEnd = true)
    {
        var lines = new string[Rows];
        var sb = new StringBuilder(Columns);
        for (int r = 0; r < Rows; r++)
        {
            sb.Clear();
            for (int c = 0; c < Columns; c++) sb.Append(CodePage437.ToChar(GetTextCell(r, c).Character));
            lines[r] = trimEnd ? sb.ToString().TrimEnd(' ') : sb.ToString();
        }
        return lines;
    }

    /// <summary>The screen as one string, lines separated by '\n'.</summary>
    public string RenderText() => string.Join('\n', RenderLines());

    public uint ReadPort(ushort port, int size)
    {
        switch (port)
        {
            case CrtcIndexPort: return _crtcIndex;
            case CrtcDataPort: return _crtc[_crtcIndex & 0x1F];
            case InputStatus1Port: return InputStatus1();
            case MiscOutputReadPort: return _miscOutput;
            case MiscOutputWritePort: return 0x00; // input status 0: no switch sense, no vertical interrupt
            default: return 0xFF;
        }
    }

    public void WritePort(ushort port, int size, uint value)
    {
        switch (port)
        {
            case CrtcIndexPort:
                _crtcIndex = (byte)value;
                // A 16-bit OUT to 0x3D4 writes the index and then the data port (a common idiom).
                if (size >= 2) WriteCrtc((byte)(value >> 8));
                break;
            case CrtcDataPort: WriteCrtc((byte)value); break;
            case MiscOutputWritePort: _miscOutput = (byte)value; break;
        }
    }

    private void WriteCrtc(byte value)
    {
        int index = _crtcIndex & 0x1F;
        // CRTC 0x11 bit 7 write-protects registers 0–7 (except bit 4 of register 7).
        if (index <= 7 && (_crtc[0x11] & 0x80) != 0)
        {
            if (index == 7) _crtc[7] = (byte)((_crtc[7] & ~0x10) | (value & 0x10));
            return;
        }
        _crtc[index] = value;
    }

    /// <summary>Bit 0: display disabled (horizontal or vertical blanking); bit 3: vertical retrace.</summary>
    private byte InputStatus1()
    {
        ulong ns = _clock.Nanoseconds;
        ulong line = ns / LineNanoseconds % LinesPerFrame;
        ulong inLine = ns % LineNanoseconds;
        int v = 0;
        if (line >= DisplayLines || inLine >= LineDisplayNanoseconds) v |= 0x01;
        if (line >= VerticalRetraceStart && line < VerticalRetraceStart + VerticalRetraceLines) v |= 0x08;
        return (byte)v;
    }
}
