using Emulator.Core.Cpu;
using Emulator.Core.Hypervisor;

namespace Emulator.Core.Fuzzing;

/// <summary>
/// Keeps the hostile guest able to pass arguments. Fuzzed calls may switch CR3 to a table that does
/// not map the guest's argument buffers, remap or unmap them, pin their frames as page tables, or
/// fill the bootstrap tables with entries that no longer validate; from then on every call would
/// fail with -EFAULT and the campaign would test one error path only. So after each call the keeper
/// checks that the argument area still translates, writable, to its own frames, and otherwise puts
/// the bootstrap tables on the way to it back as the guest would, only through the PV MMU's checked
/// paths: entry updates (validated on page tables, plain stores on frames that are not), unpinning
/// a frame the area must map writable, and NEW_BASEPTR. Nothing is written behind the hypervisor's
/// back, so the audit still judges the hypervisor alone.
/// </summary>
public sealed class ArgumentAreaKeeper
{
    private readonly XenHypervisor _hv;
    private readonly Cpu.Cpu _cpu;
    private readonly uint _l3;
    private readonly uint _start, _pages;
    /// <summary>The bootstrap tables on the way to the area, innermost (L1s) first, with their contents at the start.</summary>
    private readonly List<(uint Mfn, int Level, ulong[] Entries)> _tables = new();
    /// <summary>The machine addresses of the entries that map the area (its L1 entries, their L2 entries, the L3 slot).</summary>
    private readonly HashSet<uint> _onTheWay = new();

    public ArgumentAreaKeeper(XenHypervisor hv, Cpu.Cpu cpu, XenDomainInfo info, uint start, uint bytes)
    {
        _hv = hv;
        _cpu = cpu;
        _l3 = info.L3Mfn;
        _start = start;
        _pages = bytes >> 12;
        var mem = hv.Memory;
        var l1s = new List<uint>();
        var l2s = new List<uint>();
        for (uint p = 0; p < _pages; p++)
        {
            uint va = start + p * 4096;
            uint l2 = (uint)((mem.Read64((_l3 << 12) + (va >> 30) * 8) & PvMmu.AddressMask) >> 12);
            uint l1 = (uint)((mem.Read64((l2 << 12) + ((va >> 21) & 511) * 8) & PvMmu.AddressMask) >> 12);
            _onTheWay.Add((_l3 << 12) + (va >> 30) * 8);
            _onTheWay.Add((l2 << 12) + ((va >> 21) & 511) * 8);
            _onTheWay.Add((l1 << 12) + ((va >> 12) & 511) * 8);
            if (!l1s.Contains(l1)) l1s.Add(l1);
        }
        // Every L2 of the bootstrap L3 (slot 3's, the pae_xen_l2, included): the L3 validates only with all of them valid.
        for (uint i = 0; i < 4; i++)
        {
            ulong e = mem.Read64((_l3 << 12) + i * 8);
            if ((e & PvMmu.P) != 0 && !l2s.Contains((uint)((e & PvMmu.AddressMask) >> 12))) l2s.Add((uint)((e & PvMmu.AddressMask) >> 12));
        }
        foreach (var (t, level) in l1s.Select(t => (t, 1)).Concat(l2s.Select(t => (t, 2))).Append((_l3, 3)))
        {
            var entries = new ulong[level == 3 ? 4 : 512];
            for (uint i = 0; i < entries.Length; i++) entries[i] = mem.Read64((t << 12) + i * 8);
            _tables.Add((t, level, entries));
        }
    }

    /// <summary>Repairs made so far, and checks after which the area still could not be used.</summary>
    public long Repairs { get; private set; }
    public long Unrepaired { get; private set; }
    /// <summary>Why the last repair failed (null while none has).</summary>
    public string? LastFailure { get; private set; }

    /// <summary>The first page of the area that does not translate writable to its own frame, or null.</summary>
    private uint? Broken()
    {
        for (uint p = 0; p < _pages; p++)
        {
            uint va = _start + p * 4096;
            if (!_cpu.Mmu.Probe(va, out uint pa, AccessKind.Write) || pa >> 12 != _hv.P2m[va >> 12]) return va;
        }
        return null;
    }

    /// <summary>Checks the area and repairs it if needed; false when it is still unusable.</summary>
    public bool Keep()
    {
        if (_hv.Mmu.BaseMfn == _l3 && Broken() == null) return true;
        Repairs++;
        var mmu = _hv.Mmu;
        // Twice: the first pass restores tables that lost their type with plain stores, so that
        // the second (after NEW_BASEPTR validated them again) can take validated updates.
        for (int pass = 0; pass < 2; pass++)
        {
            foreach (var (mfn, level, entries) in _tables) Restore(mfn, level, entries);
            if (mmu.BaseMfn != _l3 && mmu.NewBaseptr(_l3) < 0)
            {
                // A bootstrap table pinned (the L3 itself as another type) keeps the L3 from validating: unpin it.
                foreach (var (mfn, _, _) in _tables)
                    if (mmu.IsPinned(mfn) && (mfn != _l3 || mmu.TypeOf(mfn) != PageType.L3)) mmu.Unpin(mfn);
                foreach (var (mfn, level, entries) in _tables) Restore(mfn, level, entries);
                mmu.NewBaseptr(_l3);
            }
        }
        _cpu.Mmu.FlushAll(); // as the guest would after changing its own mappings
        uint? broken = mmu.BaseMfn == _l3 ? Broken() : null;
        if (mmu.BaseMfn == _l3 && broken == null) return true;
        Unrepaired++;
        LastFailure = mmu.BaseMfn != _l3
            ? $"the bootstrap L3 (mfn 0x{_l3:X}) does not validate again: {string.Join(", ", _tables.Select(t => $"0x{t.Mfn:X} {mmu.TypeOf(t.Mfn)}{(mmu.IsPinned(t.Mfn) ? " pinned" : "")}"))}"
            : $"0x{broken:X8} does not map its frame 0x{_hv.P2m[broken!.Value >> 12]:X} writable ({mmu.TypeOf(_hv.P2m[broken.Value >> 12])})";
        return false;
    }

    /// <summary>
    /// Puts back each entry of a bootstrap table (at <paramref name="level"/>) that changed. An entry
    /// on the way to the area whose frame is pinned as a table is retried once the frame is unpinned.
    /// Elsewhere the guest settles for less, so that the table validates: a frame that became a page
    /// table is mapped read-only, an L2 entry is kept only to an L1 in use (another frame's contents
    /// may not validate as an L1 any more), and an entry that still does not validate is cleared.
    /// </summary>
    private void Restore(uint table, int level, ulong[] entries)
    {
        var mmu = _hv.Mmu;
        for (uint i = 0; i < entries.Length; i++)
        {
            uint ma = (table << 12) + i * 8;
            ulong value = entries[i];
            if (_hv.Memory.Read64(ma) == value) continue;
            uint target = (uint)((value & PvMmu.AddressMask) >> 12);
            bool onTheWay = _onTheWay.Contains(ma);
            if ((value & PvMmu.P) != 0 && target < mmu.FrameCount && !onTheWay)
            {
                PageType t = mmu.TypeOf(target);
                if (level == 1 && t is PageType.L1 or PageType.L2 or PageType.L2Xen or PageType.L3) value &= ~PvMmu.RW;
                // Only L1s already in use: another frame's contents may no longer validate as an L1.
                if (level == 2 && t != PageType.L1) value = 0;
            }
            if (mmu.UpdateEntry(ma, value, preserveAd: false) >= 0) continue;
            if (target < mmu.FrameCount && mmu.IsPinned(target) && mmu.Unpin(target) == 0 &&
                mmu.UpdateEntry(ma, value, preserveAd: false) >= 0) continue;
            if (!onTheWay && level < 3) mmu.UpdateEntry(ma, 0, preserveAd: false);
        }
    }
}
