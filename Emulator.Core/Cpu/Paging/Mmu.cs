using System.Runtime.CompilerServices;

namespace Emulator.Core.Cpu;

/// <summary>
/// Linear-to-physical translation: 2-level, PSE and PAE page walks with a software TLB.
/// (Skeleton: the paging work fills in the walker and TLB.)
/// </summary>
public sealed class Mmu
{
    private readonly Cpu _cpu;

    public Mmu(Cpu cpu) => _cpu = cpu;

    /// <summary>
    /// Translates <paramref name="linear"/> for an access; on failure raises #PF (CR2, error code)
    /// on the CPU and returns false. Sets Accessed/Dirty bits as the SDM requires.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public bool Translate(uint linear, AccessKind kind, bool user, out uint physical)
    {
        if ((_cpu.Cr0 & Cpu.Cr0PG) == 0) { physical = linear & _cpu.Memory.A20Mask; return true; }
        physical = 0;
        _cpu.RaiseFault(Vector.PF, 0);
        return false;
    }

    /// <summary>Translation without side effects or faults (debugger, logs): supervisor view.</summary>
    public bool Probe(uint linear, out uint physical, AccessKind kind = AccessKind.Read)
    {
        if ((_cpu.Cr0 & Cpu.Cr0PG) == 0) { physical = linear & _cpu.Memory.A20Mask; return true; }
        physical = 0;
        return false;
    }

    /// <summary>Drops every TLB entry (including global ones).</summary>
    public void FlushAll() { }

    /// <summary>Drops non-global TLB entries (a CR3 load).</summary>
    public void FlushNonGlobal() { }

    /// <summary>Drops the entry for one linear page (INVLPG).</summary>
    public void FlushPage(uint linear) { }
}
