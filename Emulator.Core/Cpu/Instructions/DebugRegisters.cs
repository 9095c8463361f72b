using Iced.Intel;

namespace Emulator.Core.Cpu;

/// <summary>
/// MOV to/from DR0-DR7 (SDM Vol. 2 MOV DR; Vol. 3 §17.2). The registers are storage only: hardware
/// breakpoints (DR0-DR3 with DR7 enables) are not implemented. CR4.DE is not supported, so DR4/DR5
/// always alias DR6/DR7. DR7.GD is honoured: any MOV DR while it is set raises #DB (a fault) with
/// DR6.BD set and GD cleared.
/// </summary>
public sealed unsafe partial class Cpu
{
    private const uint Dr6Fixed1 = 0xFFFF0FF0u;   // bits that read as 1 (P6)
    private const uint Dr6Writable = 0x0000E00Fu; // B0-B3, BD, BS, BT
    private const uint Dr7Fixed1 = 0x00000400u;   // bit 10 reads as 1
    private const uint Dr7Reserved0 = 0x0000D800u; // bits 11, 12, 14, 15 read as 0
    private const uint Dr7GD = 1u << 13, Dr6BD = 1u << 13;

    private static void RegisterDebugRegisterInstructions()
    {
        Bind(Code.Mov_r32_dr, &MovFromDr);
        Bind(Code.Mov_dr_r32, &MovToDr);
    }

    /// <summary>DR index 0-7 (DR4/DR5 folded onto DR6/DR7), or -1 for DR8+ (#UD: no 64-bit mode).</summary>
    private static int DrIndex(Register r)
    {
        int n = r - Register.DR0;
        if (n < 0 || n > 7) return -1;
        return n == 4 ? 6 : n == 5 ? 7 : n;
    }

    /// <summary>Common checks: #UD for DR8+, #GP(0) above CPL 0, then #DB for DR7.GD (SDM MOV DR exceptions).</summary>
    private bool CheckDrAccess(ref Instruction i, int index)
    {
        if (i.HasLockPrefix || index < 0) { RaiseUD(); return false; }
        if (Cpl != 0) { RaiseGP(0); return false; }
        if ((Dr[7] & Dr7GD) != 0)
        {
            // General-detect fault: the processor sets BD and clears GD so the handler can use the DRs (§17.2.4).
            Dr[6] |= Dr6BD;
            Dr[7] &= ~Dr7GD;
            RaiseFault(Vector.DB);
            return false;
        }
        return true;
    }

    private static void MovFromDr(Cpu c, ref Instruction i)
    {
        int n = DrIndex(i.Op1Register);
        if (!c.CheckDrAccess(ref i, n)) return;
        c.Regs[i.Op0Register - Register.EAX] = c.Dr[n];
    }

    private static void MovToDr(Cpu c, ref Instruction i)
    {
        int n = DrIndex(i.Op0Register);
        if (!c.CheckDrAccess(ref i, n)) return;
        uint v = c.Regs[i.Op1Register - Register.EAX];
        c.Dr[n] = n switch
        {
            6 => (v & Dr6Writable) | Dr6Fixed1,
            7 => (v & ~Dr7Reserved0) | Dr7Fixed1,
            _ => v,
        };
    }
}
