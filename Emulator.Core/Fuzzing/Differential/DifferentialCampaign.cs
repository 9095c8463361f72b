using System.Globalization;
using Iced.Intel;

namespace Emulator.Core.Fuzzing.Differential;

/// <summary>
/// Differential CPU testing (issue 9): runs generated cases on our interpreter and on a reference
/// CPU (QEMU) instruction by instruction, comparing the general registers, EIP, EFLAGS (minus the
/// flags <see cref="UndefinedFlags"/> says the SDM leaves undefined, and RF), the selectors and the
/// compared memory window after every instruction. Where both may differ legitimately (undefined
/// flags, BSF/BSR's destination for a zero source) our CPU takes the reference's value, so the
/// rest of the case starts from the same state. A case ends after its last instruction or when an
/// exception was delivered. A mismatching case is shrunk (units dropped while the mismatch
/// survives) and reported with its reproducer. Deterministic for a seed.
/// </summary>
public sealed class DifferentialCampaign
{
    /// <summary>Iterations of one REP instruction stepped before giving up on it reaching its end.</summary>
    public const int MaxRepIterations = 64;
    public const int MaxReproducers = 20;
    private const uint ResumeFlag = 1u << 16;

    private readonly IDiffCpu _ours;
    private readonly IDiffCpu _reference;
    private readonly ulong _seed;
    private readonly IReadOnlyList<DiffMode> _modes;

    public DifferentialCampaign(IDiffCpu ours, IDiffCpu reference, ulong seed, IReadOnlyList<DiffMode> modes)
    {
        if (modes.Count == 0) throw new ArgumentException("no mode to test", nameof(modes));
        _ours = ours;
        _reference = reference;
        _seed = seed;
        _modes = modes;
    }

    public DiffCampaignResult Run(long cases, Action<long, long>? progress = null, long progressEvery = 1000)
    {
        var generator = new DiffCaseGenerator(_seed);
        long compared = 0, faulting = 0, mismatching = 0;
        var reproducers = new List<DiffMismatch>();
        var culprits = new HashSet<string>();
        for (long n = 0; n < cases; n++)
        {
            var diffCase = generator.Next(_modes[(int)(n % _modes.Count)]);
            var outcome = RunCase(diffCase);
            compared += outcome.Compared;
            if (outcome.Faulted) faulting++;
            if (outcome.Mismatch is { } m)
            {
                mismatching++;
                string key = $"{diffCase.Instructions[m.Index].Instruction.Mnemonic} {diffCase.Mode.Bits}";
                if (reproducers.Count < MaxReproducers && culprits.Add(key))
                    reproducers.Add(Shrink(n, diffCase, m));
            }
            if (progress != null && (n + 1) % progressEvery == 0) progress(n + 1, compared);
        }
        return new DiffCampaignResult(cases, compared, faulting, mismatching, reproducers);
    }

    private readonly record struct CaseMismatch(int Index, IReadOnlyList<string> Differences);
    private readonly record struct CaseOutcome(int Compared, bool Faulted, CaseMismatch? Mismatch);

    private CaseOutcome RunCase(DiffCase diffCase)
    {
        _ours.Load(diffCase);
        _reference.Load(diffCase);
        var initial = Compare(_ours.Read(), _reference.Read(), 0);
        if (initial.Count > 0)
            throw new InvalidOperationException($"the two CPUs start the case in different states: {string.Join("; ", initial)}");
        for (int i = 0; i < diffCase.Instructions.Count; i++)
        {
            var encoded = diffCase.Instructions[i];
            var insn = encoded.Instruction;
            byte cl = (byte)_ours.Read().Regs[1];
            bool repeated = insn.HasRepPrefix || insn.HasRepePrefix || insn.HasRepnePrefix;
            StepInstruction(_ours, encoded.Address, repeated);
            StepInstruction(_reference, encoded.Address, repeated);
            var ours = _ours.Read();
            var reference = _reference.Read();
            uint undefined = UndefinedFlags.After(insn, cl);
            bool destinationUndefined = UndefinedFlags.DestinationUndefined(insn, reference.Eflags) && insn.Op0Kind == OpKind.Register;
            int destination = destinationUndefined ? FullRegisterIndex(insn.Op0Register) : -1;
            int undefinedBytes = UndefinedFlags.PushedSelectorUpperHalfUndefined(insn) && !DiffLayout.IsHandler(ours.Eip)
                ? (int)((ours.Selectors[2] == reference.Selectors[2] ? StackSlot(ours) : 0) + 2 - DiffLayout.WindowBase) : -1;
            if (undefinedBytes is >= 0 and < (int)DiffLayout.WindowSize - 1)
            {
                // Both CPUs may differ there: take the reference's bytes.
                var bytes = reference.Window.AsSpan(undefinedBytes, 2).ToArray();
                bytes.CopyTo(ours.Window, undefinedBytes);
                _ours.WriteMemory(DiffLayout.WindowBase + (uint)undefinedBytes, bytes);
            }
            var differences = Compare(ours, reference, undefined, destination);
            if (differences.Count > 0) return new CaseOutcome(i + 1, false, new CaseMismatch(i, differences));
            if (ours.Eflags != reference.Eflags) _ours.WriteEflags(reference.Eflags);
            if (destination >= 0 && ours.Regs[destination] != reference.Regs[destination])
                _ours.WriteRegister(destination, reference.Regs[destination]);
            if (DiffLayout.IsHandler(ours.Eip)) return new CaseOutcome(i + 1, true, null);
        }
        return new CaseOutcome(diffCase.Instructions.Count, false, null);
    }

    /// <summary>The linear address of the top of the stack (every segment has base 0; a 16-bit stack uses SP).</summary>
    private static uint StackSlot(DiffState state) => state.Selectors[2] is 0x30 or 0x43 ? state.Regs[4] & 0xFFFF : state.Regs[4];

    /// <summary>One instruction; a REP instruction is stepped until EIP leaves it (QEMU's stub steps one iteration at a time).</summary>
    private static void StepInstruction(IDiffCpu cpu, uint address, bool repeated)
    {
        cpu.Step();
        if (!repeated) return;
        for (int k = 0; k < MaxRepIterations && cpu.ReadEip() == address; k++) cpu.Step();
    }

    private static int FullRegisterIndex(Register register) => register.GetFullRegister32() switch
    {
        Register.EAX => 0, Register.ECX => 1, Register.EDX => 2, Register.EBX => 3,
        Register.ESP => 4, Register.EBP => 5, Register.ESI => 6, _ => 7,
    };

    private List<string> Compare(DiffState ours, DiffState reference, uint undefinedFlags, int undefinedRegister = -1)
    {
        var inv = CultureInfo.InvariantCulture;
        var differences = new List<string>();
        string other = _reference.Name;
        for (int r = 0; r < 8; r++)
            if (r != undefinedRegister && ours.Regs[r] != reference.Regs[r])
                differences.Add(string.Format(inv, "{0}: emu {1:x8}, {2} {3:x8}", DiffState.RegisterNames[r], ours.Regs[r], other, reference.Regs[r]));
        if (ours.Eip != reference.Eip) differences.Add(string.Format(inv, "eip: emu {0:x8}, {1} {2:x8}", ours.Eip, other, reference.Eip));
        uint compared = ~(undefinedFlags | ResumeFlag);
        uint flagDifference = (ours.Eflags ^ reference.Eflags) & compared;
        if (flagDifference != 0)
            differences.Add(string.Format(inv, "eflags: emu {0:x8}, {1} {2:x8} (differ in {3})", ours.Eflags, other, reference.Eflags, FlagNames(flagDifference)));
        for (int s = 0; s < 6; s++)
            if (ours.Selectors[s] != reference.Selectors[s])
                differences.Add(string.Format(inv, "{0}: emu {1:x4}, {2} {3:x4}", DiffState.SegmentNames[s], ours.Selectors[s], other, reference.Selectors[s]));
        int shown = 0;
        for (int k = 0; k < ours.Window.Length; k++)
            if (ours.Window[k] != reference.Window[k] && shown++ < 8)
                differences.Add(string.Format(inv, "memory {0:x8}: emu {1:x2}, {2} {3:x2}", DiffLayout.WindowBase + k, ours.Window[k], other, reference.Window[k]));
        return differences;
    }

    private static string FlagNames(uint bits)
    {
        string[] names = { "CF", "1", "PF", "3", "AF", "5", "ZF", "SF", "TF", "IF", "DF", "OF", "IOPL", "IOPL", "NT", "15", "RF", "VM", "AC", "VIF", "VIP", "ID" };
        var set = new List<string>();
        for (int b = 0; b < 32; b++)
            if ((bits & (1u << b)) != 0) set.Add(b < names.Length ? names[b] : b.ToString(CultureInfo.InvariantCulture));
        return string.Join(" ", set.Distinct());
    }

    /// <summary>Drops units before the culprit's one by one while some mismatch remains at the culprit's mnemonic.</summary>
    private DiffMismatch Shrink(long caseNumber, DiffCase diffCase, CaseMismatch mismatch)
    {
        var culprit = diffCase.Instructions[mismatch.Index];
        var keep = Enumerable.Range(0, culprit.Unit + 1).ToList();
        var best = (Case: diffCase.WithUnits(keep), Mismatch: mismatch);
        var rerun = RunCase(best.Case);
        if (rerun.Mismatch is { } first) best = (best.Case, first);
        for (int k = 0; k < keep.Count - 1;)
        {
            var trial = keep.Where((_, j) => j != k).ToList();
            var trialCase = diffCase.WithUnits(trial);
            var outcome = RunCase(trialCase);
            if (outcome.Mismatch is { } m && trialCase.Instructions[m.Index].Instruction.Mnemonic == culprit.Instruction.Mnemonic)
            {
                keep = trial;
                best = (trialCase, m);
            }
            else k++;
        }
        return new DiffMismatch(_seed, caseNumber, best.Case, best.Mismatch.Index, best.Mismatch.Differences, _reference.Name);
    }
}
