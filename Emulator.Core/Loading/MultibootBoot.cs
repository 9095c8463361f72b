using Emulator.Core.Memory;

namespace Emulator.Core.Loading;

using Cpu = Emulator.Core.Cpu.Cpu;

/// <summary>
/// A validated multiboot boot, ready to be installed in a machine: the kernel segments, the modules,
/// the information area and the entry point. <see cref="Install"/> can be repeated (after a reset
/// the loader's work is redone, as QEMU's option ROM does).
/// </summary>
public sealed class MultibootBoot
{
    public const uint BootloaderMagic = 0x2BADB002;

    public required string KernelPath { get; init; }
    public required MultibootHeader Header { get; init; }
    /// <summary>The ELF image when the kernel was loaded by its program headers (null for the a.out kludge).</summary>
    public ElfImage? Elf { get; init; }
    public required IReadOnlyList<MultibootSegment> Segments { get; init; }
    public required IReadOnlyList<MultibootModule> Modules { get; init; }
    /// <summary>The physical entry point (EIP at start).</summary>
    public required uint Entry { get; init; }
    /// <summary>The command line given to the kernel (the multiboot cmdline string).</summary>
    public required string CommandLine { get; init; }
    /// <summary>Address of the multiboot information structure (EBX at start).</summary>
    public required uint InfoAddress { get; init; }
    /// <summary>The information area's bytes (the structure, memory map, strings, module list), placed at <see cref="InfoAddress"/>.</summary>
    public required byte[] InfoArea { get; init; }

    /// <summary>One past the highest byte the kernel occupies.</summary>
    public uint KernelEnd { get; init; }

    /// <summary>
    /// Writes the kernel, modules, information area and boot GDT into memory and puts the CPU in the
    /// multiboot entry state (Multiboot Specification 0.6.96 §3.2): EAX = 0x2BADB002, EBX = the
    /// information structure, flat 32-bit protected mode with CS 0x08 and data selectors 0x10 (their
    /// caches loaded directly, matching the GDT that GDTR points at), CR0 = PE|ET, paging and
    /// interrupts off, A20 enabled, EIP = entry. The IDT is left empty (limit 0) so that an exception
    /// before the kernel sets up its own ends in a triple fault rather than in random vectors.
    /// </summary>
    public void Install(PhysicalMemory memory, Cpu cpu)
    {
        memory.A20Enabled = true;
        var ram = memory.Ram.AsSpan();
        foreach (var s in Segments)
        {
            var target = ram.Slice((int)s.PhysicalAddress, (int)s.MemorySize);
            s.FileBytes.CopyTo(target);
            target[s.FileBytes.Length..].Clear();
        }
        foreach (var m in Modules)
            m.Data.CopyTo(ram.Slice((int)m.Start, m.Data.Length));
        InfoArea.CopyTo(ram.Slice((int)InfoAddress, InfoArea.Length));
        memory.Write64(MultibootLayout.GdtAddress + 0, 0);
        memory.Write64(MultibootLayout.GdtAddress + 8, MultibootLayout.FlatCodeDescriptor);
        memory.Write64(MultibootLayout.GdtAddress + 16, MultibootLayout.FlatDataDescriptor);

        cpu.Reset();
        Array.Clear(cpu.Regs);
        cpu.Regs[Cpu.EAX] = BootloaderMagic;
        cpu.Regs[Cpu.EBX] = InfoAddress;
        cpu.Cr0 = Cpu.Cr0PE | Cpu.Cr0ET;
        cpu.GdtrBase = MultibootLayout.GdtAddress;
        cpu.GdtrLimit = MultibootLayout.GdtLimit;
        cpu.IdtrBase = 0;
        cpu.IdtrLimit = 0;
        cpu.Segs[Cpu.CS].LoadDescriptor(MultibootLayout.CodeSelector, MultibootLayout.FlatCodeDescriptor);
        foreach (int seg in new[] { Cpu.ES, Cpu.SS, Cpu.DS, Cpu.FS, Cpu.GS })
            cpu.Segs[seg].LoadDescriptor(MultibootLayout.DataSelector, MultibootLayout.FlatDataDescriptor);
        cpu.Cpl = 0;
        cpu.SetEflags(0x2); // IF=0, reserved bit 1 set
        cpu.Eip = Entry;
        cpu.Halted = false;
        cpu.FlushDecodeCache(); // the loader wrote RAM behind the decode cache's back
    }
}
