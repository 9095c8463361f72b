using Iced.Intel;

namespace Emulator.Core.Cpu;

/// <summary>
/// Flag instructions CLC STC CMC CLD STD LAHF SAHF SALC and the accumulator sign extensions
/// CBW CWDE CWD CDQ (SDM Vol. 2). CLI/STI live with the processor-control instructions.
/// </summary>
public sealed unsafe partial class Cpu
{
    static partial void RegisterFlagOps()
    {
        Bind(Mnemonic.Clc, &Clc);
        Bind(Mnemonic.Stc, &Stc);
        Bind(Mnemonic.Cmc, &Cmc);
        Bind(Mnemonic.Cld, &Cld);
        Bind(Mnemonic.Std, &Std);
        Bind(Mnemonic.Lahf, &Lahf);
        Bind(Mnemonic.Sahf, &Sahf);
        Bind(Mnemonic.Salc, &Salc);
        Bind(Mnemonic.Cbw, &Cbw);
        Bind(Mnemonic.Cwde, &Cwde);
        Bind(Mnemonic.Cwd, &Cwd);
        Bind(Mnemonic.Cdq, &Cdq);
    }

    private static void Clc(Cpu c, ref Instruction i) { if (c.CheckLock(ref i, false)) c.SetFlag(FlagCF, false); }
    private static void Stc(Cpu c, ref Instruction i) { if (c.CheckLock(ref i, false)) c.SetFlag(FlagCF, true); }
    private static void Cmc(Cpu c, ref Instruction i) { if (c.CheckLock(ref i, false)) c.SetFlag(FlagCF, !c.GetCF()); }
    private static void Cld(Cpu c, ref Instruction i) { if (c.CheckLock(ref i, false)) c.SetFlag(FlagDF, false); }
    private static void Std(Cpu c, ref Instruction i) { if (c.CheckLock(ref i, false)) c.SetFlag(FlagDF, true); }

    /// <summary>LAHF: AH = SF:ZF:0:AF:0:PF:1:CF (the low byte of EFLAGS).</summary>
    private static void Lahf(Cpu c, ref Instruction i)
    {
        if (!c.CheckLock(ref i, false)) return;
        uint low = (c.GetEflags() & (FlagSF | FlagZF | FlagAF | FlagPF | FlagCF)) | 2u;
        c.Regs[EAX] = (c.Regs[EAX] & 0xFFFF00FFu) | (low << 8);
    }

    /// <summary>SAHF: SF, ZF, AF, PF, CF from AH (bits 7, 6, 4, 2, 0); OF is unchanged.</summary>
    private static void Sahf(Cpu c, ref Instruction i)
    {
        if (!c.CheckLock(ref i, false)) return;
        const uint mask = FlagSF | FlagZF | FlagAF | FlagPF | FlagCF;
        uint ah = (c.Regs[EAX] >> 8) & 0xFF;
        c._eflags = (c.GetEflags() & ~mask) | (ah & mask);
        c._lfOp = FlagOp.None;
    }

    /// <summary>SALC (undocumented D6): AL = CF ? FFH : 00H; no flags change.</summary>
    private static void Salc(Cpu c, ref Instruction i)
    {
        if (!c.CheckLock(ref i, false)) return;
        c.WriteAl(c.GetCF() ? 0xFFu : 0u);
    }

    private static void Cbw(Cpu c, ref Instruction i)
    {
        if (!c.CheckLock(ref i, false)) return;
        c.WriteAx((uint)(sbyte)c.Regs[EAX]);
    }

    private static void Cwde(Cpu c, ref Instruction i)
    {
        if (!c.CheckLock(ref i, false)) return;
        c.Regs[EAX] = (uint)(short)c.Regs[EAX];
    }

    private static void Cwd(Cpu c, ref Instruction i)
    {
        if (!c.CheckLock(ref i, false)) return;
        uint dx = (c.Regs[EAX] & 0x8000) != 0 ? 0xFFFFu : 0u;
        c.Regs[EDX] = (c.Regs[EDX] & 0xFFFF0000u) | dx;
    }

    private static void Cdq(Cpu c, ref Instruction i)
    {
        if (!c.CheckLock(ref i, false)) return;
        c.Regs[EDX] = (c.Regs[EAX] & 0x80000000u) != 0 ? 0xFFFFFFFFu : 0u;
    }
}
