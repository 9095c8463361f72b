namespace Emulator.Core.Loading;

/// <summary>One named symbol of an ELF32 .symtab (System V ABI, "Symbol Table"): its value (an address), size and type.</summary>
public readonly record struct ElfSymbol(string Name, uint Address, uint Size, byte Type)
{
    public const byte SttNoType = 0, SttObject = 1, SttFunc = 2;
}
