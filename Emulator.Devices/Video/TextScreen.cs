namespace Emulator.Devices;

/// <summary>
/// What an 80×25 text screen shows at one moment: the visible cells row by row and the hardware
/// cursor (its cell, or row -1 when it is off or off screen, and its first and last scanline in the
/// 16-line character cell). Taken by <see cref="VgaText.CaptureScreen"/>; displays draw from it.
/// </summary>
public sealed record TextScreen(TextCell[] Cells, int CursorRow, int CursorColumn, int CursorStart, int CursorEnd)
{
    public const int Columns = VgaText.Columns, Rows = VgaText.Rows;

    public TextCell this[int row, int column] => Cells[row * Columns + column];

    /// <summary>True when a cursor is drawn: on, on screen, and its start scanline not after its end (as on a VGA).</summary>
    public bool CursorShown => CursorRow >= 0 && CursorStart <= CursorEnd;
}
