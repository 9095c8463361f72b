using Iced.Intel;

namespace Emulator.Core.Cpu;

/// <summary>
/// RDTSC, RDMSR and WRMSR (SDM Vol. 2; Vol. 4 for the MSR numbers). Implemented MSRs:
/// IA32_TIME_STAMP_COUNTER (10H), IA32_BIOS_SIGN_ID (8BH: the microcode revision, reads 0; Linux
/// writes 0 then reads it on family 6) and IA32_EFER (C0000080H, only NXE writable, because CPUID
/// reports NX but neither SYSCALL nor long mode). Everything else — including IA32_APIC_BASE (no
/// APIC) and the SYSENTER MSRs (CPUID does not claim SEP) — is #GP(0).
/// </summary>
public sealed unsafe partial class Cpu
{
    public const uint MsrTsc = 0x10, MsrBiosSignId = 0x8B, MsrEfer = 0xC0000080;

    /// <summary>
    /// TSC = virtual time + this offset. WRMSR to the TSC changes the offset so the counter continues
    /// from the written value; virtual time itself is never touched.
    /// </summary>
    public ulong TscOffset;

    /// <summary>The time-stamp counter: instructions retired before the current one, plus <see cref="TscOffset"/>.</summary>
    public ulong Tsc => Clock.Now + TscOffset;

    private static void RegisterMsrInstructions()
    {
        Bind(Mnemonic.Rdtsc, &Rdtsc);
        Bind(Mnemonic.Rdmsr, &Rdmsr);
        Bind(Mnemonic.Wrmsr, &Wrmsr);
    }

    /// <summary>RDTSC: #GP(0) when CR4.TSD is set and CPL &gt; 0.</summary>
    private static void Rdtsc(Cpu c, ref Instruction i)
    {
        if ((c.Cr4 & Cr4TSD) != 0 && c.Cpl != 0) { c.RaiseGP(0); return; }
        ulong t = c.Tsc;
        c.Regs[EAX] = (uint)t;
        c.Regs[EDX] = (uint)(t >> 32);
    }

    private static void Rdmsr(Cpu c, ref Instruction i)
    {
        if (c.Cpl != 0) { c.RaiseGP(0); return; }
        if (!c.TryReadMsr(c.Regs[ECX], out ulong v)) { c.RaiseGP(0); return; }
        c.Regs[EAX] = (uint)v;
        c.Regs[EDX] = (uint)(v >> 32);
    }

    private static void Wrmsr(Cpu c, ref Instruction i)
    {
        if (c.Cpl != 0) { c.RaiseGP(0); return; }
        ulong v = c.Regs[EAX] | ((ulong)c.Regs[EDX] << 32);
        if (!c.TryWriteMsr(c.Regs[ECX], v)) c.RaiseGP(0);
    }

    /// <summary>Reads an MSR; false if it does not exist (the caller raises #GP(0)). Also for the debugger.</summary>
    public bool TryReadMsr(uint msr, out ulong value)
    {
        switch (msr)
        {
            case MsrTsc: value = Tsc; return true;
            case MsrBiosSignId: value = 0; return true;
            case MsrEfer: value = Efer; return true;
            default: value = 0; return false;
        }
    }

    /// <summary>Writes an MSR; false if it does not exist or the value sets an unsupported bit.</summary>
    public bool TryWriteMsr(uint msr, ulong value)
    {
        switch (msr)
        {
            case MsrTsc:
                TscOffset = value - Clock.Now;
                return true;
            case MsrBiosSignId:
                return true; // writing triggers a microcode-revision update on hardware: nothing to do
            case MsrEfer:
                if ((value & ~EferNXE) != 0) return false; // SCE, LME and LMA are not implemented
                if (((Efer ^ value) & EferNXE) != 0) Mmu.FlushAll(); // NXE changes cached rights and reserved bits
                if (Tracer != null) TraceEfer(Efer, value);
                Efer = value;
                return true;
            default:
                return false;
        }
    }
}
