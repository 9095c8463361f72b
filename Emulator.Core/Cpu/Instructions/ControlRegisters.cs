using Iced.Intel;

namespace Emulator.Core.Cpu;

/// <summary>
/// MOV to/from CR0, CR2, CR3, CR4; CLTS, LMSW, SMSW (SDM Vol. 2 and Vol. 3 §2.5), and the CR-write
/// rules other code (task switches, loaders) reuses through <see cref="WriteCr0"/>,
/// <see cref="WriteCr3"/> and <see cref="WriteCr4"/>.
/// </summary>
public sealed unsafe partial class Cpu
{
    /// <summary>CR0 bits that exist; the rest are reserved and stay clear (writes to them are ignored, SDM §2.5).</summary>
    private const uint Cr0Defined = Cr0PE | Cr0MP | Cr0EM | Cr0TS | Cr0ET | Cr0NE | Cr0WP | Cr0AM | Cr0NW | Cr0CD | Cr0PG;

    /// <summary>
    /// CR4 bits this CPU implements (and CPUID reports): TSD, PSE, PAE, PGE. Setting any other bit is
    /// #GP(0) as on hardware without the feature (no VME/PVI, DE, MCE, PCE, OSFXSR...).
    /// </summary>
    public const uint Cr4Supported = Cr4TSD | Cr4PSE | Cr4PAE | Cr4PGE;

    private static void RegisterControlRegisterInstructions()
    {
        Bind(Code.Mov_r32_cr, &MovFromCr);
        Bind(Code.Mov_cr_r32, &MovToCr);
        Bind(Mnemonic.Clts, &Clts);
        Bind(Mnemonic.Lmsw, &Lmsw);
        Bind(Mnemonic.Smsw, &Smsw);
    }

    /// <summary>MOV r32, CRn: CPL 0; CR1, CR5-CR7 and CR8+ (no 64-bit mode) are #UD.</summary>
    private static void MovFromCr(Cpu c, ref Instruction i)
    {
        Register cr = i.Op1Register;
        if (i.HasLockPrefix || !IsImplementedCr(cr)) { c.RaiseUD(); return; }
        if (c.Cpl != 0) { c.RaiseGP(0); return; }
        uint v = cr switch
        {
            Register.CR0 => c.Cr0,
            Register.CR2 => c.Cr2,
            Register.CR3 => c.Cr3,
            _ => c.Cr4,
        };
        c.Regs[i.Op0Register - Register.EAX] = v;
    }

    /// <summary>MOV CRn, r32: CPL 0; the write rules are in WriteCr0/WriteCr3/WriteCr4.</summary>
    private static void MovToCr(Cpu c, ref Instruction i)
    {
        Register cr = i.Op0Register;
        if (i.HasLockPrefix || !IsImplementedCr(cr)) { c.RaiseUD(); return; }
        if (c.Cpl != 0) { c.RaiseGP(0); return; }
        uint v = c.Regs[i.Op1Register - Register.EAX];
        switch (cr)
        {
            case Register.CR0: c.WriteCr0(v); break;
            case Register.CR2: c.Cr2 = v; break;
            case Register.CR3: c.WriteCr3(v); break;
            default: c.WriteCr4(v); break;
        }
    }

    private static bool IsImplementedCr(Register r) => r is Register.CR0 or Register.CR2 or Register.CR3 or Register.CR4;

    /// <summary>
    /// Loads CR0 (SDM Vol. 2 MOV CR; Vol. 3 §2.5): PG without PE and NW without CD are #GP(0);
    /// reserved bits stay clear and ET reads 1. Enabling PAE paging loads the PDPTEs (§4.4.1, #GP(0)
    /// if one is invalid). Changing PG or WP flushes the TLB (it caches WP-dependent rights). A PE
    /// change alters nothing else: the segment caches keep their contents. Returns false after
    /// raising the fault, with nothing changed.
    /// </summary>
    public bool WriteCr0(uint value)
    {
        value = (value & Cr0Defined) | Cr0ET;
        if ((value & Cr0PG) != 0 && (value & Cr0PE) == 0) { RaiseGP(0); return false; }
        if ((value & Cr0NW) != 0 && (value & Cr0CD) == 0) { RaiseGP(0); return false; }
        uint old = Cr0;
        bool paePaging = (value & Cr0PG) != 0 && (Cr4 & Cr4PAE) != 0;
        if (paePaging && ((old ^ value) & (Cr0PG | Cr0CD | Cr0NW)) != 0 && !Mmu.LoadPdptes(Cr3)) return false;
        Cr0 = value;
        if (((old ^ value) & (Cr0PG | Cr0WP)) != 0) Mmu.FlushAll();
        if (Tracer != null) TraceCr0(old, value);
        return true;
    }

    /// <summary>
    /// Loads CR3: with PAE paging active the PDPTEs are loaded first (#GP(0) if invalid, CR3
    /// unchanged); non-global TLB entries are flushed (SDM §4.10.4.1).
    /// </summary>
    public bool WriteCr3(uint value)
    {
        if (PagingEnabled && (Cr4 & Cr4PAE) != 0 && !Mmu.LoadPdptes(value)) return false;
        Cr3 = value;
        Mmu.FlushNonGlobal();
        if (Tracer != null) TraceCr3(value);
        return true;
    }

    /// <summary>
    /// Loads CR4: an unimplemented bit is #GP(0). Changing PSE, PAE or PGE flushes the whole TLB
    /// (including global entries); if PAE paging is in use afterwards, the PDPTEs are reloaded (§4.4.1).
    /// </summary>
    public bool WriteCr4(uint value)
    {
        if ((value & ~Cr4Supported) != 0) { RaiseGP(0); return false; }
        uint old = Cr4;
        const uint pagingBits = Cr4PSE | Cr4PAE | Cr4PGE;
        bool changed = ((old ^ value) & pagingBits) != 0;
        if (changed && PagingEnabled && (value & Cr4PAE) != 0 && !Mmu.LoadPdptes(Cr3)) return false;
        Cr4 = value;
        if (changed) Mmu.FlushAll();
        if (Tracer != null) TraceCr4(old, value);
        return true;
    }

    /// <summary>CLTS: CPL 0; clears CR0.TS.</summary>
    private static void Clts(Cpu c, ref Instruction i)
    {
        if (c.Cpl != 0) { c.RaiseGP(0); return; }
        c.Cr0 &= ~Cr0TS;
    }

    /// <summary>LMSW: CPL 0; loads PE, MP, EM, TS from the low 4 bits; it can set PE but never clear it.</summary>
    private static void Lmsw(Cpu c, ref Instruction i)
    {
        if (c.Cpl != 0) { c.RaiseGP(0); return; }
        uint src = c.ReadOperand(ref i, 0);
        if (c.Faulted) return;
        c.WriteCr0((c.Cr0 & ~0xFu) | (src & 0xFu) | (c.Cr0 & Cr0PE));
    }

    /// <summary>
    /// SMSW: unprivileged (no UMIP). To memory it stores 16 bits; to a 32-bit register the whole
    /// of CR0 (P6 behaviour; the SDM calls the high bits undefined); to a 16-bit register bits 15:0.
    /// </summary>
    private static void Smsw(Cpu c, ref Instruction i)
    {
        c.WriteOperand(ref i, 0, c.Cr0);
    }
}
