using Emulator.Core.Debugging;
using Emulator.Core.Loading;
using Emulator.Tests.Support;
using Iced.Intel;

namespace Emulator.Tests.Debugging;

/// <summary>The debugger's disassembly around an address: Iced's Intel syntax, ELF symbols, lines before and after.</summary>
public sealed class GuestDisassemblerTests
{
    [Fact]
    public void CodeAroundAnAddressIsListedWithSymbolsAndTheCurrentLineMarked()
    {
        var (machine, _) = TestMachines.Xen(GuestImages.ToyKernel, "pv=ops");
        var symbols = ElfSymbolTable.FromFile(GuestImages.ToyKernel);
        uint kmain = symbols.AddressOf("ops_kmain")!.Value;
        uint at = kmain + FirstInstructionLength(machine.Cpu, kmain); // the second instruction of ops_kmain
        var lines = new GuestDisassembler(machine.Cpu, symbols).Around(at, before: 1, after: 3);

        Assert.Equal(4, lines.Count);
        Assert.Equal(kmain, lines[0].Address);                      // found backwards: the instruction before
        Assert.Equal("ops_kmain", lines[0].Symbol);
        Assert.True(lines[1].IsCurrent);
        Assert.Equal(at, lines[1].Address);
        Assert.Equal($"ops_kmain+0x{at - kmain:x}", lines[1].Symbol);
        Assert.Single(lines, l => l.IsCurrent);
        for (int k = 0; k + 1 < lines.Count; k++)
            Assert.Equal(lines[k].Address + (uint)lines[k].Bytes.Length / 2, lines[k + 1].Address); // consecutive, bytes in hex
        Assert.Equal(Reference(machine.Cpu, at), lines[1].Text);
    }

    [Fact]
    public void TheLinesBeforeAnAddressDeepInAFunctionAreDecodedFromItsStart()
    {
        var (machine, _) = TestMachines.Xen(GuestImages.ToyKernel, "pv=ops");
        var symbols = ElfSymbolTable.FromFile(GuestImages.ToyKernel);
        uint kmain = symbols.AddressOf("ops_kmain")!.Value;
        var disassembler = new GuestDisassembler(machine.Cpu, symbols);
        var fromStart = disassembler.Around(kmain, before: 0, after: 30);   // the function's first 30 instructions
        uint at = fromStart[25].Address;
        var around = disassembler.Around(at, before: 10, after: 1);
        Assert.Equal(fromStart.Skip(15).Take(11).Select(l => l.Address), around.Select(l => l.Address));
        Assert.True(around[10].IsCurrent);
    }

    [Fact]
    public void ACallNamesItsTarget()
    {
        var (machine, _) = TestMachines.Xen(GuestImages.ToyKernel, "pv=ops");
        var symbols = ElfSymbolTable.FromFile(GuestImages.ToyKernel);
        uint kmain = symbols.AddressOf("ops_kmain")!.Value;
        var call = new GuestDisassembler(machine.Cpu, symbols).Around(kmain, 0, 40).First(l => l.Text.StartsWith("call", StringComparison.Ordinal));
        Assert.Matches(@"^call\s+[a-z_][a-z0-9_]*(\+0x[0-9a-f]+)?$", call.Text);
        Assert.Contains(call.Text.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1].Split('+')[0], symbols.Symbols.Select(s => s.Name));
    }

    private static uint FirstInstructionLength(Emulator.Core.Cpu.Cpu cpu, uint at)
    {
        var bytes = new byte[15];
        cpu.PeekMemory(at, bytes);
        return (uint)Decoder.Create(32, new ByteArrayCodeReader(bytes)).Decode().Length;
    }

    /// <summary>Iced's own Intel text of the instruction (hex as the debugger shows it), no symbols.</summary>
    private static string Reference(Emulator.Core.Cpu.Cpu cpu, uint at)
    {
        var bytes = new byte[15];
        cpu.PeekMemory(at, bytes);
        var decoder = Decoder.Create(32, new ByteArrayCodeReader(bytes));
        decoder.IP = at;
        var formatter = new IntelFormatter();
        formatter.Options.FirstOperandCharIndex = 8;
        formatter.Options.HexPrefix = "0x";
        formatter.Options.HexSuffix = "";
        formatter.Options.UppercaseHex = false;
        var output = new StringOutput();
        formatter.Format(decoder.Decode(), output);
        return output.ToStringAndReset();
    }
}
