using Iced.Intel;

namespace Emulator.Core.Cpu;

/// <summary>
/// System instructions (SDM Vol. 2): control and debug registers, INVLPG, INVD, WBINVD, WAIT,
/// RDTSC, RDMSR/WRMSR, CPUID. The families live in their own files; this one registers them and
/// holds the small cache/TLB instructions.
/// </summary>
public sealed unsafe partial class Cpu
{
    static partial void RegisterSystemInstructions()
    {
        RegisterControlRegisterInstructions();
        RegisterDebugRegisterInstructions();
        RegisterMsrInstructions();
        Bind(Mnemonic.Cpuid, &Cpuid);
        Bind(Mnemonic.Invlpg, &Invlpg);
        Bind(Mnemonic.Invd, &CacheInvalidate);
        Bind(Mnemonic.Wbinvd, &CacheInvalidate);
        Bind(Mnemonic.Wait, &Wait);
    }

    /// <summary>
    /// INVLPG m: CPL 0; drops the TLB entry (global or not) for the page of the operand's linear
    /// address. The operand is not accessed, so no segment-limit or paging checks apply.
    /// </summary>
    private static void Invlpg(Cpu c, ref Instruction i)
    {
        if (i.Op0Kind != OpKind.Memory) { c.RaiseUD(); return; }
        if (c.Cpl != 0) { c.RaiseGP(0); return; }
        uint linear = c.Segs[MemorySeg(ref i)].Base + c.EffectiveAddress(ref i);
        c.Mmu.FlushPage(linear);
    }

    /// <summary>INVD / WBINVD: CPL 0; there are no caches to write back or drop.</summary>
    private static void CacheInvalidate(Cpu c, ref Instruction i)
    {
        if (c.Cpl != 0) c.RaiseGP(0);
    }

    /// <summary>WAIT/FWAIT: #NM when CR0.MP and CR0.TS are both set; otherwise nothing (no FPU, so no pending x87 exception).</summary>
    private static void Wait(Cpu c, ref Instruction i)
    {
        if ((c.Cr0 & (Cr0MP | Cr0TS)) == (Cr0MP | Cr0TS)) c.RaiseFault(Vector.NM);
    }
}
