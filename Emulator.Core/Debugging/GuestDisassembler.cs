using Emulator.Core.Loading;
using Iced.Intel;
using CpuCore = Emulator.Core.Cpu.Cpu;

namespace Emulator.Core.Debugging;

/// <summary>
/// Disassembles guest code around an address for the debugger (Iced's Intel formatter, branch
/// targets and memory operands named from the ELF symbol table). x86 cannot be decoded backwards,
/// so the lines before the address are decoded from the start of the function holding it when a
/// symbol says where that is (a known instruction boundary, up to <see cref="FunctionWindow"/>
/// bytes back); else from the earliest start within a short window whose instructions fall
/// exactly on the address (tried from far to near, so a start that realigns onto it wins).
/// Unmapped bytes end the listing.
/// </summary>
public sealed class GuestDisassembler
{
    /// <summary>How many bytes before the address a listing may start.</summary>
    public const int BackWindow = 32;
    /// <summary>How far back the start of the function holding the address is used.</summary>
    public const uint FunctionWindow = 4096;

    private readonly CpuCore _cpu;
    private readonly ElfSymbolTable _symbols;
    private readonly IntelFormatter _formatter;

    public GuestDisassembler(CpuCore cpu, ElfSymbolTable symbols)
    {
        _cpu = cpu;
        _symbols = symbols;
        _formatter = new IntelFormatter(new SymbolNames(symbols));
        _formatter.Options.FirstOperandCharIndex = 8;
        _formatter.Options.HexPrefix = "0x";
        _formatter.Options.HexSuffix = "";
        _formatter.Options.UppercaseHex = false;
    }

    /// <summary>Up to <paramref name="before"/> instructions before <paramref name="address"/> and <paramref name="after"/> from it on.</summary>
    public IReadOnlyList<DisassemblyLine> Around(uint address, int before, int after)
    {
        int bitness = _cpu.Code32 ? 32 : 16;
        var lines = new List<DisassemblyLine>();
        if (before > 0)
        {
            List<Instruction>? run = null;
            if (_symbols.Lookup(address) is { Offset: > 0 and <= FunctionWindow } function)
                run = Decode(function.Symbol.Address, (int)function.Offset + 15, bitness, stopAt: address);
            for (int back = BackWindow; run == null && back > 0; back--)
                run = Decode(address - (uint)back, back + 15, bitness, stopAt: address);
            if (run != null)
                foreach (var insn in run.Skip(Math.Max(0, run.Count - before))) lines.Add(Line(insn, address));
        }
        var forward = Decode(address, after * 15, bitness, stopAt: null, maxCount: after) ?? new List<Instruction>();
        foreach (var insn in forward) lines.Add(Line(insn, address));
        return lines;
    }

    /// <summary>
    /// Decodes from <paramref name="start"/>: with <paramref name="stopAt"/>, the instructions before
    /// it, or null unless one ends exactly there; without, up to <paramref name="maxCount"/> instructions.
    /// </summary>
    private List<Instruction>? Decode(uint start, int length, int bitness, uint? stopAt, int maxCount = int.MaxValue)
    {
        var bytes = new byte[length];
        int n = _cpu.PeekMemory(start, bytes);
        var decoder = Decoder.Create(bitness, new ByteArrayCodeReader(bytes, 0, n));
        decoder.IP = start;
        var list = new List<Instruction>();
        while (list.Count < maxCount && decoder.IP < start + (uint)n)
        {
            if (stopAt is { } stop && (uint)decoder.IP == stop) return list;
            var insn = decoder.Decode();
            if (insn.IsInvalid && decoder.LastError == DecoderError.NoMoreBytes) break;
            list.Add(insn);
            if (stopAt is { } s && (uint)decoder.IP > s && (uint)insn.IP < s) return null; // straddles the address
        }
        return stopAt == null ? list : null;
    }

    private DisassemblyLine Line(in Instruction insn, uint current)
    {
        uint address = (uint)insn.IP;
        var bytes = new byte[insn.Length];
        int n = _cpu.PeekMemory(address, bytes);
        var output = new StringOutput();
        _formatter.Format(insn, output);
        return new DisassemblyLine(address, _symbols.Describe(address), Convert.ToHexString(bytes, 0, n).ToLowerInvariant(), output.ToStringAndReset(), address == current);
    }

    /// <summary>Iced's hook for naming addresses: a symbol covering the address, as "name" or "name+0x..".</summary>
    private sealed class SymbolNames(ElfSymbolTable symbols) : ISymbolResolver
    {
        public bool TryGetSymbol(in Instruction instruction, int operand, int instructionOperand, ulong address, int addressSize, out SymbolResult symbol)
        {
            if (address <= uint.MaxValue && symbols.Lookup((uint)address) is { } hit)
            {
                symbol = new SymbolResult(hit.Symbol.Address, hit.Symbol.Name);
                return true;
            }
            symbol = default;
            return false;
        }
    }
}
