using Emulator.Core.Memory;
using Emulator.Core.Timing;
using Emulator.Devices;

namespace Emulator.Tests.Devices;

public class VgaTextTests
{
    private sealed class Rig
    {
        public readonly PhysicalMemory Memory = new(2 * 1024 * 1024);
        public readonly VirtualClock Clock = new();
        public readonly VgaText Vga;

        public Rig() => Vga = new VgaText(Memory, Clock);

        public void WriteCrtc(int index, byte value)
        {
            Vga.WritePort(0x3D4, 1, (uint)index);
            Vga.WritePort(0x3D5, 1, value);
        }

        public byte ReadCrtc(int index)
        {
            Vga.WritePort(0x3D4, 1, (uint)index);
            return (byte)Vga.ReadPort(0x3D5, 1);
        }

        public void Put(int row, int col, string s, byte attr = 0x07)
        {
            for (int i = 0; i < s.Length; i++)
            {
                uint addr = 0xB8000 + (uint)((row * 80 + col + i) * 2);
                Memory.Write8(addr, (byte)s[i]);
                Memory.Write8(addr + 1, attr);
            }
        }
    }

    [Fact]
    public void CursorRegistersAreReadableAndWritable()
    {
        var r = new Rig();
        r.WriteCrtc(0x0A, 0x06);
        r.WriteCrtc(0x0B, 0x07);
        r.WriteCrtc(0x0E, 0x01);
        r.WriteCrtc(0x0F, 0x2C); // 300 = row 3, column 60
        Assert.Equal(0x06, r.ReadCrtc(0x0A));
        Assert.Equal(0x07, r.ReadCrtc(0x0B));
        Assert.Equal(0x01, r.ReadCrtc(0x0E));
        Assert.Equal(0x2C, r.ReadCrtc(0x0F));
        Assert.Equal(300, r.Vga.CursorLocation);
        Assert.Equal((3, 60), r.Vga.CursorPosition);
        Assert.True(r.Vga.CursorVisible);
        r.WriteCrtc(0x0A, 0x20);
        Assert.False(r.Vga.CursorVisible);
    }

    [Fact]
    public void SixteenBitOutWritesIndexThenData()
    {
        var r = new Rig();
        r.Vga.WritePort(0x3D4, 2, 0x500F); // index 0x0F, data 0x50
        Assert.Equal(0x50, r.ReadCrtc(0x0F));
    }

    [Fact]
    public void StartAddressRegistersShiftTheVisibleScreen()
    {
        var r = new Rig();
        r.Put(1, 0, "second line");
        r.WriteCrtc(0x0C, 0x00);
        r.WriteCrtc(0x0D, 80);
        Assert.Equal(80, r.Vga.StartAddress);
        Assert.Equal("second line", r.Vga.RenderLines()[0]);
    }

    [Fact]
    public void CellsAndRenderedLinesComeFromTextMemory()
    {
        var r = new Rig();
        r.Put(0, 0, "Hello", 0x1F);
        r.Put(24, 75, "end");
        var cell = r.Vga.GetTextCell(0, 1);
        Assert.Equal((byte)'e', cell.Character);
        Assert.Equal(0x1F, cell.Attribute);
        Assert.Equal(0x0F, cell.Foreground);
        Assert.Equal(0x01, cell.Background);
        var lines = r.Vga.RenderLines();
        Assert.Equal(25, lines.Length);
        Assert.Equal("Hello", lines[0]);
        Assert.Equal(new string(' ', 75) + "end", lines[24]);
        Assert.Equal(2000, r.Vga.Snapshot().Length);
        r.Memory.Write8(0xB8000 + 2 * 2, 0xC4); // CP437 box-drawing horizontal line
        Assert.Equal('\u2500', r.Vga.RenderLines()[0][2]);
    }

    [Fact]
    public void MiscOutputWrittenAt3C2ReadsAt3CC()
    {
        var r = new Rig();
        Assert.Equal(0x67u, r.Vga.ReadPort(0x3CC, 1));
        r.Vga.WritePort(0x3C2, 1, 0x63);
        Assert.Equal(0x63u, r.Vga.ReadPort(0x3CC, 1));
    }

    [Fact]
    public void InputStatusRetraceBitsFollowVirtualTime()
    {
        var r = new Rig();
        // Mode 3 timing: 31.778 us lines, 449 lines per frame, vertical retrace on lines 412-413.
        const ulong ticksPerLineTimes1000 = 3_177_800; // 31.778 us = 3177.8 ticks
        ulong TickOfLine(ulong line, ulong extraNs = 0) => (line * ticksPerLineTimes1000 / 1000) + extraNs / 10 + 1;
        r.Clock.Now = TickOfLine(100);
        Assert.Equal(0, (int)r.Vga.ReadPort(0x3DA, 1) & 0x09);  // active display
        r.Clock.Now = TickOfLine(100, 30_000);
        Assert.Equal(0x01, (int)r.Vga.ReadPort(0x3DA, 1) & 0x09); // horizontal blank
        r.Clock.Now = TickOfLine(412);
        Assert.Equal(0x09, (int)r.Vga.ReadPort(0x3DA, 1) & 0x09); // vertical retrace
        r.Clock.Now = TickOfLine(449 + 412);
        Assert.Equal(0x09, (int)r.Vga.ReadPort(0x3DA, 1) & 0x09); // next frame
        r.Clock.Now = TickOfLine(420);
        Assert.Equal(0x01, (int)r.Vga.ReadPort(0x3DA, 1) & 0x09); // vertical blank, not retrace
    }
}
