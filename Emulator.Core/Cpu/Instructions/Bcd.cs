using Iced.Intel;

namespace Emulator.Core.Cpu;

/// <summary>
/// Decimal adjust instructions DAA DAS AAA AAS AAM AAD, following the SDM Vol. 2 pseudocode
/// (386+ forms: AAA adds 106H to AX, AAS subtracts 6 from AX then 1 from AH).
/// Flags the SDM leaves undefined: OF = 0 for DAA/DAS; AAA/AAS set SF/ZF/PF from the final AL and
/// OF = 0; AAM/AAD give CF = OF = AF = 0 (SF/ZF/PF are defined from AL) - the Bochs model.
/// </summary>
public sealed unsafe partial class Cpu
{
    static partial void RegisterBcd()
    {
        Bind(Mnemonic.Daa, &Daa);
        Bind(Mnemonic.Das, &Das);
        Bind(Mnemonic.Aaa, &Aaa);
        Bind(Mnemonic.Aas, &Aas);
        Bind(Mnemonic.Aam, &Aam);
        Bind(Mnemonic.Aad, &Aad);
    }

    private void WriteAl(uint al) => Regs[EAX] = (Regs[EAX] & 0xFFFFFF00u) | (al & 0xFF);
    private void WriteAx(uint ax) => Regs[EAX] = (Regs[EAX] & 0xFFFF0000u) | (ax & 0xFFFF);

    private static void Daa(Cpu c, ref Instruction i)
    {
        if (!c.CheckLock(ref i, false)) return;
        uint al = c.Regs[EAX] & 0xFF, oldAl = al;
        bool oldCf = c.GetCF(), af = c.GetAF(), cf;
        if ((al & 0xF) > 9 || af) { al += 6; af = true; }
        else af = false;
        if (oldAl > 0x99 || oldCf) { al += 0x60; cf = true; }
        else cf = false; // the +6 cannot carry out when oldAl <= 99H
        c.WriteAl(al);
        c.SetFlagsResult(1, al, cf, false, af);
    }

    private static void Das(Cpu c, ref Instruction i)
    {
        if (!c.CheckLock(ref i, false)) return;
        uint al = c.Regs[EAX] & 0xFF, oldAl = al;
        bool oldCf = c.GetCF(), af = c.GetAF(), cf = false;
        if ((al & 0xF) > 9 || af)
        {
            cf = oldCf || al < 6; // borrow from AL - 6
            al -= 6;
            af = true;
        }
        else af = false;
        if (oldAl > 0x99 || oldCf) { al -= 0x60; cf = true; }
        al &= 0xFF;
        c.WriteAl(al);
        c.SetFlagsResult(1, al, cf, false, af);
    }

    private static void Aaa(Cpu c, ref Instruction i)
    {
        if (!c.CheckLock(ref i, false)) return;
        uint ax = c.Regs[EAX] & 0xFFFF;
        bool adjust = (ax & 0xF) > 9 || c.GetAF();
        if (adjust) ax += 0x106;
        ax = (ax & 0xFF00) | (ax & 0x0F);
        c.WriteAx(ax);
        c.SetFlagsResult(1, ax, adjust, false, adjust);
    }

    private static void Aas(Cpu c, ref Instruction i)
    {
        if (!c.CheckLock(ref i, false)) return;
        uint ax = c.Regs[EAX] & 0xFFFF;
        bool adjust = (ax & 0xF) > 9 || c.GetAF();
        if (adjust) ax = ax - 6 - 0x100;
        ax = (ax & 0xFF00) | (ax & 0x0F);
        c.WriteAx(ax);
        c.SetFlagsResult(1, ax, adjust, false, adjust);
    }

    /// <summary>AAM imm8: AH = AL / imm8, AL = AL mod imm8; #DE when imm8 is 0.</summary>
    private static void Aam(Cpu c, ref Instruction i)
    {
        if (!c.CheckLock(ref i, false)) return;
        uint b = i.Immediate8;
        if (b == 0) { c.RaiseFault(Vector.DE); return; }
        uint al = c.Regs[EAX] & 0xFF;
        uint q = al / b, r = al % b;
        c.WriteAx((q << 8) | r);
        c.SetFlagsResult(1, r, false, false);
    }

    /// <summary>AAD imm8: AL = (AL + AH * imm8) mod 256, AH = 0.</summary>
    private static void Aad(Cpu c, ref Instruction i)
    {
        if (!c.CheckLock(ref i, false)) return;
        uint ax = c.Regs[EAX];
        uint al = ((ax & 0xFF) + ((ax >> 8) & 0xFF) * i.Immediate8) & 0xFF;
        c.WriteAx(al);
        c.SetFlagsResult(1, al, false, false);
    }
}
