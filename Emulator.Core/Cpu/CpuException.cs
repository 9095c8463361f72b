namespace Emulator.Core.Cpu;

/// <summary>Architectural exception vectors (SDM Vol. 3 §6.3.1).</summary>
public static class Vector
{
    public const byte DE = 0, DB = 1, NMI = 2, BP = 3, OF = 4, BR = 5, UD = 6, NM = 7, DF = 8,
        TS = 10, NP = 11, SS = 12, GP = 13, PF = 14, MF = 16, AC = 17, MC = 18, XM = 19;

    public static bool HasErrorCode(byte v) => v is DF or TS or NP or SS or GP or PF or AC;

    public static string Name(byte v) => v switch
    {
        DE => "#DE", DB => "#DB", NMI => "NMI", BP => "#BP", OF => "#OF", BR => "#BR", UD => "#UD",
        NM => "#NM", DF => "#DF", TS => "#TS", NP => "#NP", SS => "#SS", GP => "#GP", PF => "#PF",
        MF => "#MF", AC => "#AC", MC => "#MC", XM => "#XM", _ => $"vector {v}",
    };
}

/// <summary>How an event entered the CPU, which decides the pushed EIP and the gate DPL check.</summary>
public enum EventKind : byte
{
    /// <summary>A fault or abort raised by an instruction: EIP points at the faulting instruction.</summary>
    Exception,
    /// <summary>INT n: gate DPL is checked against CPL; EIP points after the instruction.</summary>
    SoftwareInt,
    /// <summary>INT3 / INTO: trap-like exceptions raised by an instruction; DPL checked, EIP after.</summary>
    SoftwareException,
    /// <summary>INT1 (ICEBP) and single-step/debug traps: no DPL check, EIP after.</summary>
    DebugTrap,
    /// <summary>An external interrupt from the PIC (or NMI).</summary>
    External,
}
