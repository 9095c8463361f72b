using Iced.Intel;

namespace Emulator.Core.Cpu;

/// <summary>
/// Descriptor-table registers and descriptor queries (SDM Vol. 2): LGDT, LIDT, SGDT, SIDT, LLDT,
/// SLDT, LTR, STR, LAR, LSL, VERR, VERW, ARPL.
/// </summary>
public sealed unsafe partial class Cpu
{
    static partial void RegisterDescriptorTables()
    {
        Bind(Mnemonic.Lgdt, &Lgdt);
        Bind(Mnemonic.Lidt, &Lidt);
        Bind(Mnemonic.Sgdt, &Sgdt);
        Bind(Mnemonic.Sidt, &Sidt);
        Bind(Mnemonic.Lldt, &Lldt);
        Bind(Mnemonic.Sldt, &Sldt);
        Bind(Mnemonic.Ltr, &Ltr);
        Bind(Mnemonic.Str, &Str);
        Bind(Mnemonic.Lar, &Lar);
        Bind(Mnemonic.Lsl, &Lsl);
        Bind(Mnemonic.Verr, &Verr);
        Bind(Mnemonic.Verw, &Verw);
        Bind(Mnemonic.Arpl, &Arpl);
    }

    // ---- GDTR / IDTR ----------------------------------------------------------------------------

    private static void Lgdt(Cpu c, ref Instruction i)
    {
        if (c.ReadTableRegisterOperand(ref i, i.Code == Code.Lgdt_m1632_16, out ushort limit, out uint b))
        {
            c.GdtrBase = b;
            c.GdtrLimit = limit;
        }
    }

    private static void Lidt(Cpu c, ref Instruction i)
    {
        if (c.ReadTableRegisterOperand(ref i, i.Code == Code.Lidt_m1632_16, out ushort limit, out uint b))
        {
            c.IdtrBase = b;
            c.IdtrLimit = limit;
        }
    }

    /// <summary>Reads the 6-byte limit:base operand of LGDT/LIDT (privileged); a 16-bit operand size keeps 24 base bits.</summary>
    private bool ReadTableRegisterOperand(ref Instruction i, bool operand16, out ushort limit, out uint tableBase)
    {
        limit = 0; tableBase = 0;
        if (ProtectedMode && (Cpl != 0 || V86Mode)) { RaiseGP(0); return false; }
        int seg = MemorySeg(ref i);
        uint ea = EffectiveAddress(ref i);
        limit = (ushort)ReadMem(seg, ea, 2);
        if (Faulted) return false;
        tableBase = ReadMem(seg, ea + 2, 4);
        if (Faulted) return false;
        if (operand16) tableBase &= 0x00FFFFFF;
        return true;
    }

    // SGDT/SIDT store the full 32-bit base for both operand sizes (current SDM; 386 behaviour).
    private static void Sgdt(Cpu c, ref Instruction i) => c.StoreTableRegister(ref i, c.GdtrLimit, c.GdtrBase);
    private static void Sidt(Cpu c, ref Instruction i) => c.StoreTableRegister(ref i, c.IdtrLimit, c.IdtrBase);

    private void StoreTableRegister(ref Instruction i, ushort limit, uint tableBase)
    {
        int seg = MemorySeg(ref i);
        uint ea = EffectiveAddress(ref i);
        // Check all six bytes before writing any of them.
        if (!CheckSegmentAccess(ref Segs[seg], seg, ea, 6, write: true)) return;
        if (!ProbeWrite(Segs[seg].Base + ea, 6)) return;
        WriteMem(seg, ea, 2, limit);
        if (Faulted) return;
        WriteMem(seg, ea + 2, 4, tableBase);
    }

    // ---- LDTR / TR ---------------------------------------------------------------------------

    /// <summary>LLDT/LTR/SLDT/STR/LAR/LSL/VERR/VERW/ARPL are #UD outside protected mode (and in VM86).</summary>
    private bool RequireProtectedMode()
    {
        if (ProtectedMode && !V86Mode) return true;
        RaiseUD();
        return false;
    }

    private static void Lldt(Cpu c, ref Instruction i)
    {
        if (!c.RequireProtectedMode()) return;
        if (c.Cpl != 0) { c.RaiseGP(0); return; }
        ushort selector = (ushort)c.ReadOperand(ref i, 0);
        if (c.Faulted) return;
        uint selError = (uint)(selector & 0xFFFC);
        if (selError == 0)
        {
            // A null selector leaves no LDT: later LDT references #GP.
            c.Ldtr = new SegmentCache { Selector = selector, Usable = false };
            return;
        }
        if ((selector & 4) != 0) { c.RaiseGP(selError); return; }
        if (!c.ReadDescriptor(selector, Vector.GP, 0, out ulong desc, out _)) return;
        int access = DescriptorAccess(desc);
        if ((access & 0x1F) != 0x02) { c.RaiseGP(selError); return; }
        if ((access & 0x80) == 0) { c.RaiseFault(Vector.NP, selError); return; }
        c.Ldtr.LoadDescriptor(selector, desc);
    }

    /// <summary>LTR: an available TSS descriptor in the GDT, marked busy in memory (SDM Vol. 2 "LTR").</summary>
    private static void Ltr(Cpu c, ref Instruction i)
    {
        if (!c.RequireProtectedMode()) return;
        if (c.Cpl != 0) { c.RaiseGP(0); return; }
        ushort selector = (ushort)c.ReadOperand(ref i, 0);
        if (c.Faulted) return;
        uint selError = (uint)(selector & 0xFFFC);
        if (selError == 0) { c.RaiseGP(0); return; }
        if ((selector & 4) != 0) { c.RaiseGP(selError); return; }
        if (!c.ReadDescriptor(selector, Vector.GP, 0, out ulong desc, out uint address)) return;
        int access = DescriptorAccess(desc);
        if ((access & 0x1F) != 0x01 && (access & 0x1F) != 0x09) { c.RaiseGP(selError); return; }
        if ((access & 0x80) == 0) { c.RaiseFault(Vector.NP, selError); return; }
        desc |= 2ul << 40; // busy
        c.WriteLinearSystem(address + 5, 1, (uint)(desc >> 40) & 0xFF);
        if (c.Faulted) return;
        c.Tr.LoadDescriptor(selector, desc);
    }

    private static void Sldt(Cpu c, ref Instruction i)
    {
        if (c.RequireProtectedMode()) c.WriteOperand(ref i, 0, c.Ldtr.Selector);
    }

    private static void Str(Cpu c, ref Instruction i)
    {
        if (c.RequireProtectedMode()) c.WriteOperand(ref i, 0, c.Tr.Selector);
    }

    // ---- Descriptor queries --------------------------------------------------------------------

    /// <summary>
    /// Reads the descriptor a query instruction names; false (no fault) for a null selector or one
    /// outside its table, false with Faulted set on a page fault.
    /// </summary>
    private bool QueryDescriptor(ushort selector, out ulong desc)
    {
        desc = 0;
        if ((selector & 0xFFFC) == 0) return false;
        if (!DescriptorAddress(selector, out uint address)) return false;
        return ReadDescriptorAt(address, out desc);
    }

    /// <summary>The privilege test of LAR/LSL/VERR/VERW: conforming code is always visible, else DPL &gt;= CPL and RPL.</summary>
    private bool QueryVisible(ushort selector, int access)
    {
        bool conformingCode = (access & 0x1C) == 0x1C;
        int dpl = (access >> 5) & 3;
        return conformingCode || (dpl >= Cpl && dpl >= (selector & 3));
    }

    private void SetZF(bool on) => SetFlag(FlagZF, on);

    /// <summary>LAR: access rights (bits 8-23 of the descriptor's high dword, limit bits 16-19 cleared; QEMU's choice of the undefined bits).</summary>
    private static void Lar(Cpu c, ref Instruction i)
    {
        if (!c.RequireProtectedMode()) return;
        ushort selector = (ushort)c.ReadOperand(ref i, 1);
        if (c.Faulted) return;
        bool ok = c.QueryDescriptor(selector, out ulong desc);
        if (c.Faulted) return;
        int access = DescriptorAccess(desc);
        if (ok && (access & 0x10) == 0)
            ok = (access & 0x0F) is 0x1 or 0x2 or 0x3 or 0x4 or 0x5 or 0x9 or 0xB or 0xC;
        if (ok) ok = c.QueryVisible(selector, access);
        if (ok)
        {
            uint rights = (uint)(desc >> 32) & 0x00F0FF00u;
            Register dest = i.Op0Register;
            c.WriteReg(dest, RegSize(dest) == 2 ? rights & 0xFF00 : rights);
        }
        c.SetZF(ok);
    }

    /// <summary>LSL: the byte-granular segment limit (G applied) of segments, LDTs and TSSs.</summary>
    private static void Lsl(Cpu c, ref Instruction i)
    {
        if (!c.RequireProtectedMode()) return;
        ushort selector = (ushort)c.ReadOperand(ref i, 1);
        if (c.Faulted) return;
        bool ok = c.QueryDescriptor(selector, out ulong desc);
        if (c.Faulted) return;
        int access = DescriptorAccess(desc);
        if (ok && (access & 0x10) == 0)
            ok = (access & 0x0F) is 0x1 or 0x2 or 0x3 or 0x9 or 0xB;
        if (ok) ok = c.QueryVisible(selector, access);
        if (ok) c.WriteReg(i.Op0Register, DescriptorLimit(desc));
        c.SetZF(ok);
    }

    /// <summary>VERR: ZF=1 when the segment is readable at the current privilege (SDM Vol. 2 "VERR/VERW").</summary>
    private static void Verr(Cpu c, ref Instruction i)
    {
        if (!c.RequireProtectedMode()) return;
        ushort selector = (ushort)c.ReadOperand(ref i, 0);
        if (c.Faulted) return;
        bool ok = c.QueryDescriptor(selector, out ulong desc);
        if (c.Faulted) return;
        int access = DescriptorAccess(desc);
        if (ok) ok = (access & 0x10) != 0 && ((access & 0x08) == 0 || (access & 0x02) != 0);
        if (ok) ok = c.QueryVisible(selector, access);
        c.SetZF(ok);
    }

    /// <summary>VERW: ZF=1 for a writable data segment visible at the current privilege.</summary>
    private static void Verw(Cpu c, ref Instruction i)
    {
        if (!c.RequireProtectedMode()) return;
        ushort selector = (ushort)c.ReadOperand(ref i, 0);
        if (c.Faulted) return;
        bool ok = c.QueryDescriptor(selector, out ulong desc);
        if (c.Faulted) return;
        int access = DescriptorAccess(desc);
        if (ok) ok = (access & 0x1A) == 0x12;
        if (ok) ok = c.QueryVisible(selector, access);
        c.SetZF(ok);
    }

    /// <summary>ARPL: raises the destination selector's RPL to the source's (ZF=1) or leaves it (ZF=0).</summary>
    private static void Arpl(Cpu c, ref Instruction i)
    {
        if (!c.RequireProtectedMode()) return;
        uint src = c.ReadReg(i.Op1Register) & 0xFFFF;
        if (i.Op0Kind == OpKind.Register)
        {
            Register r = i.Op0Register;
            uint full = c.ReadReg(r);
            uint dest = full & 0xFFFF;
            bool raise = (dest & 3) < (src & 3);
            if (raise) c.WriteReg(r, (full & 0xFFFF0000u) | (dest & ~3u) | (src & 3));
            c.SetZF(raise);
        }
        else
        {
            int seg = MemorySeg(ref i);
            uint ea = c.EffectiveAddress(ref i);
            uint dest = c.ReadMem(seg, ea, 2);
            if (c.Faulted) return;
            bool raise = (dest & 3) < (src & 3);
            if (raise)
            {
                c.WriteMem(seg, ea, 2, (dest & ~3u) | (src & 3));
                if (c.Faulted) return;
            }
            c.SetZF(raise);
        }
    }
}
