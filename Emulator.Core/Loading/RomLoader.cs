using Emulator.Core.Memory;
using Serilog;

namespace Emulator.Core.Loading;

using Cpu = Emulator.Core.Cpu.Cpu;

/// <summary>Where a firmware image was mapped.</summary>
public sealed record RomMapping(string Path, uint HighBase, uint LowBase, uint Size, uint LowSize);

/// <summary>
/// Maps a firmware image (-bios) as a PC does: the whole ROM ends at 4 GiB (so the reset vector at
/// 0xFFFFFFF0 is its last 16 bytes), and its last 128 KiB (the whole ROM if smaller) also ends at
/// 1 MiB, where real-mode code at F000:xxxx sees it. The CPU keeps its reset state (F000:FFF0 with
/// CS base 0xFFFF0000, SDM Vol. 3 §9.1.4).
/// </summary>
public static class RomLoader
{
    public const uint Granularity = 4096;
    public const uint MaxSize = 16 * 1024 * 1024;
    public const uint LowAliasMax = 128 * 1024;

    public static RomMapping Load(PhysicalMemory memory, Cpu cpu, string path, ILogger? log = null)
    {
        byte[] rom = ImageFile.Read(path);
        if (rom.Length == 0 || rom.Length % Granularity != 0 || rom.Length > MaxSize)
            throw new LoadException(path,
                $"a firmware image must be a positive multiple of 4 KiB and at most 16 MiB; this one is {rom.Length} bytes");
        uint size = (uint)rom.Length;
        uint highBase = (uint)(0x1_0000_0000ul - size);
        uint lowSize = Math.Min(size, LowAliasMax);
        uint lowBase = MultibootLayout.HighMemoryStart - lowSize;
        memory.MapRom(highBase, rom);
        memory.MapRom(lowBase, rom.AsSpan((int)(size - lowSize)).ToArray());
        cpu.Reset();
        (log ?? Serilog.Log.Logger).Information("Firmware {Path}: {Size} KiB at 0x{High:X8}, last {Low} KiB at 0x{LowBase:X5}",
            path, size / 1024, highBase, lowSize / 1024, lowBase);
        return new RomMapping(path, highBase, lowBase, size, lowSize);
    }
}
