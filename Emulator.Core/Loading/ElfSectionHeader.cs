namespace Emulator.Core.Loading;

/// <summary>One ELF32 section header (System V ABI, "Sections"); kept for the notes it may locate.</summary>
public readonly record struct ElfSectionHeader(
    uint NameOffset, uint Type, uint Flags, uint Address, uint Offset, uint Size,
    uint Link, uint Info, uint AddressAlign, uint EntrySize)
{
    public const uint ShtNull = 0, ShtProgbits = 1, ShtNote = 7, ShtNobits = 8;
}
