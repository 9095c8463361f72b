using System.Buffers.Binary;
using System.Text;
using Emulator.Core.Memory;
using Serilog;

namespace Emulator.Core.Loading;

using Cpu = Emulator.Core.Cpu.Cpu;

/// <summary>
/// Loads a multiboot v1 kernel the way QEMU's -kernel does (Multiboot Specification 0.6.96):
/// finds the multiboot header, loads the image by the header's address fields (flag bit 16) or by
/// its ELF PT_LOAD segments at their physical addresses, places the modules page-aligned after the
/// kernel, builds the information structure (memory sizes, an e820-style memory map, the command
/// line, the modules, the boot loader name) in low memory, and sets up the CPU to enter the kernel.
/// </summary>
public static class MultibootLoader
{
    public const string BootLoaderName = "emu";

    // Information-structure flags (§3.3).
    public const uint InfoMemory = 1u << 0, InfoCmdline = 1u << 2, InfoMods = 1u << 3, InfoMmap = 1u << 6, InfoLoaderName = 1u << 9;
    /// <summary>Size reserved for the information structure (up to and including the framebuffer fields).</summary>
    public const int InfoStructSize = 120;

    /// <summary>Prepares and installs a multiboot boot in one go.</summary>
    public static MultibootBoot Load(PhysicalMemory memory, Cpu cpu, string kernelPath, string? append = null,
        IReadOnlyList<MultibootModuleSpec>? modules = null, ILogger? log = null)
    {
        var boot = Prepare(memory, kernelPath, append, modules, log);
        boot.Install(memory, cpu);
        return boot;
    }

    /// <summary>
    /// Reads and validates the kernel and modules against this machine's memory and lays out the
    /// boot; nothing is written yet. Throws <see cref="LoadException"/> for any problem.
    /// </summary>
    /// <param name="append">The -append text. As QEMU does, the kernel's command line is the kernel's
    /// file name followed by a space and this text (the file name alone when it is empty), the GRUB
    /// convention that multiboot kernels expect.</param>
    public static MultibootBoot Prepare(PhysicalMemory memory, string kernelPath, string? append = null,
        IReadOnlyList<MultibootModuleSpec>? modules = null, ILogger? log = null)
    {
        log ??= Serilog.Log.Logger;
        modules ??= Array.Empty<MultibootModuleSpec>();
        byte[] image = ImageFile.Read(kernelPath);

        ElfImage? elf = null;
        LoadException? elfError = null;
        if (ElfImage.HasElfMagic(image))
        {
            try { elf = ElfImage.Parse(image, kernelPath); }
            catch (LoadException e) { elfError = e; }
        }

        MultibootHeader header;
        try { header = MultibootHeader.Find(image, kernelPath); }
        catch (LoadException) when (elfError != null) { throw elfError; } // the ELF problem says more

        uint unknown = header.Flags & MultibootHeader.RequiredMask & ~MultibootHeader.KnownRequirements;
        if (unknown != 0)
            throw new LoadException(kernelPath, $"the multiboot header requires features this loader does not have (flags 0x{unknown:X4} of 0x{header.Flags:X8})");
        if ((header.Flags & MultibootHeader.FlagVideoMode) != 0)
            log.Warning("{Kernel}: the multiboot header asks for a video mode; none is set (as with QEMU), the kernel keeps text mode", kernelPath);

        List<MultibootSegment> segments;
        uint entry;
        if (header.HasAddressFields)
        {
            (segments, entry) = SegmentsFromAddressFields(image, header, kernelPath);
            elf = null;
        }
        else
        {
            if (elfError != null) throw elfError;
            if (elf == null)
                throw new LoadException(kernelPath, "not an ELF image, and its multiboot header has no address fields (flag bit 16) to load it by");
            (segments, entry) = SegmentsFromElf(elf);
        }

        uint kernelEnd = 0;
        foreach (var s in segments) kernelEnd = Math.Max(kernelEnd, s.End);
        if (segments.Count == 0)
            throw new LoadException(kernelPath, "the kernel has nothing to load (all its segments are empty)");

        // Modules go page-aligned after the kernel (and never below 1 MiB).
        var placed = new List<MultibootModule>();
        ulong next = AlignUp(Math.Max(kernelEnd, MultibootLayout.HighMemoryStart));
        foreach (var spec in modules)
        {
            byte[] data = ImageFile.Read(spec.Path);
            ulong end = next + (ulong)data.Length;
            if (end > memory.RamSize || !memory.IsRam((uint)next, (uint)data.Length))
                throw new LoadException(spec.Path,
                    $"the module ({data.Length} bytes) does not fit in RAM at 0x{next:X8} after the kernel (RAM ends at 0x{memory.RamSize:X8}; give the machine more memory with -m)");
            placed.Add(new MultibootModule(spec.Path, spec.CommandLine, (uint)next, (uint)end, data));
            next = AlignUp(end);
        }

        // The command line starts with the kernel's name, as boot loaders give it; the file name alone,
        // so that what the guest sees (and a trace of it) does not depend on where the image lies.
        string kernelName = Path.GetFileName(kernelPath);
        string commandLine = string.IsNullOrEmpty(append) ? kernelName : kernelName + " " + append;
        byte[] info = BuildInfoArea(MultibootLayout.InfoAreaBase, memory.RamSize, commandLine, placed);
        if (MultibootLayout.InfoAreaBase + (ulong)info.Length > MultibootLayout.ConventionalTop)
            throw new LoadException(kernelPath,
                $"the command line and module strings are too long: the multiboot information needs {info.Length} bytes below 0x{MultibootLayout.ConventionalTop:X}");
        uint infoEnd = MultibootLayout.InfoAreaBase + (uint)info.Length;

        for (int n = 0; n < segments.Count; n++)
            CheckSegmentPlacement(segments[n], n, memory, infoEnd, kernelPath);
        CheckSegmentsApart(segments, kernelPath);

        foreach (var s in segments)
            log.Debug("{Kernel}: segment 0x{Start:X8}-0x{End:X8} ({File} bytes from the file)", kernelPath, s.PhysicalAddress, s.End, s.FileBytes.Length);
        foreach (var m in placed)
            log.Debug("Module {Path} at 0x{Start:X8}-0x{End:X8}", m.Path, m.Start, m.End);
        log.Information("Multiboot kernel {Kernel}: entry 0x{Entry:X8}, {Modules} module(s), command line \"{Cmdline}\"",
            kernelPath, entry, placed.Count, commandLine);

        return new MultibootBoot
        {
            KernelPath = kernelPath,
            Header = header,
            Elf = elf,
            Segments = segments,
            Modules = placed,
            Entry = entry,
            CommandLine = commandLine,
            InfoAddress = MultibootLayout.InfoAreaBase,
            InfoArea = info,
            KernelEnd = kernelEnd,
        };
    }

    /// <summary>ELF: every non-empty PT_LOAD at its physical address; the entry translated from virtual to physical.</summary>
    private static (List<MultibootSegment>, uint) SegmentsFromElf(ElfImage elf)
    {
        var segments = new List<MultibootSegment>();
        uint entry = elf.Entry;
        bool entryTranslated = false;
        foreach (var p in elf.LoadSegments)
        {
            if (p.MemorySize == 0) continue;
            segments.Add(new MultibootSegment(p.PhysicalAddress, elf.SegmentBytes(p).ToArray(), p.MemorySize));
            // A kernel linked high (virtual != physical) starts with paging off: enter at the physical address.
            if (!entryTranslated && elf.Entry >= p.VirtualAddress && elf.Entry - p.VirtualAddress < p.MemorySize)
            {
                entry = elf.Entry - p.VirtualAddress + p.PhysicalAddress;
                entryTranslated = true;
            }
        }
        return (segments, entry);
    }

    /// <summary>
    /// The a.out kludge (§3.1.3): the file from (header offset - (header_addr - load_addr)) is loaded
    /// at load_addr up to load_end_addr (0: the end of the file), then zeroed up to bss_end_addr (0: none).
    /// </summary>
    private static (List<MultibootSegment>, uint) SegmentsFromAddressFields(byte[] image, MultibootHeader h, string kernelPath)
    {
        if (h.LoadAddress > h.HeaderAddress)
            throw new LoadException(kernelPath, $"multiboot load_addr 0x{h.LoadAddress:X8} is above header_addr 0x{h.HeaderAddress:X8}");
        long fileOffset = h.Offset - (long)(h.HeaderAddress - h.LoadAddress);
        if (fileOffset < 0)
            throw new LoadException(kernelPath,
                $"multiboot header_addr 0x{h.HeaderAddress:X8} and load_addr 0x{h.LoadAddress:X8} put the load start {-fileOffset} bytes before the start of the file");
        ulong loadEnd = h.LoadEndAddress == 0 ? h.LoadAddress + (ulong)(image.Length - fileOffset) : h.LoadEndAddress;
        if (loadEnd < h.LoadAddress)
            throw new LoadException(kernelPath, $"multiboot load_end_addr 0x{h.LoadEndAddress:X8} is below load_addr 0x{h.LoadAddress:X8}");
        ulong fileBytes = loadEnd - h.LoadAddress;
        if ((ulong)fileOffset + fileBytes > (ulong)image.Length)
            throw new LoadException(kernelPath,
                $"truncated: the multiboot header asks for 0x{fileBytes:X} bytes from file offset 0x{fileOffset:X}, but the file has {image.Length} bytes");
        ulong memEnd = h.BssEndAddress == 0 ? loadEnd : h.BssEndAddress;
        if (memEnd < loadEnd)
            throw new LoadException(kernelPath, $"multiboot bss_end_addr 0x{h.BssEndAddress:X8} is below the end of the loaded image 0x{loadEnd:X8}");
        if (memEnd > 0x1_0000_0000ul)
            throw new LoadException(kernelPath, "the multiboot address fields place the image past 4 GiB");
        var bytes = image.AsSpan((int)fileOffset, (int)fileBytes).ToArray();
        return (new List<MultibootSegment> { new(h.LoadAddress, bytes, (uint)(memEnd - h.LoadAddress)) }, h.EntryAddress);
    }

    private static void CheckSegmentPlacement(MultibootSegment s, int index, PhysicalMemory memory, uint infoEnd, string kernelPath)
    {
        ulong start = s.PhysicalAddress, end = (ulong)s.PhysicalAddress + s.MemorySize;
        string range = $"segment {index} (0x{start:X8}-0x{end - 1:X8})";
        if (end > memory.RamSize)
            throw new LoadException(kernelPath,
                $"{range} lies outside RAM (RAM is 0x00000000-0x{memory.RamSize - 1:X8}; give the machine more memory with -m)");
        if (!memory.IsRam(s.PhysicalAddress, s.MemorySize))
            throw new LoadException(kernelPath, $"{range} overlaps a ROM or device region, not RAM");
        if (start < MultibootLayout.HighMemoryStart && end > MultibootLayout.ReservedStart)
            throw new LoadException(kernelPath,
                $"{range} overlaps the reserved area 0x{MultibootLayout.ReservedStart:X5}-0xFFFFF (EBDA, VGA memory, ROMs and the BIOS)");
        if (start < infoEnd && end > MultibootLayout.InfoAreaBase)
            throw new LoadException(kernelPath,
                $"{range} overlaps the multiboot information area 0x{MultibootLayout.InfoAreaBase:X8}-0x{infoEnd - 1:X8}");
    }

    /// <summary>
    /// Two segments that share bytes of memory make the image ambiguous (which one's bytes win?): refused,
    /// as QEMU refuses overlapping ROM regions ("rom: requested regions overlap").
    /// </summary>
    private static void CheckSegmentsApart(List<MultibootSegment> segments, string kernelPath)
    {
        var order = Enumerable.Range(0, segments.Count).OrderBy(n => segments[n].PhysicalAddress).ToList();
        for (int k = 1; k < order.Count; k++)
        {
            var a = segments[order[k - 1]];
            var b = segments[order[k]];
            if (b.PhysicalAddress < a.End)
                throw new LoadException(kernelPath,
                    $"segments {Math.Min(order[k - 1], order[k])} and {Math.Max(order[k - 1], order[k])} overlap in memory (0x{a.PhysicalAddress:X8}-0x{a.End - 1:X8} and 0x{b.PhysicalAddress:X8}-0x{(ulong)b.PhysicalAddress + b.MemorySize - 1:X8})");
        }
    }

    /// <summary>
    /// Lays out the information area at <paramref name="baseAddress"/>: the structure, the memory map,
    /// the boot loader name, the command line, the module list and the module strings.
    /// </summary>
    internal static byte[] BuildInfoArea(uint baseAddress, uint ramSize, string commandLine, IReadOnlyList<MultibootModule> modules)
    {
        var area = new List<byte>(1024);
        area.AddRange(new byte[InfoStructSize]);

        // Memory map (§3.3): entries of size (u32, not counting itself), base (u64), length (u64), type (u32).
        uint mmapAddr = baseAddress + (uint)area.Count;
        (ulong Base, ulong Length, uint Type)[] map =
        {
            (0, MultibootLayout.ConventionalTop, MultibootLayout.MemoryAvailable),
            (MultibootLayout.ConventionalTop, 0xA0000 - MultibootLayout.ConventionalTop, MultibootLayout.MemoryReserved),
            (MultibootLayout.BiosStart, MultibootLayout.HighMemoryStart - MultibootLayout.BiosStart, MultibootLayout.MemoryReserved),
            (MultibootLayout.HighMemoryStart, ramSize - MultibootLayout.HighMemoryStart, MultibootLayout.MemoryAvailable),
        };
        var entry = new byte[24];
        foreach (var (b, len, type) in map)
        {
            BinaryPrimitives.WriteUInt32LittleEndian(entry.AsSpan(0), 20);
            BinaryPrimitives.WriteUInt64LittleEndian(entry.AsSpan(4), b);
            BinaryPrimitives.WriteUInt64LittleEndian(entry.AsSpan(12), len);
            BinaryPrimitives.WriteUInt32LittleEndian(entry.AsSpan(20), type);
            area.AddRange(entry);
        }
        uint mmapLength = (uint)(map.Length * 24);

        uint AddString(string s)
        {
            uint at = baseAddress + (uint)area.Count;
            area.AddRange(Encoding.UTF8.GetBytes(s));
            area.Add(0);
            return at;
        }
        void Align(int to) { while (area.Count % to != 0) area.Add(0); }

        uint loaderName = AddString(BootLoaderName);
        uint cmdline = AddString(commandLine);
        var moduleStrings = new uint[modules.Count];
        for (int i = 0; i < modules.Count; i++) moduleStrings[i] = AddString(modules[i].String);
        Align(16);
        uint modsAddr = baseAddress + (uint)area.Count;
        for (int i = 0; i < modules.Count; i++)
        {
            var mod = new byte[16]; // mod_start, mod_end, string, reserved
            BinaryPrimitives.WriteUInt32LittleEndian(mod.AsSpan(0), modules[i].Start);
            BinaryPrimitives.WriteUInt32LittleEndian(mod.AsSpan(4), modules[i].End);
            BinaryPrimitives.WriteUInt32LittleEndian(mod.AsSpan(8), moduleStrings[i]);
            area.AddRange(mod);
        }
        Align(4);

        var bytes = area.ToArray();
        var s = bytes.AsSpan();
        BinaryPrimitives.WriteUInt32LittleEndian(s[0..], InfoMemory | InfoCmdline | InfoMods | InfoMmap | InfoLoaderName);
        BinaryPrimitives.WriteUInt32LittleEndian(s[4..], 640);                                             // mem_lower (KiB)
        BinaryPrimitives.WriteUInt32LittleEndian(s[8..], (ramSize - MultibootLayout.HighMemoryStart) / 1024); // mem_upper (KiB)
        BinaryPrimitives.WriteUInt32LittleEndian(s[16..], cmdline);
        BinaryPrimitives.WriteUInt32LittleEndian(s[20..], (uint)modules.Count);
        BinaryPrimitives.WriteUInt32LittleEndian(s[24..], modsAddr);
        BinaryPrimitives.WriteUInt32LittleEndian(s[44..], mmapLength);
        BinaryPrimitives.WriteUInt32LittleEndian(s[48..], mmapAddr);
        BinaryPrimitives.WriteUInt32LittleEndian(s[64..], loaderName);
        return bytes;
    }

    private static ulong AlignUp(ulong v) => (v + PhysicalMemory.PageSize - 1) & ~(ulong)(PhysicalMemory.PageSize - 1);
}
