using System.Text;
using CpuCore = Emulator.Core.Cpu.Cpu;

namespace Emulator.Core.Debugging;

/// <summary>One level of a page walk: which table entry was read (its physical address), its value and what its bits say.</summary>
public sealed record PageTableLevel(string Name, uint EntryAddress, ulong Value, string Flags);

/// <summary>
/// A debugger's view of how the current page tables translate one linear address (SDM Vol. 3
/// §4.3 32-bit paging with PSE, §4.4 PAE): every entry read on the way with its decoded flags, and
/// the physical address or the level where the walk stops. It reads the tables as they are in
/// memory and sets no Accessed/Dirty bits; <see cref="Physical"/> is what
/// <see cref="Cpu.Mmu.Probe"/> gives (the translation the CPU would use, a TLB entry included), so a
/// stale TLB entry shows as a difference between the two. Used by the gdb stub's `monitor walk` and the web debugger.
/// </summary>
public sealed record PageTableWalk(uint Linear, string Mode, uint Cr3, IReadOnlyList<PageTableLevel> Levels, uint? TablesPhysical, uint? Physical, string? StoppedAt)
{
    private const ulong P = 1, RW = 2, US = 4, PWT = 8, PCD = 16, A = 32, D = 64, PS = 128, G = 256, XD = 1ul << 63;

    /// <summary>Walks the tables the CPU uses now for <paramref name="linear"/>.</summary>
    public static PageTableWalk Of(CpuCore cpu, uint linear)
    {
        uint? probed = cpu.Mmu.Probe(linear, out uint phys) ? phys : null;
        if (!cpu.PagingEnabled)
            return new PageTableWalk(linear, "no paging", cpu.Cr3, Array.Empty<PageTableLevel>(), linear & cpu.Memory.A20Mask, probed, null);
        var levels = new List<PageTableLevel>();
        bool pae = (cpu.Cr4 & CpuCore.Cr4PAE) != 0;
        var mem = cpu.Memory;
        if (!pae)
        {
            uint pdeAt = (cpu.Cr3 & 0xFFFFF000u) | ((linear >> 20) & 0xFFCu);
            uint pde = mem.Read32(pdeAt);
            levels.Add(new PageTableLevel("PDE", pdeAt, pde, Describe(pde, large: (pde & PS) != 0)));
            if ((pde & P) == 0) return Done(cpu, linear, "32-bit", levels, null, probed, "PDE not present");
            if ((pde & PS) != 0 && (cpu.Cr4 & CpuCore.Cr4PSE) != 0)
                return Done(cpu, linear, "32-bit", levels, (pde & 0xFFC00000u) | (linear & 0x3FFFFFu), probed, null);
            uint pteAt = (pde & 0xFFFFF000u) | ((linear >> 10) & 0xFFCu);
            uint pte = mem.Read32(pteAt);
            levels.Add(new PageTableLevel("PTE", pteAt, pte, Describe(pte, large: false)));
            if ((pte & P) == 0) return Done(cpu, linear, "32-bit", levels, null, probed, "PTE not present");
            return Done(cpu, linear, "32-bit", levels, (pte & 0xFFFFF000u) | (linear & 0xFFFu), probed, null);
        }
        // PAE: the PDPTEs are the registers loaded at the last CR3 load (SDM §4.4.1), shown with the address they came from.
        ulong pdpte = cpu.Mmu.GetPdpte((int)(linear >> 30));
        levels.Add(new PageTableLevel("PDPTE", (cpu.Cr3 & 0xFFFFFFE0u) + (linear >> 30) * 8, pdpte, (pdpte & P) != 0 ? "P" : "not present"));
        if ((pdpte & P) == 0) return Done(cpu, linear, "PAE", levels, null, probed, "PDPTE not present");
        uint pdeAddr = ((uint)pdpte & 0xFFFFF000u) | ((linear >> 18) & 0xFF8u);
        ulong pae_pde = mem.Read64(pdeAddr);
        levels.Add(new PageTableLevel("PDE", pdeAddr, pae_pde, Describe(pae_pde, large: (pae_pde & PS) != 0)));
        if ((pae_pde & P) == 0) return Done(cpu, linear, "PAE", levels, null, probed, "PDE not present");
        if ((pae_pde & PS) != 0)
            return Done(cpu, linear, "PAE", levels, ((uint)pae_pde & 0xFFE00000u) | (linear & 0x1FFFFFu), probed, null);
        uint pteAddr = ((uint)pae_pde & 0xFFFFF000u) | ((linear >> 9) & 0xFF8u);
        ulong pae_pte = mem.Read64(pteAddr);
        levels.Add(new PageTableLevel("PTE", pteAddr, pae_pte, Describe(pae_pte, large: false)));
        if ((pae_pte & P) == 0) return Done(cpu, linear, "PAE", levels, null, probed, "PTE not present");
        return Done(cpu, linear, "PAE", levels, ((uint)pae_pte & 0xFFFFF000u) | (linear & 0xFFFu), probed, null);
    }

    private static PageTableWalk Done(CpuCore cpu, uint linear, string mode, List<PageTableLevel> levels, uint? tables, uint? probed, string? stoppedAt) =>
        new(linear, mode, cpu.Cr3, levels, tables, probed, stoppedAt);

    /// <summary>The entry's flags in the SDM's names ("P RW US A D G"); "not present" when P is clear.</summary>
    public static string Describe(ulong entry, bool large)
    {
        if ((entry & P) == 0) return "not present";
        var sb = new StringBuilder("P");
        sb.Append((entry & RW) != 0 ? " RW" : " RO");
        sb.Append((entry & US) != 0 ? " US" : " S");
        if ((entry & PWT) != 0) sb.Append(" PWT");
        if ((entry & PCD) != 0) sb.Append(" PCD");
        if ((entry & A) != 0) sb.Append(" A");
        if ((entry & D) != 0) sb.Append(" D");
        if (large) sb.Append(" PS");
        if ((entry & G) != 0) sb.Append(" G");
        if ((entry & XD) != 0) sb.Append(" XD");
        return sb.ToString();
    }

    /// <summary>The walk as text, one line per level and one for the result (gdb's `monitor walk`).</summary>
    public string Render()
    {
        var sb = new StringBuilder();
        sb.Append($"0x{Linear:x8}: {Mode} paging, CR3 0x{Cr3:x8}\n");
        foreach (var l in Levels)
            sb.Append($"  {l.Name,-5} at 0x{l.EntryAddress:x8} = 0x{l.Value:x16}  {l.Flags}\n");
        if (StoppedAt != null) sb.Append($"  not mapped: {StoppedAt}\n");
        else sb.Append($"  -> physical 0x{TablesPhysical:x8}\n");
        if (Physical != TablesPhysical)
            sb.Append(Physical is { } p ? $"  (the TLB still maps it to 0x{p:x8})\n" : "  (the CPU's translation faults)\n");
        return sb.ToString();
    }
}
