namespace Emulator.Core.Loading;

/// <summary>
/// Where the multiboot loader puts things in low memory, and the memory map it reports. The
/// information structure and its strings go in conventional memory (usable RAM: the kernel must
/// not overwrite them until it is done with them, Multiboot Specification 0.6.96 §3.3); the boot
/// GDT goes at the start of the area the memory map reports as reserved (the EBDA), where the
/// kernel will not reuse it while its segment registers still refer to it.
/// </summary>
public static class MultibootLayout
{
    /// <summary>Start of the information area (above the real-mode IVT, BDA and the boot sector at 0x7C00).</summary>
    public const uint InfoAreaBase = 0x9000;
    /// <summary>Usable conventional memory ends here (640 KiB less the 1 KiB EBDA), as on a PC BIOS.</summary>
    public const uint ConventionalTop = 0x9FC00;
    /// <summary>The boot GDT: null, 0x08 flat code, 0x10 flat data.</summary>
    public const uint GdtAddress = 0x9FC00;
    public const ushort GdtLimit = 3 * 8 - 1;
    public const ushort CodeSelector = 0x08;
    public const ushort DataSelector = 0x10;
    /// <summary>The legacy hole: the EBDA, VGA memory, option ROMs and the BIOS, up to 1 MiB.</summary>
    public const uint ReservedStart = 0x9FC00;
    public const uint HighMemoryStart = 0x100000;
    /// <summary>The BIOS area reported as reserved in the memory map.</summary>
    public const uint BiosStart = 0xF0000;

    /// <summary>Flat 4 GiB ring-0 code, execute/read, 32-bit, accessed (SDM Vol. 3 §3.4.5).</summary>
    public const ulong FlatCodeDescriptor = 0x00CF9B000000FFFFul;
    /// <summary>Flat 4 GiB ring-0 data, read/write, 32-bit, accessed.</summary>
    public const ulong FlatDataDescriptor = 0x00CF93000000FFFFul;

    /// <summary>Memory-map entry types (the e820 types the multiboot map uses).</summary>
    public const uint MemoryAvailable = 1, MemoryReserved = 2;
}
