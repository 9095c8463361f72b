namespace Emulator.Core.Loading;

/// <summary>A piece of the kernel to place in RAM: file bytes at a physical address, zero-filled up to MemorySize.</summary>
public sealed record MultibootSegment(uint PhysicalAddress, byte[] FileBytes, uint MemorySize)
{
    public uint End => PhysicalAddress + MemorySize;
}

/// <summary>A boot module placed in RAM: [Start, End) holds the file, String is its multiboot string.</summary>
public sealed record MultibootModule(string Path, string String, uint Start, uint End, byte[] Data);
