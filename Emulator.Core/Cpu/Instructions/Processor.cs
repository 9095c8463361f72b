using Iced.Intel;

namespace Emulator.Core.Cpu;

/// <summary>HLT, CLI, STI, NOP (SDM Vol. 2): the interrupt flag and idling.</summary>
public sealed unsafe partial class Cpu
{
    private static void RegisterProcessorControl()
    {
        Bind(Mnemonic.Hlt, &Hlt);
        Bind(Mnemonic.Cli, &Cli);
        Bind(Mnemonic.Sti, &Sti);
        Bind(Mnemonic.Nop, &Nop);
        Bind(Mnemonic.Pause, &Nop);
    }

    private static void Nop(Cpu c, ref Instruction i) { }

    /// <summary>HLT is privileged (CPL 0) in protected mode; the CPU idles until an interrupt.</summary>
    private static void Hlt(Cpu c, ref Instruction i)
    {
        if (c.ProtectedMode && c.Cpl != 0) { c.RaiseGP(0); return; }
        c.Halted = true;
        c.LeaveFastLoop = true;
    }

    /// <summary>CLI/STI need CPL &lt;= IOPL in protected mode (no VME/PVI support).</summary>
    private static void Cli(Cpu c, ref Instruction i)
    {
        if (c.ProtectedMode && c.Cpl > c.Iopl) { c.RaiseGP(0); return; }
        c.SetFlag(FlagIF, false);
    }

    private static void Sti(Cpu c, ref Instruction i)
    {
        if (c.ProtectedMode && c.Cpl > c.Iopl) { c.RaiseGP(0); return; }
        // STI inhibits interrupts until after the next instruction, but only when IF was clear.
        if ((c._eflags & FlagIF) == 0) c.SetInterruptShadow = true;
        c.SetFlag(FlagIF, true);
    }
}
