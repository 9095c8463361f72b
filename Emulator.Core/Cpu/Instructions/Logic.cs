using Iced.Intel;

namespace Emulator.Core.Cpu;

/// <summary>
/// AND OR XOR TEST NOT (SDM Vol. 2): CF = OF = 0, SF/ZF/PF from the result, AF undefined (0 here,
/// via <see cref="SetFlagsLogic"/>). NOT changes no flags. TEST is not lockable.
/// </summary>
public sealed unsafe partial class Cpu
{
    static partial void RegisterLogic()
    {
        Bind(Mnemonic.And, &And);
        Bind(Mnemonic.Or, &Or);
        Bind(Mnemonic.Xor, &Xor);
        Bind(Mnemonic.Test, &Test);
        Bind(Mnemonic.Not, &Not);
    }

    private static void And(Cpu c, ref Instruction i)
    {
        if (!c.CheckLock(ref i, true)) return;
        int size = DestSize(ref i);
        uint dst = c.ReadRmw(ref i, size, out uint ea);
        if (c.Faulted) return;
        uint src = c.ReadOperand(ref i, 1);
        if (c.Faulted) return;
        uint r = dst & src;
        c.WriteRmw(ref i, size, ea, r);
        if (c.Faulted) return;
        c.SetFlagsLogic(size, r);
    }

    private static void Or(Cpu c, ref Instruction i)
    {
        if (!c.CheckLock(ref i, true)) return;
        int size = DestSize(ref i);
        uint dst = c.ReadRmw(ref i, size, out uint ea);
        if (c.Faulted) return;
        uint src = c.ReadOperand(ref i, 1);
        if (c.Faulted) return;
        uint r = dst | src;
        c.WriteRmw(ref i, size, ea, r);
        if (c.Faulted) return;
        c.SetFlagsLogic(size, r);
    }

    private static void Xor(Cpu c, ref Instruction i)
    {
        if (!c.CheckLock(ref i, true)) return;
        int size = DestSize(ref i);
        uint dst = c.ReadRmw(ref i, size, out uint ea);
        if (c.Faulted) return;
        uint src = c.ReadOperand(ref i, 1);
        if (c.Faulted) return;
        uint r = dst ^ src;
        c.WriteRmw(ref i, size, ea, r);
        if (c.Faulted) return;
        c.SetFlagsLogic(size, r);
    }

    private static void Test(Cpu c, ref Instruction i)
    {
        if (!c.CheckLock(ref i, false)) return;
        int size = DestSize(ref i);
        uint dst = c.ReadOperand(ref i, 0);
        if (c.Faulted) return;
        uint src = c.ReadOperand(ref i, 1);
        if (c.Faulted) return;
        c.SetFlagsLogic(size, dst & src);
    }

    private static void Not(Cpu c, ref Instruction i)
    {
        if (!c.CheckLock(ref i, true)) return;
        int size = DestSize(ref i);
        uint dst = c.ReadRmw(ref i, size, out uint ea);
        if (c.Faulted) return;
        c.WriteRmw(ref i, size, ea, ~dst);
    }
}
