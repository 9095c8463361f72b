using System.Buffers.Binary;

namespace Emulator.Core.Loading;

/// <summary>
/// A validated ELF32 little-endian i386 executable (System V ABI and its Intel386 supplement).
/// Parsing checks everything a loader relies on, so that a bad file is reported as a
/// <see cref="LoadException"/> naming the problem, never as an index error later: the identification
/// bytes, type, machine, the program header table, every PT_LOAD and PT_NOTE segment lying within
/// the file, p_filesz &lt;= p_memsz, no address range wrapping past 4 GiB, and the section header
/// table when present. Notes (PT_NOTE segments, else SHT_NOTE sections) are decoded for later
/// loaders (the Xen domain builder).
/// </summary>
public sealed class ElfImage
{
    public const int HeaderSize = 52;
    public const int ProgramHeaderSize = 32;
    public const int SectionHeaderSize = 40;
    public const byte ElfClass32 = 1, ElfClass64 = 2;
    public const byte ElfData2Lsb = 1, ElfData2Msb = 2;
    public const ushort EtExec = 2;
    public const ushort EmI386 = 3;

    /// <summary>The file name used in error messages.</summary>
    public string FileName { get; }
    /// <summary>The whole file.</summary>
    public byte[] Data { get; }
    /// <summary>e_entry: the entry point as a virtual address.</summary>
    public uint Entry { get; }
    public IReadOnlyList<ElfProgramHeader> ProgramHeaders { get; }
    public IReadOnlyList<ElfSectionHeader> SectionHeaders { get; }
    public IReadOnlyList<ElfNote> Notes { get; }

    private ElfImage(string fileName, byte[] data, uint entry, ElfProgramHeader[] phdrs, ElfSectionHeader[] shdrs, ElfNote[] notes)
    {
        FileName = fileName;
        Data = data;
        Entry = entry;
        ProgramHeaders = phdrs;
        SectionHeaders = shdrs;
        Notes = notes;
    }

    /// <summary>The PT_LOAD segments, in file order.</summary>
    public IEnumerable<ElfProgramHeader> LoadSegments => ProgramHeaders.Where(p => p.IsLoad);

    /// <summary>The bytes of a segment that come from the file (p_filesz of them).</summary>
    public ReadOnlySpan<byte> SegmentBytes(ElfProgramHeader segment) => Data.AsSpan((int)segment.Offset, (int)segment.FileSize);

    /// <summary>True when the data starts with the ELF magic (0x7F 'E' 'L' 'F').</summary>
    public static bool HasElfMagic(ReadOnlySpan<byte> data) =>
        data.Length >= 4 && data[0] == 0x7F && data[1] == (byte)'E' && data[2] == (byte)'L' && data[3] == (byte)'F';

    /// <summary>Reads and parses an ELF file.</summary>
    public static ElfImage Load(string path) => Parse(ImageFile.Read(path), path);

    /// <summary>Parses and validates an ELF32 i386 executable; throws <see cref="LoadException"/> naming <paramref name="fileName"/>.</summary>
    public static ElfImage Parse(byte[] data, string fileName)
    {
        [System.Diagnostics.CodeAnalysis.DoesNotReturn]
        void Fail(string problem) => throw new LoadException(fileName, problem);

        if (!HasElfMagic(data))
            Fail("not an ELF image (no ELF magic 7F 45 4C 46 at the start of the file)");
        if (data.Length < HeaderSize)
            Fail($"truncated ELF header ({data.Length} bytes; an ELF32 header is {HeaderSize} bytes)");

        var d = data.AsSpan();
        byte cls = d[4], encoding = d[5], identVersion = d[6];
        if (cls == ElfClass64)
            Fail("a 64-bit ELF image (ELFCLASS64); only 32-bit (ELFCLASS32) images can be loaded");
        if (cls != ElfClass32)
            Fail($"unknown ELF class {cls} (ELFCLASS32 = 1 is needed)");
        if (encoding == ElfData2Msb)
            Fail("a big-endian ELF image (ELFDATA2MSB); i386 images are little-endian (ELFDATA2LSB)");
        if (encoding != ElfData2Lsb)
            Fail($"unknown ELF data encoding {encoding} (ELFDATA2LSB = 1 is needed)");
        if (identVersion != 1)
            Fail($"unknown ELF version {identVersion} in e_ident (1 is needed)");

        ushort type = U16(d, 16), machine = U16(d, 18);
        uint version = U32(d, 20), entry = U32(d, 24), phoff = U32(d, 28), shoff = U32(d, 32);
        ushort phentsize = U16(d, 42), phnum = U16(d, 44), shentsize = U16(d, 46), shnum = U16(d, 48);

        if (machine != EmI386)
            Fail($"ELF machine {machine} ({MachineName(machine)}) is not i386 (EM_386 = 3)");
        if (type != EtExec)
            Fail($"ELF type {type} ({TypeName(type)}) is not an executable (ET_EXEC = 2)");
        if (version != 1)
            Fail($"unknown ELF version {version} in e_version (1 is needed)");

        // Program headers.
        if (phnum == 0)
            Fail("the ELF image has no program headers, so nothing to load");
        if (phnum == 0xFFFF)
            Fail("extended program header numbering (PN_XNUM) is not supported");
        if (phentsize != ProgramHeaderSize)
            Fail($"e_phentsize is {phentsize}; ELF32 program headers are {ProgramHeaderSize} bytes");
        if ((ulong)phoff + (ulong)phnum * ProgramHeaderSize > (ulong)data.Length)
            Fail($"truncated program header table ({phnum} headers at offset 0x{phoff:X} run past the end of the {data.Length}-byte file)");

        var phdrs = new ElfProgramHeader[phnum];
        bool anyLoad = false;
        for (int n = 0; n < phnum; n++)
        {
            int o = (int)phoff + n * ProgramHeaderSize;
            var p = new ElfProgramHeader(U32(d, o), U32(d, o + 4), U32(d, o + 8), U32(d, o + 12),
                U32(d, o + 16), U32(d, o + 20), U32(d, o + 24), U32(d, o + 28));
            phdrs[n] = p;
            if (p.Type == ElfProgramHeader.PtLoad)
            {
                anyLoad = true;
                if ((ulong)p.Offset + p.FileSize > (ulong)data.Length)
                    Fail($"program header {n} (PT_LOAD) has {p.FileSize} bytes at file offset 0x{p.Offset:X}, past the end of the {data.Length}-byte file");
                if (p.FileSize > p.MemorySize)
                    Fail($"program header {n} (PT_LOAD) has p_filesz 0x{p.FileSize:X} larger than p_memsz 0x{p.MemorySize:X}");
                if ((ulong)p.PhysicalAddress + p.MemorySize > 0x1_0000_0000ul)
                    Fail($"program header {n} (PT_LOAD) at physical address 0x{p.PhysicalAddress:X8} with size 0x{p.MemorySize:X} wraps past 4 GiB");
                if ((ulong)p.VirtualAddress + p.MemorySize > 0x1_0000_0000ul)
                    Fail($"program header {n} (PT_LOAD) at virtual address 0x{p.VirtualAddress:X8} with size 0x{p.MemorySize:X} wraps past 4 GiB");
            }
            else if (p.Type == ElfProgramHeader.PtNote)
            {
                if ((ulong)p.Offset + p.FileSize > (ulong)data.Length)
                    Fail($"program header {n} (PT_NOTE) has {p.FileSize} bytes at file offset 0x{p.Offset:X}, past the end of the {data.Length}-byte file");
            }
        }
        if (!anyLoad)
            Fail("the ELF image has no PT_LOAD segment, so nothing to load");

        // Section headers are optional for loading; when present they must be well-formed.
        var shdrs = Array.Empty<ElfSectionHeader>();
        if (shoff != 0 && shnum != 0)
        {
            if (shentsize != SectionHeaderSize)
                Fail($"e_shentsize is {shentsize}; ELF32 section headers are {SectionHeaderSize} bytes");
            if ((ulong)shoff + (ulong)shnum * SectionHeaderSize > (ulong)data.Length)
                Fail($"truncated section header table ({shnum} headers at offset 0x{shoff:X} run past the end of the {data.Length}-byte file)");
            shdrs = new ElfSectionHeader[shnum];
            for (int n = 0; n < shnum; n++)
            {
                int o = (int)shoff + n * SectionHeaderSize;
                var s = new ElfSectionHeader(U32(d, o), U32(d, o + 4), U32(d, o + 8), U32(d, o + 12), U32(d, o + 16),
                    U32(d, o + 20), U32(d, o + 24), U32(d, o + 28), U32(d, o + 32), U32(d, o + 36));
                shdrs[n] = s;
                if (s.Type == ElfSectionHeader.ShtNote && (ulong)s.Offset + s.Size > (ulong)data.Length)
                    Fail($"section {n} (SHT_NOTE) has {s.Size} bytes at file offset 0x{s.Offset:X}, past the end of the {data.Length}-byte file");
            }
        }

        // Notes: from PT_NOTE segments, else from SHT_NOTE sections (a stripped image may lack either).
        var notes = new List<ElfNote>();
        bool fromSegments = false;
        foreach (var p in phdrs)
        {
            if (p.Type != ElfProgramHeader.PtNote) continue;
            fromSegments = true;
            ParseNotes(d.Slice((int)p.Offset, (int)p.FileSize), fileName, notes);
        }
        if (!fromSegments)
            foreach (var s in shdrs)
                if (s.Type == ElfSectionHeader.ShtNote)
                    ParseNotes(d.Slice((int)s.Offset, (int)s.Size), fileName, notes);

        return new ElfImage(fileName, data, entry, phdrs, shdrs, notes.ToArray());
    }

    /// <summary>Decodes a run of notes: namesz, descsz, type, then name and descriptor each padded to 4 bytes.</summary>
    private static void ParseNotes(ReadOnlySpan<byte> area, string fileName, List<ElfNote> into)
    {
        int pos = 0;
        while (area.Length - pos >= 12)
        {
            uint namesz = U32(area, pos), descsz = U32(area, pos + 4), type = U32(area, pos + 8);
            ulong nameEnd = (ulong)pos + 12 + namesz;
            ulong descStart = (nameEnd + 3) & ~3ul;
            ulong descEnd = descStart + descsz;
            if (nameEnd > (ulong)area.Length || descEnd > (ulong)area.Length)
                throw new LoadException(fileName, $"malformed ELF note at offset {pos} of its note area (sizes run past its end)");
            var nameBytes = area.Slice(pos + 12, (int)namesz);
            int nul = nameBytes.IndexOf((byte)0);
            if (nul >= 0) nameBytes = nameBytes[..nul];
            string name = System.Text.Encoding.ASCII.GetString(nameBytes);
            into.Add(new ElfNote(name, type, area.Slice((int)descStart, (int)descsz).ToArray()));
            pos = (int)Math.Min((descEnd + 3) & ~3ul, (ulong)area.Length);
        }
    }

    private static string MachineName(ushort machine) => machine switch
    {
        0 => "none",
        2 => "SPARC",
        8 => "MIPS",
        20 => "PowerPC",
        40 => "ARM",
        50 => "IA-64",
        62 => "x86-64",
        183 => "AArch64",
        243 => "RISC-V",
        _ => "unknown",
    };

    private static string TypeName(ushort type) => type switch
    {
        0 => "ET_NONE",
        1 => "ET_REL, a relocatable object",
        3 => "ET_DYN, a shared object or position-independent executable",
        4 => "ET_CORE, a core dump",
        _ => "unknown",
    };

    private static ushort U16(ReadOnlySpan<byte> d, int o) => BinaryPrimitives.ReadUInt16LittleEndian(d.Slice(o, 2));
    private static uint U32(ReadOnlySpan<byte> d, int o) => BinaryPrimitives.ReadUInt32LittleEndian(d.Slice(o, 4));
}
