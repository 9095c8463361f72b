using System.Text;
using Emulator.Core.Cpu;
using Emulator.Core.Loading;
using Emulator.Tests.Support;
using Cpu = Emulator.Core.Cpu.Cpu;
using Machine = Emulator.Core.Machine.Machine;

namespace Emulator.Tests.Loading;

public sealed class MultibootLoaderTests : IDisposable
{
    private const uint MiB = 1024 * 1024;
    private readonly TempFiles _files = new();

    public void Dispose() => _files.Dispose();

    /// <summary>A kernel whose one segment at 1 MiB starts with a multiboot header, then 0x20 bytes of 0x90, then bss.</summary>
    private static byte[] KernelBytes(uint flags = 0x3, uint checksumError = 0)
    {
        var header = Elf32Builder.MultibootHeader(flags, checksumError);
        var text = header.Concat(Enumerable.Repeat((byte)0x90, 0x20)).ToArray();
        var b = new Elf32Builder { Entry = 0x100000 + (uint)header.Length };
        b.AddLoad(0x100000, text, memorySize: 0x3000);
        return b.Build();
    }

    private static Machine NewMachine(uint ramMiB = 16)
    {
        var m = new Machine(ramMiB * MiB);
        m.Memory.Ram.AsSpan().Fill(0xCC); // so that zeroed bss is visible
        return m;
    }

    private string CString(Machine m, uint addr)
    {
        var sb = new StringBuilder();
        for (uint a = addr; m.Memory.Read8(a) != 0; a++) sb.Append((char)m.Memory.Read8(a));
        return sb.ToString();
    }

    private LoadException LoadError(Machine m, string kernel, string? append = null, string? initrd = null)
    {
        var e = Assert.Throws<LoadException>(() =>
            MultibootLoader.Load(m.Memory, m.Cpu, kernel, append, MultibootModuleSpec.ParseList(initrd)));
        Assert.DoesNotContain('\n', e.Message);
        return e;
    }

    [Fact]
    public void LoadsSegmentsAtTheirPhysicalAddressesAndZeroesBss()
    {
        var m = NewMachine();
        string k = _files.Write("k.elf", KernelBytes());
        var boot = MultibootLoader.Load(m.Memory, m.Cpu, k);

        Assert.Equal(0x1BADB002u, m.Memory.Read32(0x100000));
        Assert.Equal(0x90, m.Memory.Read8(0x10000C));
        Assert.Equal(0x90, m.Memory.Read8(0x10002B));
        for (uint a = 0x10002C; a < 0x103000; a++) Assert.Equal(0, m.Memory.Read8(a));
        Assert.Equal(0xCC, m.Memory.Read8(0x103000)); // just past p_memsz: untouched
        Assert.Equal(0x103000u, boot.KernelEnd);
        Assert.Equal(0x10000Cu, boot.Entry);
    }

    [Fact]
    public void CpuStateAtEntryIsTheMultibootMachineState()
    {
        var m = NewMachine();
        string k = _files.Write("k.elf", KernelBytes());
        MultibootLoader.Load(m.Memory, m.Cpu, k);
        var c = m.Cpu;

        Assert.Equal(0x2BADB002u, c.Regs[Cpu.EAX]);
        Assert.Equal(0x9000u, c.Regs[Cpu.EBX]);
        Assert.Equal(0x10000Cu, c.Eip);
        Assert.Equal(0x11u, c.Cr0); // PE (bit 0) and ET (bit 4); PG clear
        Assert.Equal(0u, c.GetEflags() & (1u << 9)); // IF clear
        Assert.True(m.Memory.A20Enabled);
        Assert.Equal(0, c.Cpl);

        var cs = c.Segs[Cpu.CS];
        Assert.Equal(0x08, cs.Selector);
        Assert.Equal(0u, cs.Base);
        Assert.Equal(0xFFFFFFFFu, cs.Limit);
        Assert.True(cs.IsCode);
        Assert.True(cs.Big);
        Assert.Equal(0, cs.Dpl);
        foreach (int s in new[] { Cpu.DS, Cpu.ES, Cpu.SS, Cpu.FS, Cpu.GS })
        {
            var seg = c.Segs[s];
            Assert.Equal(0x10, seg.Selector);
            Assert.Equal(0u, seg.Base);
            Assert.Equal(0xFFFFFFFFu, seg.Limit);
            Assert.True(seg.IsData);
            Assert.True((seg.Attributes & SegmentCache.AttrWritable) != 0);
            Assert.True(seg.Big);
        }

        // GDTR points at a GDT whose entries 1 and 2 describe the same segments, so reloading
        // selectors 0x08/0x10 gives the same caches. Descriptor fields per SDM Vol. 3 §3.4.5.
        Assert.True(c.GdtrLimit >= 0x17);
        Assert.Equal(0ul, m.Memory.Read64(c.GdtrBase));
        foreach (var (index, type) in new[] { (1, 0xBu), (2, 0x3u) })
        {
            ulong d = m.Memory.Read64(c.GdtrBase + (uint)index * 8);
            uint lo = (uint)d, hi = (uint)(d >> 32);
            Assert.Equal(0xFFFFu, lo & 0xFFFF);                     // limit 15:0
            Assert.Equal(0xFu, (hi >> 16) & 0xF);                   // limit 19:16
            Assert.Equal(0u, (lo >> 16) | ((hi & 0xFF) << 16) | (hi & 0xFF000000)); // base
            Assert.Equal(type, (hi >> 8) & 0xF);                   // type
            Assert.Equal(1u, (hi >> 12) & 1);                       // S
            Assert.Equal(0u, (hi >> 13) & 3);                       // DPL
            Assert.Equal(1u, (hi >> 15) & 1);                       // P
            Assert.Equal(1u, (hi >> 22) & 1);                       // D/B
            Assert.Equal(1u, (hi >> 23) & 1);                       // G
        }
        // The GDT lies in memory the memory map reports as reserved (0x9FC00-0x9FFFF).
        Assert.InRange(c.GdtrBase, 0x9FC00u, 0x9FFFFu - 0x17);
    }

    [Fact]
    public void InformationStructure()
    {
        var m = NewMachine(16);
        string k = _files.Write("k.elf", KernelBytes());
        string modA = _files.Write("a.bin", Enumerable.Range(0, 5000).Select(i => (byte)i).ToArray());
        string modB = _files.Write("b.bin", new byte[] { 0xAB, 0xCD, 0xEF });
        var boot = MultibootLoader.Load(m.Memory, m.Cpu, k, "exit=5 hi", MultibootModuleSpec.ParseList($"{modA} one two,{modB}"));
        uint mbi = m.Cpu.Regs[Cpu.EBX];
        Assert.Equal(boot.InfoAddress, mbi);
        uint U32(uint off) => m.Memory.Read32(mbi + off);

        // flags: mem (bit 0), cmdline (2), mods (3), mmap (6), boot_loader_name (9).
        Assert.Equal((1u << 0) | (1u << 2) | (1u << 3) | (1u << 6) | (1u << 9), U32(0));
        Assert.Equal(640u, U32(4));                       // mem_lower, KiB
        Assert.Equal((16u * 1024 * 1024 - 0x100000) / 1024, U32(8)); // mem_upper = 15360 KiB
        Assert.Equal("k.elf exit=5 hi", CString(m, U32(16)));
        Assert.Equal("emu", CString(m, U32(64)));

        // Memory map: four entries of 24 bytes (size 20 + base + length + type).
        Assert.Equal(96u, U32(44));
        uint mmap = U32(48);
        var expected = new (ulong Base, ulong Length, uint Type)[]
        {
            (0, 0x9FC00, 1),
            (0x9FC00, 0x400, 2),
            (0xF0000, 0x10000, 2),
            (0x100000, 16ul * 1024 * 1024 - 0x100000, 1),
        };
        for (int i = 0; i < expected.Length; i++)
        {
            uint e = mmap + (uint)i * 24;
            Assert.Equal(20u, m.Memory.Read32(e));
            Assert.Equal(expected[i].Base, m.Memory.Read64(e + 4));
            Assert.Equal(expected[i].Length, m.Memory.Read64(e + 12));
            Assert.Equal(expected[i].Type, m.Memory.Read32(e + 20));
        }

        // Modules: page-aligned after the kernel (which ends at 0x103000), in order.
        Assert.Equal(2u, U32(20));
        uint mods = U32(24);
        uint aStart = m.Memory.Read32(mods), aEnd = m.Memory.Read32(mods + 4);
        uint bStart = m.Memory.Read32(mods + 16), bEnd = m.Memory.Read32(mods + 20);
        Assert.Equal(0x103000u, aStart);
        Assert.Equal(0x103000u + 5000, aEnd);
        Assert.Equal(0x105000u, bStart); // 0x103000 + 5000 = 0x104388, rounded up to a page
        Assert.Equal(0x105003u, bEnd);
        Assert.Equal($"{modA} one two", CString(m, m.Memory.Read32(mods + 8)));
        Assert.Equal(modB, CString(m, m.Memory.Read32(mods + 24)));
        for (uint i = 0; i < 5000; i++) Assert.Equal((byte)i, m.Memory.Read8(aStart + i));
        Assert.Equal(0xEF, m.Memory.Read8(bStart + 2));
    }

    [Fact]
    public void CommandLineWithoutAppendIsTheKernelName()
    {
        var m = NewMachine();
        string k = _files.Write("k.elf", KernelBytes());
        MultibootLoader.Load(m.Memory, m.Cpu, k);
        uint mbi = m.Cpu.Regs[Cpu.EBX];
        // The file name only: the guest (and a trace of it) does not depend on the image's directory.
        Assert.Equal("k.elf", CString(m, m.Memory.Read32(mbi + 16)));
        Assert.NotEqual("k.elf", k);
        Assert.Equal(0u, m.Memory.Read32(mbi + 20)); // no modules
    }

    [Fact]
    public void HighLinkedKernelEntersAtThePhysicalAddress()
    {
        var header = Elf32Builder.MultibootHeader(0x3);
        var b = new Elf32Builder { Entry = 0xC0100000 + 12 };
        var seg = b.AddLoad(0x100000, header.Concat(new byte[] { 0xF4 }).ToArray(), memorySize: 0x1000);
        seg.VirtualAddress = 0xC0100000;
        var m = NewMachine();
        MultibootLoader.Load(m.Memory, m.Cpu, _files.Write("high.elf", b.Build()));
        Assert.Equal(0x10000Cu, m.Cpu.Eip);
        Assert.Equal(0xF4, m.Memory.Read8(0x10000C));
    }

    [Fact]
    public void AddressFieldsLoadARawImage()
    {
        // A flat binary: 16 bytes of padding, the header at file offset 16 (address 0x200010), code after.
        uint load = 0x200000;
        var header = Elf32Builder.MultibootHeader(0x10002, headerAddr: load + 16, loadAddr: load,
            loadEndAddr: load + 0x40, bssEndAddr: load + 0x2000, entryAddr: load + 0x30);
        var image = new byte[0x80];
        for (int i = 0; i < image.Length; i++) image[i] = (byte)(i | 0x80);
        header.CopyTo(image, 16);
        var m = NewMachine();
        var boot = MultibootLoader.Load(m.Memory, m.Cpu, _files.Write("raw.bin", image));

        Assert.Null(boot.Elf);
        Assert.Equal(load + 0x30, m.Cpu.Eip);
        Assert.Equal(0x80, m.Memory.Read8(load));             // file offset 0
        Assert.Equal(0x1BADB002u, m.Memory.Read32(load + 16)); // the header where header_addr says
        Assert.Equal((byte)(0x3F | 0x80), m.Memory.Read8(load + 0x3F)); // last byte before load_end_addr
        for (uint a = load + 0x40; a < load + 0x2000; a++) Assert.Equal(0, m.Memory.Read8(a)); // bss
        Assert.Equal(0xCC, m.Memory.Read8(load + 0x2000));
    }

    [Fact]
    public void InstallingAgainRestoresTheBoot()
    {
        var m = NewMachine();
        var boot = MultibootLoader.Load(m.Memory, m.Cpu, _files.Write("k.elf", KernelBytes()));
        m.Memory.Write32(0x100010, 0xDEADBEEF);
        m.Cpu.Eip = 0x1234;
        m.Cpu.Regs[Cpu.EAX] = 0;
        boot.Install(m.Memory, m.Cpu);
        Assert.Equal(0x90909090u, m.Memory.Read32(0x100010));
        Assert.Equal(0x10000Cu, m.Cpu.Eip);
        Assert.Equal(0x2BADB002u, m.Cpu.Regs[Cpu.EAX]);
    }

    // ---- Bad images ----------------------------------------------------------------------------

    [Fact]
    public void MissingKernel()
    {
        string path = _files.PathOf("nope.elf");
        Assert.Equal($"{path}: no such file", LoadError(NewMachine(), path).Message);
    }

    [Fact]
    public void MissingModule()
    {
        string k = _files.Write("k.elf", KernelBytes());
        string mod = _files.PathOf("missing.mod");
        var e = LoadError(NewMachine(), k, initrd: mod + " arg");
        Assert.Equal($"{mod}: no such file", e.Message);
    }

    [Fact]
    public void NeitherElfNorMultiboot()
    {
        string k = _files.Write("text.txt", Encoding.ASCII.GetBytes(new string('x', 10000)));
        Assert.Contains("not a multiboot kernel", LoadError(NewMachine(), k).Message);
    }

    [Fact]
    public void ElfWithoutMultibootHeader()
    {
        var b = new Elf32Builder { Entry = 0x100000 };
        b.AddLoad(0x100000, new byte[64]);
        string k = _files.Write("plain.elf", b.Build());
        var e = LoadError(NewMachine(), k);
        Assert.StartsWith(k + ": ", e.Message);
        Assert.Contains("no multiboot header", e.Message);
    }

    [Fact]
    public void BadChecksum()
    {
        string k = _files.Write("k.elf", KernelBytes(checksumError: 0x100));
        Assert.Contains("bad checksum", LoadError(NewMachine(), k).Message);
    }

    [Fact]
    public void WrongElfClassIsReportedAsSuch()
    {
        var bytes = KernelBytes();
        bytes[4] = 2; // ELFCLASS64
        Assert.Contains("64-bit", LoadError(NewMachine(), _files.Write("k64.elf", bytes)).Message);
    }

    [Fact]
    public void WrongMachineIsReportedAsSuch()
    {
        var bytes = KernelBytes();
        bytes[18] = 40; // EM_ARM
        Assert.Contains("EM_386", LoadError(NewMachine(), _files.Write("arm.elf", bytes)).Message);
    }

    [Fact]
    public void TruncatedElfKernel()
    {
        var bytes = KernelBytes()[..60];
        Assert.Contains("truncated program header table", LoadError(NewMachine(), _files.Write("cut.elf", bytes)).Message);
    }

    [Fact]
    public void UnknownRequiredFlagIsRefused()
    {
        string k = _files.Write("k.elf", KernelBytes(flags: 0x3 | (1u << 5)));
        Assert.Contains("requires features", LoadError(NewMachine(), k).Message);
    }

    [Fact]
    public void SegmentOutsideRam()
    {
        var header = Elf32Builder.MultibootHeader(0x3);
        var b = new Elf32Builder { Entry = 0x2000000 };
        b.AddLoad(0x2000000, header, memorySize: 0x1000); // 32 MiB, in a 16 MiB machine
        var e = LoadError(NewMachine(16), _files.Write("far.elf", b.Build()));
        Assert.Contains("outside RAM", e.Message);
        Assert.Contains("0x02000000", e.Message);
    }

    [Fact]
    public void SegmentRunningPastTheEndOfRam()
    {
        var header = Elf32Builder.MultibootHeader(0x3);
        var b = new Elf32Builder { Entry = 0x100000 };
        b.AddLoad(0x100000, header, memorySize: 2 * MiB); // ends at 3 MiB in a 2 MiB machine
        Assert.Contains("outside RAM", LoadError(NewMachine(2), _files.Write("big.elf", b.Build())).Message);
    }

    [Fact]
    public void OverlappingSegmentsAreRefused()
    {
        var header = Elf32Builder.MultibootHeader(0x3);
        var b = new Elf32Builder { Entry = 0x100000 };
        b.AddLoad(0x100000, header, memorySize: 0x2000);
        b.AddLoad(0x101000, new byte[16], memorySize: 0x1000);
        var e = LoadError(NewMachine(), _files.Write("overlap.elf", b.Build()));
        Assert.Equal("segments 0 and 1 overlap in memory (0x00100000-0x00101FFF and 0x00101000-0x00101FFF)", e.Problem);
    }

    /// <summary>A segment of almost 4 GiB is refused from its header alone: nothing of its size is allocated.</summary>
    [Fact]
    public void AHugeSegmentIsRefusedWithoutAllocatingIt()
    {
        var header = Elf32Builder.MultibootHeader(0x3);
        var b = new Elf32Builder { Entry = 0x100000 };
        b.AddLoad(0x100000, header, memorySize: 0xFFE0_0000);
        string path = _files.Write("huge.elf", b.Build());
        var m = NewMachine();
        long before = GC.GetAllocatedBytesForCurrentThread();
        var e = LoadError(m, path);
        Assert.True(GC.GetAllocatedBytesForCurrentThread() - before < 1 << 20);
        Assert.Contains("segment 0 (0x00100000-0xFFEFFFFF) lies outside RAM", e.Message);
    }

    [Fact]
    public void SegmentInTheLegacyHole()
    {
        var header = Elf32Builder.MultibootHeader(0x3);
        var b = new Elf32Builder { Entry = 0xB8000 };
        b.AddLoad(0xB8000, header, memorySize: 0x100);
        Assert.Contains("reserved area", LoadError(NewMachine(), _files.Write("vga.elf", b.Build())).Message);
    }

    [Fact]
    public void SegmentOverTheInformationArea()
    {
        var header = Elf32Builder.MultibootHeader(0x3);
        var b = new Elf32Builder { Entry = 0x8000 };
        b.AddLoad(0x8000, header, memorySize: 0x2000); // 0x8000-0x9FFF covers the start of the info area at 0x9000
        Assert.Contains("information area", LoadError(NewMachine(), _files.Write("low.elf", b.Build())).Message);
    }

    [Fact]
    public void ModuleThatDoesNotFit()
    {
        string k = _files.Write("k.elf", KernelBytes());
        string mod = _files.Write("huge.mod", new byte[3 * MiB]);
        var e = LoadError(NewMachine(4), k, initrd: mod); // kernel ends at 0x103000; 3 MiB more passes 4 MiB
        Assert.StartsWith(mod + ": ", e.Message);
        Assert.Contains("does not fit in RAM", e.Message);
    }

    [Fact]
    public void AddressFieldsPointingBeforeTheFile()
    {
        var header = Elf32Builder.MultibootHeader(0x10000, headerAddr: 0x200100, loadAddr: 0x200000, entryAddr: 0x200000);
        var image = new byte[0x40];
        header.CopyTo(image, 0); // header at offset 0 but claims to be 0x100 bytes after the load start
        Assert.Contains("before the start of the file", LoadError(NewMachine(), _files.Write("bad.bin", image)).Message);
    }

    [Fact]
    public void AddressFieldsAskingForMoreThanTheFile()
    {
        var header = Elf32Builder.MultibootHeader(0x10000, headerAddr: 0x200000, loadAddr: 0x200000, loadEndAddr: 0x210000, entryAddr: 0x200000);
        var image = new byte[0x40];
        header.CopyTo(image, 0);
        Assert.Contains("truncated", LoadError(NewMachine(), _files.Write("short.bin", image)).Message);
    }

    // ---- Module lists -----------------------------------------------------------------------

    [Fact]
    public void ModuleListSplitsOnCommasAndKeepsArguments()
    {
        var list = MultibootModuleSpec.ParseList("a.bin,b.bin x=1 y,c,,d.bin");
        Assert.Equal(3, list.Count);
        Assert.Equal(new MultibootModuleSpec("a.bin", "a.bin"), list[0]);
        Assert.Equal(new MultibootModuleSpec("b.bin", "b.bin x=1 y"), list[1]);
        Assert.Equal(new MultibootModuleSpec("c,d.bin", "c,d.bin"), list[2]); // ",," is a literal comma
        Assert.Empty(MultibootModuleSpec.ParseList(null));
        Assert.Throws<ArgumentException>(() => MultibootModuleSpec.ParseList("a.bin,"));
    }
}
