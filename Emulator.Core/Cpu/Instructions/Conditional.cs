using Iced.Intel;

namespace Emulator.Core.Cpu;

/// <summary>
/// SETcc and CMOVcc (SDM Vol. 2), all 16 conditions through <see cref="Condition"/>.
/// CMOVcc reads its source whether or not the condition holds (so a memory source can fault), and
/// with a false condition leaves the destination unchanged (no upper half exists outside 64-bit mode).
/// </summary>
public sealed unsafe partial class Cpu
{
    static partial void RegisterConditional()
    {
        Bind(Mnemonic.Seto, &Setcc); Bind(Mnemonic.Setno, &Setcc);
        Bind(Mnemonic.Setb, &Setcc); Bind(Mnemonic.Setae, &Setcc);
        Bind(Mnemonic.Sete, &Setcc); Bind(Mnemonic.Setne, &Setcc);
        Bind(Mnemonic.Setbe, &Setcc); Bind(Mnemonic.Seta, &Setcc);
        Bind(Mnemonic.Sets, &Setcc); Bind(Mnemonic.Setns, &Setcc);
        Bind(Mnemonic.Setp, &Setcc); Bind(Mnemonic.Setnp, &Setcc);
        Bind(Mnemonic.Setl, &Setcc); Bind(Mnemonic.Setge, &Setcc);
        Bind(Mnemonic.Setle, &Setcc); Bind(Mnemonic.Setg, &Setcc);

        Bind(Mnemonic.Cmovo, &Cmovcc); Bind(Mnemonic.Cmovno, &Cmovcc);
        Bind(Mnemonic.Cmovb, &Cmovcc); Bind(Mnemonic.Cmovae, &Cmovcc);
        Bind(Mnemonic.Cmove, &Cmovcc); Bind(Mnemonic.Cmovne, &Cmovcc);
        Bind(Mnemonic.Cmovbe, &Cmovcc); Bind(Mnemonic.Cmova, &Cmovcc);
        Bind(Mnemonic.Cmovs, &Cmovcc); Bind(Mnemonic.Cmovns, &Cmovcc);
        Bind(Mnemonic.Cmovp, &Cmovcc); Bind(Mnemonic.Cmovnp, &Cmovcc);
        Bind(Mnemonic.Cmovl, &Cmovcc); Bind(Mnemonic.Cmovge, &Cmovcc);
        Bind(Mnemonic.Cmovle, &Cmovcc); Bind(Mnemonic.Cmovg, &Cmovcc);
    }

    private static void Setcc(Cpu c, ref Instruction i)
    {
        if (!c.CheckLock(ref i, false)) return;
        c.WriteOperand(ref i, 0, c.Condition(i.ConditionCode) ? 1u : 0u);
    }

    private static void Cmovcc(Cpu c, ref Instruction i)
    {
        if (!c.CheckLock(ref i, false)) return;
        uint src = c.ReadOperand(ref i, 1);
        if (c.Faulted) return;
        if (c.Condition(i.ConditionCode)) c.WriteReg(i.Op0Register, src);
    }
}
