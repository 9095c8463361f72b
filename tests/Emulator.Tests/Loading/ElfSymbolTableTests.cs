using Emulator.Core.Loading;
using Emulator.Tests.Support;

namespace Emulator.Tests.Loading;

/// <summary>The ELF symbol table the debugger names addresses with.</summary>
public sealed class ElfSymbolTableTests
{
    [Fact]
    public void TheToyKernelsFunctionsAreFoundByNameAndAddress()
    {
        var table = ElfSymbolTable.FromFile(GuestImages.ToyKernel);
        uint kmain = ElfSymbols.Address(GuestImages.ToyKernel, "ops_kmain"); // the tests' own .symtab reader
        Assert.Equal(kmain, table.AddressOf("ops_kmain"));
        Assert.Equal("ops_kmain", table.Describe(kmain));
        Assert.Equal("ops_kmain+0x3", table.Describe(kmain + 3));
        var hit = table.Lookup(kmain + 3)!.Value;
        Assert.Equal(ElfSymbol.SttFunc, hit.Symbol.Type);
        Assert.True(hit.Symbol.Size > 3);
        Assert.Null(table.Describe(0x1000));  // below every symbol
        Assert.True(table.Symbols.Zip(table.Symbols.Skip(1)).All(p => p.First.Address <= p.Second.Address));
    }

    [Fact]
    public void AnAddressIsNamedWithinItsSymbolsSizeOnly()
    {
        var table = ElfSymbolTable.FromFile(GuestImages.ToyKernel);
        var kmain = table.Lookup(table.AddressOf("ops_kmain")!.Value)!.Value.Symbol;
        Assert.Equal($"ops_kmain+0x{kmain.Size - 1:x}", table.Describe(kmain.Address + kmain.Size - 1));
        Assert.NotEqual("ops_kmain", table.Lookup(kmain.Address + kmain.Size)?.Symbol.Name);
        var last = table.Symbols[^1];
        Assert.Null(table.Describe(last.Address + Math.Max(last.Size, ElfSymbolTable.UnsizedReach)));
    }

    [Fact]
    public void AnImageWithoutSymbolsOrNotElfHasNone()
    {
        var b = new Elf32Builder { Entry = 0x100000 };
        b.AddLoad(0x100000, [0x90]);
        Assert.Empty(ElfSymbolTable.From(ElfImage.Parse(b.Build(), "nosyms.elf")).Symbols);
        using var temp = new TempFiles();
        string path = temp.Write("flat.bin", [0xEB, 0xFE]);
        Assert.Empty(ElfSymbolTable.FromFile(path).Symbols);
        Assert.Empty(ElfSymbolTable.FromFile(Path.Combine(temp.Directory, "missing.elf")).Symbols);
    }
}
