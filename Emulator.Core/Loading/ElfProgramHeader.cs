namespace Emulator.Core.Loading;

/// <summary>One ELF32 program header (System V ABI, "Program Header"): a segment of the image.</summary>
public readonly record struct ElfProgramHeader(
    uint Type, uint Offset, uint VirtualAddress, uint PhysicalAddress,
    uint FileSize, uint MemorySize, uint Flags, uint Align)
{
    public const uint PtNull = 0, PtLoad = 1, PtDynamic = 2, PtInterp = 3, PtNote = 4;

    public bool IsLoad => Type == PtLoad;
}
