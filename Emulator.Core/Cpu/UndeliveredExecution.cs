namespace Emulator.Core.Cpu;

/// <summary>Executing one instruction while keeping its exception pending instead of delivering it.</summary>
public sealed unsafe partial class Cpu
{
    /// <summary>
    /// Executes the instruction at CS:EIP like <see cref="Step"/> (no interrupts, no single-step
    /// trap) but leaves a fault pending — <see cref="Faulted"/>, <see cref="FaultVector"/>,
    /// <see cref="FaultErrorCode"/> — with EIP and ESP rolled back, instead of delivering it. For
    /// tests and the debugger, so that an instruction's own exception can be inspected whatever
    /// the IDT holds. The caller clears <see cref="Faulted"/> before continuing.
    /// </summary>
    internal void ExecuteOneUndelivered()
    {
        ExecuteInstruction();
        InterruptShadow = false;
        if (Faulted)
        {
            Eip = StartEip;
            Regs[ESP] = StartEsp;
        }
        Clock.Now++;
    }
}
