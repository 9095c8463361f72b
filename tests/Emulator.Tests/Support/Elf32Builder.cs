using System.Buffers.Binary;


namespace Emulator.Tests.Support;

/// <summary>
/// Builds small ELF32 images byte by byte for loader tests (System V ABI layouts): the 52-byte
/// header, the program header table right after it, then each segment's bytes (4-byte aligned), an
/// optional note area, and an optional section header table (null + one SHT_NOTE section).
/// Every header field can be overridden to make bad images.
/// </summary>
public sealed class Elf32Builder
{
    public byte Class = 1;      // ELFCLASS32
    public byte Encoding = 1;   // ELFDATA2LSB
    public byte IdentVersion = 1;
    public ushort Type = 2;     // ET_EXEC
    public ushort Machine = 3;  // EM_386
    public uint Version = 1;
    public uint Entry;
    /// <summary>When set, e_phnum claims this many headers regardless of the segments added.</summary>
    public ushort? ProgramHeaderCountOverride;

    public sealed class Segment
    {
        public uint Type = 1; // PT_LOAD
        public uint VirtualAddress, PhysicalAddress, MemorySize, Flags = 7, Align = 0x1000;
        public byte[] Bytes = Array.Empty<byte>();
        /// <summary>When set, p_offset / p_filesz are written as given instead of the real ones.</summary>
        public uint? OffsetOverride, FileSizeOverride;
    }

    public readonly List<Segment> Segments = new();
    public readonly List<(string Name, uint Type, byte[] Desc)> Notes = new();
    /// <summary>Put the notes in a PT_NOTE segment (true) or only in an SHT_NOTE section (false).</summary>
    public bool NotesInSegment = true;

    /// <summary>Adds a PT_LOAD at the same virtual and physical address.</summary>
    public Segment AddLoad(uint address, byte[] bytes, uint? memorySize = null)
    {
        var s = new Segment { VirtualAddress = address, PhysicalAddress = address, Bytes = bytes, MemorySize = memorySize ?? (uint)bytes.Length };
        Segments.Add(s);
        return s;
    }

    public static byte[] EncodeNotes(IEnumerable<(string Name, uint Type, byte[] Desc)> notes)
    {
        var ms = new List<byte>();
        foreach (var (name, type, desc) in notes)
        {
            var nameBytes = System.Text.Encoding.ASCII.GetBytes(name + "\0");
            var header = new byte[12];
            BinaryPrimitives.WriteUInt32LittleEndian(header.AsSpan(0), (uint)nameBytes.Length);
            BinaryPrimitives.WriteUInt32LittleEndian(header.AsSpan(4), (uint)desc.Length);
            BinaryPrimitives.WriteUInt32LittleEndian(header.AsSpan(8), type);
            ms.AddRange(header);
            ms.AddRange(nameBytes);
            while (ms.Count % 4 != 0) ms.Add(0);
            ms.AddRange(desc);
            while (ms.Count % 4 != 0) ms.Add(0);
        }
        return ms.ToArray();
    }

    public byte[] Build()
    {
        var noteBytes = Notes.Count > 0 ? EncodeNotes(Notes) : null;
        int phCount = Segments.Count + (noteBytes != null && NotesInSegment ? 1 : 0);
        int offset = 52 + 32 * phCount;
        var dataOffsets = new List<int>();
        foreach (var s in Segments)
        {
            offset = (offset + 3) & ~3;
            dataOffsets.Add(offset);
            offset += s.Bytes.Length;
        }
        int noteOffset = (offset + 3) & ~3;
        if (noteBytes != null) offset = noteOffset + noteBytes.Length;
        bool sections = noteBytes != null && !NotesInSegment;
        int shOffset = (offset + 3) & ~3;
        int total = sections ? shOffset + 2 * 40 : offset;

        var f = new byte[total];
        var d = f.AsSpan();
        d[0] = 0x7F; d[1] = (byte)'E'; d[2] = (byte)'L'; d[3] = (byte)'F';
        d[4] = Class; d[5] = Encoding; d[6] = IdentVersion;
        BinaryPrimitives.WriteUInt16LittleEndian(d[16..], Type);
        BinaryPrimitives.WriteUInt16LittleEndian(d[18..], Machine);
        BinaryPrimitives.WriteUInt32LittleEndian(d[20..], Version);
        BinaryPrimitives.WriteUInt32LittleEndian(d[24..], Entry);
        BinaryPrimitives.WriteUInt32LittleEndian(d[28..], phCount > 0 ? 52u : 0u);
        BinaryPrimitives.WriteUInt32LittleEndian(d[32..], sections ? (uint)shOffset : 0u);
        BinaryPrimitives.WriteUInt16LittleEndian(d[40..], 52);
        BinaryPrimitives.WriteUInt16LittleEndian(d[42..], 32);
        BinaryPrimitives.WriteUInt16LittleEndian(d[44..], ProgramHeaderCountOverride ?? (ushort)phCount);
        BinaryPrimitives.WriteUInt16LittleEndian(d[46..], 40);
        BinaryPrimitives.WriteUInt16LittleEndian(d[48..], (ushort)(sections ? 2 : 0));

        for (int n = 0; n < Segments.Count; n++)
        {
            var s = Segments[n];
            WritePhdr(d, n, s.Type, s.OffsetOverride ?? (uint)dataOffsets[n], s.VirtualAddress, s.PhysicalAddress,
                s.FileSizeOverride ?? (uint)s.Bytes.Length, s.MemorySize, s.Flags, s.Align);
            s.Bytes.CopyTo(d[dataOffsets[n]..]);
        }
        if (noteBytes != null)
        {
            noteBytes.CopyTo(d[noteOffset..]);
            if (NotesInSegment)
                WritePhdr(d, Segments.Count, 4, (uint)noteOffset, 0, 0, (uint)noteBytes.Length, 0, 4, 4);
            else
            {
                var sh = d[(shOffset + 40)..];
                BinaryPrimitives.WriteUInt32LittleEndian(sh[4..], 7); // SHT_NOTE
                BinaryPrimitives.WriteUInt32LittleEndian(sh[16..], (uint)noteOffset);
                BinaryPrimitives.WriteUInt32LittleEndian(sh[20..], (uint)noteBytes.Length);
                BinaryPrimitives.WriteUInt32LittleEndian(sh[32..], 4);
            }
        }
        return f;
    }

    private static void WritePhdr(Span<byte> d, int n, uint type, uint offset, uint vaddr, uint paddr, uint filesz, uint memsz, uint flags, uint align)
    {
        var p = d[(52 + 32 * n)..];
        BinaryPrimitives.WriteUInt32LittleEndian(p[0..], type);
        BinaryPrimitives.WriteUInt32LittleEndian(p[4..], offset);
        BinaryPrimitives.WriteUInt32LittleEndian(p[8..], vaddr);
        BinaryPrimitives.WriteUInt32LittleEndian(p[12..], paddr);
        BinaryPrimitives.WriteUInt32LittleEndian(p[16..], filesz);
        BinaryPrimitives.WriteUInt32LittleEndian(p[20..], memsz);
        BinaryPrimitives.WriteUInt32LittleEndian(p[24..], flags);
        BinaryPrimitives.WriteUInt32LittleEndian(p[28..], align);
    }

    /// <summary>
    /// A multiboot v1 header (Multiboot Specification §3.1.1): magic, flags, checksum (made so the
    /// three sum to zero, plus <paramref name="checksumError"/>), and the five address fields when
    /// flag bit 16 is set.
    /// </summary>
    public static byte[] MultibootHeader(uint flags, uint checksumError = 0,
        uint headerAddr = 0, uint loadAddr = 0, uint loadEndAddr = 0, uint bssEndAddr = 0, uint entryAddr = 0)
    {
        bool addr = (flags & 0x10000) != 0;
        var h = new byte[addr ? 32 : 12];
        BinaryPrimitives.WriteUInt32LittleEndian(h.AsSpan(0), 0x1BADB002);
        BinaryPrimitives.WriteUInt32LittleEndian(h.AsSpan(4), flags);
        BinaryPrimitives.WriteUInt32LittleEndian(h.AsSpan(8), unchecked(0u - 0x1BADB002u - flags + checksumError));
        if (addr)
        {
            BinaryPrimitives.WriteUInt32LittleEndian(h.AsSpan(12), headerAddr);
            BinaryPrimitives.WriteUInt32LittleEndian(h.AsSpan(16), loadAddr);
            BinaryPrimitives.WriteUInt32LittleEndian(h.AsSpan(20), loadEndAddr);
            BinaryPrimitives.WriteUInt32LittleEndian(h.AsSpan(24), bssEndAddr);
            BinaryPrimitives.WriteUInt32LittleEndian(h.AsSpan(28), entryAddr);
        }
        return h;
    }
}
