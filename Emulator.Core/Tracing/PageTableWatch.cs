using Emulator.Core.Memory;
using CpuCore = Emulator.Core.Cpu.Cpu;

namespace Emulator.Core.Tracing;

/// <summary>
/// On bare hardware, finds the frames the current page tables use (walking from CR3: 2-level or
/// PAE) and marks them in physical memory, so every guest store into a live table becomes a "pte"
/// trace event with the entry's old and new value. The set is rebuilt when CR3, CR0.PG or CR4's
/// paging bits change; a store that links a new table below a watched one adds that table at once
/// (frames that stop being tables leave the set at the next rebuild). Tracing only: nothing here
/// runs when no trace is recorded.
/// </summary>
public sealed class PageTableWatch
{
    private readonly CpuCore _cpu;
    private readonly PhysicalMemory _mem;
    private readonly Tracer _tracer;
    private readonly Dictionary<uint, string> _levelOf = new();
    private bool _pae;

    public PageTableWatch(CpuCore cpu, PhysicalMemory memory, Tracer tracer)
    {
        _cpu = cpu;
        _mem = memory;
        _tracer = tracer;
        memory.TablePageWriting += OnTableWrite;
    }

    /// <summary>Stops watching: every mark is removed from physical memory.</summary>
    public void Detach()
    {
        _mem.TablePageWriting -= OnTableWrite;
        foreach (uint pfn in _levelOf.Keys) _mem.UnwatchTablePage(pfn);
        _levelOf.Clear();
    }

    /// <summary>Rebuilds the set from CR3 (called after CR3, CR0 or CR4 change).</summary>
    public void Rebuild()
    {
        foreach (uint pfn in _levelOf.Keys) _mem.UnwatchTablePage(pfn);
        _levelOf.Clear();
        if (!_cpu.PagingEnabled) return;
        _pae = (_cpu.Cr4 & CpuCore.Cr4PAE) != 0;
        if (_pae)
        {
            // The PDPT is 32 bytes at CR3 (SDM Vol. 3A §4.4.1): watch its frame.
            uint pdpt = _cpu.Cr3 & 0xFFFFFFE0u;
            Add(pdpt >> 12, "L3");
            for (uint i = 0; i < 4; i++) AddBelow(_mem.Read64(pdpt + i * 8), "L3");
        }
        else
        {
            Add(_cpu.Cr3 >> 12, "L2");
            uint pd = _cpu.Cr3 & 0xFFFFF000u;
            for (uint i = 0; i < 1024; i++) AddBelow(_mem.Read32(pd + i * 4), "L2");
        }
    }

    private void Add(uint pfn, string level)
    {
        if ((ulong)pfn << 12 >= _mem.RamSize || !_levelOf.TryAdd(pfn, level)) return;
        _mem.WatchTablePage(pfn);
    }

    /// <summary>Watches the table an entry of a table at <paramref name="level"/> points to (and, for an L2 under an L3, its L1s).</summary>
    private void AddBelow(ulong entry, string level)
    {
        if ((entry & 1) == 0 || level == "L1") return;
        // A large page (PS in a directory entry, CR4.PSE for 2-level) maps memory, not a table.
        if (level == "L2" && (entry & 0x80) != 0 && (_pae || (_cpu.Cr4 & CpuCore.Cr4PSE) != 0)) return;
        uint pfn = (uint)((entry & 0x000F_FFFF_FFFF_F000ul) >> 12);
        string child = level == "L3" ? "L2" : "L1";
        bool isNew = !_levelOf.ContainsKey(pfn);
        Add(pfn, child);
        if (isNew && child == "L2")
            for (uint i = 0; i < 512; i++) AddBelow(_mem.Read64((pfn << 12) + i * 8), "L2");
    }

    private void OnTableWrite(uint addr, int size, uint value)
    {
        if (!_levelOf.TryGetValue(addr >> 12, out string? level)) return;
        uint width = _pae ? 8u : 4u;
        uint entryAddr = addr & ~(width - 1);
        ulong old = _pae ? _mem.Read64(entryAddr) : _mem.Read32(entryAddr);
        // The entry as it will read after this store (which may cover part of it).
        ulong updated = old;
        for (int b = 0; b < size; b++)
        {
            uint at = addr + (uint)b - entryAddr;
            if (at >= width) break;
            ulong mask = 0xFFul << (int)(at * 8);
            updated = (updated & ~mask) | ((ulong)((value >> (b * 8)) & 0xFF) << (int)(at * 8));
        }
        if (updated == old) return;
        _tracer.Emit(new PageTableEvent(_tracer.Now, entryAddr, level, old, updated, "store"));
        AddBelow(updated, level);
    }
}
