using Emulator.Core.Loading;
using Emulator.Tests.Support;

namespace Emulator.Tests.Loading;

public class ElfImageTests
{
    private const string Name = "kernel.elf";

    private static Elf32Builder Valid()
    {
        var b = new Elf32Builder { Entry = 0x100010 };
        b.AddLoad(0x100000, new byte[] { 1, 2, 3, 4, 5, 6, 7, 8 }, memorySize: 0x20);
        return b;
    }

    private static string ParseError(byte[] image)
    {
        var e = Assert.Throws<LoadException>(() => ElfImage.Parse(image, Name));
        Assert.StartsWith(Name + ": ", e.Message);
        Assert.DoesNotContain('\n', e.Message);
        return e.Message;
    }

    [Fact]
    public void ParsesHeaderAndLoadSegments()
    {
        var b = Valid();
        var s2 = b.AddLoad(0x200000, new byte[] { 9, 9 });
        s2.VirtualAddress = 0xC0200000;
        var elf = ElfImage.Parse(b.Build(), Name);

        Assert.Equal(0x100010u, elf.Entry);
        var loads = elf.LoadSegments.ToArray();
        Assert.Equal(2, loads.Length);
        Assert.Equal(0x100000u, loads[0].PhysicalAddress);
        Assert.Equal(8u, loads[0].FileSize);
        Assert.Equal(0x20u, loads[0].MemorySize);
        Assert.Equal(new byte[] { 1, 2, 3, 4, 5, 6, 7, 8 }, elf.SegmentBytes(loads[0]).ToArray());
        Assert.Equal(0xC0200000u, loads[1].VirtualAddress);
        Assert.Equal(0x200000u, loads[1].PhysicalAddress);
        Assert.Equal(new byte[] { 9, 9 }, elf.SegmentBytes(loads[1]).ToArray());
        Assert.Empty(elf.Notes);
    }

    [Fact]
    public void NotAnElfImage()
    {
        Assert.Contains("not an ELF image", ParseError(System.Text.Encoding.ASCII.GetBytes("#!/bin/sh\necho hello\n")));
        Assert.Contains("not an ELF image", ParseError(new byte[] { 0x7F, (byte)'E' }));
    }

    [Fact]
    public void TruncatedHeader()
    {
        var image = Valid().Build()[..40];
        Assert.Contains("truncated ELF header", ParseError(image));
    }

    [Fact]
    public void TruncatedProgramHeaders()
    {
        var b = Valid();
        b.ProgramHeaderCountOverride = 200; // 200 * 32 bytes from offset 52 run far past the file
        Assert.Contains("truncated program header table", ParseError(b.Build()));
    }

    [Fact]
    public void FileCutInsideProgramHeaderTable()
    {
        var image = Valid().Build()[..70]; // header (52) + part of the first program header (32)
        Assert.Contains("truncated program header table", ParseError(image));
    }

    [Fact]
    public void SixtyFourBitClassIsRejected()
    {
        var b = Valid();
        b.Class = 2;
        Assert.Contains("64-bit", ParseError(b.Build()));
    }

    [Fact]
    public void UnknownClassIsRejected()
    {
        var b = Valid();
        b.Class = 7;
        Assert.Contains("unknown ELF class 7", ParseError(b.Build()));
    }

    [Fact]
    public void BigEndianIsRejected()
    {
        var b = Valid();
        b.Encoding = 2;
        Assert.Contains("big-endian", ParseError(b.Build()));
    }

    [Fact]
    public void WrongMachineIsRejected()
    {
        var b = Valid();
        b.Machine = 62;
        string m = ParseError(b.Build());
        Assert.Contains("x86-64", m);
        Assert.Contains("EM_386", m);
    }

    [Fact]
    public void SharedObjectIsNotAnExecutable()
    {
        var b = Valid();
        b.Type = 3;
        Assert.Contains("not an executable", ParseError(b.Build()));
    }

    [Fact]
    public void SegmentBeyondTheFile()
    {
        var b = Valid();
        b.Segments[0].FileSizeOverride = 0x10000;
        b.Segments[0].MemorySize = 0x10000;
        Assert.Contains("past the end", ParseError(b.Build()));
    }

    [Fact]
    public void SegmentOffsetBeyondTheFile()
    {
        var b = Valid();
        b.Segments[0].OffsetOverride = 0xFFFFFFF0;
        Assert.Contains("past the end", ParseError(b.Build()));
    }

    [Fact]
    public void FileSizeLargerThanMemorySize()
    {
        var b = new Elf32Builder { Entry = 0x100000 };
        b.AddLoad(0x100000, new byte[16], memorySize: 8);
        Assert.Contains("larger than p_memsz", ParseError(b.Build()));
    }

    [Fact]
    public void SegmentWrappingPast4GiB()
    {
        var b = new Elf32Builder { Entry = 0x100000 };
        b.AddLoad(0xFFFFF000, new byte[4], memorySize: 0x2000);
        Assert.Contains("wraps past 4 GiB", ParseError(b.Build()));
    }

    [Fact]
    public void NoLoadableSegment()
    {
        var b = new Elf32Builder { Entry = 0x100000 };
        b.Notes.Add(("Xen", 1, new byte[4]));
        Assert.Contains("no PT_LOAD", ParseError(b.Build()));
    }

    [Fact]
    public void NoProgramHeadersAtAll()
    {
        var b = new Elf32Builder { Entry = 0x100000 };
        Assert.Contains("no program headers", ParseError(b.Build()));
    }

    [Fact]
    public void NotesFromPtNote()
    {
        var b = Valid();
        b.Notes.Add(("Xen", 6, System.Text.Encoding.ASCII.GetBytes("linux\0")));
        b.Notes.Add(("GNU", 3, new byte[] { 0xAA, 0xBB, 0xCC, 0xDD, 0xEE }));
        var elf = ElfImage.Parse(b.Build(), Name);
        Assert.Equal(2, elf.Notes.Count);
        Assert.Equal("Xen", elf.Notes[0].Name);
        Assert.Equal(6u, elf.Notes[0].Type);
        Assert.Equal(System.Text.Encoding.ASCII.GetBytes("linux\0"), elf.Notes[0].Descriptor);
        Assert.Equal("GNU", elf.Notes[1].Name);
        Assert.Equal(new byte[] { 0xAA, 0xBB, 0xCC, 0xDD, 0xEE }, elf.Notes[1].Descriptor);
    }

    [Fact]
    public void NotesFromShtNoteWhenThereIsNoPtNote()
    {
        var b = Valid();
        b.NotesInSegment = false;
        b.Notes.Add(("Xen", 18, new byte[] { 0, 0, 0, 0xC0 }));
        var image = b.Build();
        var elf = ElfImage.Parse(image, Name);
        Assert.Equal(2, elf.SectionHeaders.Count);
        Assert.DoesNotContain(elf.ProgramHeaders, p => p.Type == 4);
        var note = Assert.Single(elf.Notes);
        Assert.Equal("Xen", note.Name);
        Assert.Equal(18u, note.Type);
        Assert.Equal(new byte[] { 0, 0, 0, 0xC0 }, note.Descriptor);
    }

    [Fact]
    public void MalformedNoteIsRejected()
    {
        var b = Valid();
        b.Notes.Add(("Xen", 1, new byte[4]));
        var image = b.Build();
        // The note area is the last 20 bytes (namesz, descsz, type, "Xen\0", 4-byte desc): claim a huge descsz.
        int noteStart = image.Length - 20;
        Assert.Equal(4, BitConverter.ToInt32(image, noteStart)); // namesz, as laid out above
        BitConverter.GetBytes(0x1000).CopyTo(image, noteStart + 4);
        Assert.Contains("malformed ELF note", ParseError(image));
    }

    [Fact]
    public void MissingFile()
    {
        string path = Path.Combine(Path.GetTempPath(), "emu-no-such-" + Guid.NewGuid().ToString("N"), "kernel.elf");
        var e = Assert.Throws<LoadException>(() => ElfImage.Load(path));
        Assert.Equal($"{path}: no such file", e.Message);
    }
}
