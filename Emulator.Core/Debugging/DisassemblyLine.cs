namespace Emulator.Core.Debugging;

/// <summary>One disassembled instruction: its linear address, "symbol+offset" when a symbol covers it, its bytes in hex and its text.</summary>
public sealed record DisassemblyLine(uint Address, string? Symbol, string Bytes, string Text, bool IsCurrent);
