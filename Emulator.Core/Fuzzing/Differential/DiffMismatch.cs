using System.Globalization;
using System.Text;

namespace Emulator.Core.Fuzzing.Differential;

/// <summary>
/// A difference between our CPU and the reference after one instruction, with its reproducer: the
/// shortest prefix of the case's code that still shows it (units the shrinker could drop are
/// gone), the mode, and the initial registers and flags. The window's initial bytes come from the
/// campaign seed: `emu fuzz diff --seed S` replays the whole campaign.
/// </summary>
public sealed class DiffMismatch
{
    public ulong Seed { get; }
    public long CaseNumber { get; }
    public DiffCase Case { get; }
    /// <summary>The index in <see cref="DiffCase.Instructions"/> of the instruction after which the states differ.</summary>
    public int InstructionIndex { get; }
    public IReadOnlyList<string> Differences { get; }
    public string ReferenceName { get; }

    public DiffMismatch(ulong seed, long caseNumber, DiffCase diffCase, int instructionIndex, IReadOnlyList<string> differences, string referenceName)
    {
        Seed = seed;
        CaseNumber = caseNumber;
        Case = diffCase;
        InstructionIndex = instructionIndex;
        Differences = differences;
        ReferenceName = referenceName;
    }

    public EncodedInstruction Culprit => Case.Instructions[InstructionIndex];

    public override string ToString()
    {
        var inv = CultureInfo.InvariantCulture;
        var sb = new StringBuilder();
        sb.Append(inv, $"mismatch in case {CaseNumber} (seed {Seed}, {Case.Mode}) after `{Culprit.Asm}`:\n");
        foreach (var d in Differences) sb.Append("  ").Append(d).Append('\n');
        sb.Append("  initial state:");
        for (int r = 0; r < 8; r++) sb.Append(inv, $" {DiffState.RegisterNames[r]}={Case.Regs[r]:x8}");
        sb.Append(inv, $" eflags={Case.Eflags:x8}\n");
        sb.Append(inv, $"  code ({Case.Mode.Bits}-bit, at 0x{DiffLayout.CodeBase:x}):\n");
        foreach (var insn in Case.Instructions.Take(InstructionIndex + 1))
            sb.Append(inv, $"    {insn.Address:x8}  {Convert.ToHexString(insn.Bytes),-30} {insn.Asm}\n");
        sb.Append("  hex: ").Append(Convert.ToHexString(Case.Instructions.Take(InstructionIndex + 1).SelectMany(i => i.Bytes).ToArray())).Append('\n');
        return sb.ToString();
    }
}
