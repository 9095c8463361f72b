namespace Emulator.Core.Hypervisor;

/// <summary>One broken invariant the auditor found: the machine frame concerned and what is wrong with it.</summary>
public sealed record PvMmuViolation(uint Mfn, string What)
{
    public override string ToString() => $"mfn 0x{Mfn:X}: {What}";
}

/// <summary>
/// Recounts the PV MMU's bookkeeping from scratch (XEN-ABI.md §6) and compares it with
/// <see cref="PvMmu"/>'s: starting from every pinned frame and the base pointer, it walks each page
/// table in use once, counts the general and type references its present entries hold, and checks
/// every entry on the way. Violations: a frame referenced as two types at once (a page table that is
/// also mapped writable), an entry mapping a frame the domain does not own (hypervisor memory) or
/// beyond RAM, flags a level forbids, a pae_xen_l2 whose hypervisor slots were changed, and any
/// general count, type count or type that differs from the recount. Reads memory only.
/// </summary>
public sealed class PvMmuAuditor
{
    private readonly PvMmu _mmu;
    private readonly Memory.PhysicalMemory _mem;
    private readonly int[] _refs;
    private readonly int[] _typeRefs;
    private readonly PageType[] _type;
    private readonly bool[] _walked;
    private readonly List<PvMmuViolation> _violations = new();
    private readonly Queue<uint> _tables = new();

    private PvMmuAuditor(XenHypervisor hv)
    {
        _mmu = hv.Mmu;
        _mem = hv.Memory;
        uint n = _mmu.FrameCount;
        _refs = new int[n];
        _typeRefs = new int[n];
        _type = new PageType[n];
        _walked = new bool[n];
    }

    /// <summary>Audits the domain of <paramref name="hv"/>; an empty list means the bookkeeping is exact.</summary>
    public static IReadOnlyList<PvMmuViolation> Audit(XenHypervisor hv)
    {
        var a = new PvMmuAuditor(hv);
        a.Run();
        return a._violations;
    }

    private void Run()
    {
        for (uint mfn = 0; mfn < _mmu.FrameCount; mfn++)
            if (_mmu.IsPinned(mfn)) Reference(mfn, mfn, _mmu.TypeOf(mfn), "a pin");
        if (_mmu.BaseMfn != uint.MaxValue) Reference(_mmu.BaseMfn, _mmu.BaseMfn, PageType.L3, "CR3");
        while (_tables.Count > 0) Walk(_tables.Dequeue());

        for (uint mfn = 0; mfn < _mmu.FrameCount; mfn++)
        {
            if (_refs[mfn] != _mmu.RefCountOf(mfn))
                Report(mfn, $"general count {_mmu.RefCountOf(mfn)}, recounted {_refs[mfn]}");
            if (_typeRefs[mfn] != _mmu.TypeCountOf(mfn))
                Report(mfn, $"type count {_mmu.TypeCountOf(mfn)} ({_mmu.TypeOf(mfn)}), recounted {_typeRefs[mfn]} ({_type[mfn]})");
            else if (_typeRefs[mfn] > 0 && _type[mfn] != _mmu.TypeOf(mfn))
                Report(mfn, $"typed {_mmu.TypeOf(mfn)}, referenced as {_type[mfn]}");
        }
    }

    private void Report(uint mfn, string what) => _violations.Add(new PvMmuViolation(mfn, what));

    private static bool IsPageTable(PageType t) => t is PageType.L1 or PageType.L2 or PageType.L2Xen or PageType.L3;

    /// <summary>Counts one reference of type <paramref name="t"/> (None: a general reference only) held by <paramref name="from"/>.</summary>
    private void Reference(uint target, uint from, PageType t, string holder)
    {
        _refs[target]++;
        if (t == PageType.None) return;
        if (_typeRefs[target] > 0 && _type[target] != t)
        {
            string what = t == PageType.Writable || _type[target] == PageType.Writable
                ? "a page-table frame mapped writable" : "referenced as two page-table types";
            Report(target, $"{what}: {_type[target]} and {t} (by {holder} in mfn 0x{from:X})");
            return;
        }
        _type[target] = t;
        _typeRefs[target]++;
        if (IsPageTable(t) && !_walked[target])
        {
            _walked[target] = true;
            _tables.Enqueue(target);
        }
    }

    /// <summary>Checks and counts the entries of one page table in use (its type is the one it is referenced as).</summary>
    private void Walk(uint table)
    {
        PageType t = _type[table];
        uint slots = t switch { PageType.L3 => 4, PageType.L2Xen => (uint)PvMmu.XenL2FirstSlot, _ => 512 };
        ulong allowed = t switch { PageType.L1 => PvMmu.L1Allowed, PageType.L3 => PvMmu.L3Allowed, _ => PvMmu.L2Allowed };
        for (uint i = 0; i < slots; i++)
        {
            ulong e = _mem.Read64((table << 12) + i * 8);
            if ((e & PvMmu.P) == 0) continue;
            string holder = $"{t}[{i}]";
            if ((e & ~PvMmu.AddressMask & ~allowed) != 0) Report(table, $"{holder} = 0x{e:X16} has flags a {t} entry may not carry");
            ulong target = (e & PvMmu.AddressMask) >> 12;
            if (target >= _mmu.FrameCount) { Report(table, $"{holder} maps frame 0x{target:X}, beyond RAM"); continue; }
            uint mfn = (uint)target;
            if (_mmu.OwnerOf(mfn) != FrameOwner.Domain)
                Report(table, $"{holder} maps mfn 0x{mfn:X}, which the domain does not own ({_mmu.OwnerOf(mfn)})");
            PageType refType = t switch
            {
                PageType.L1 => (e & PvMmu.RW) != 0 ? PageType.Writable : PageType.None,
                PageType.L3 => i == 3 ? PageType.L2Xen : PageType.L2,
                _ => PageType.L1,
            };
            Reference(mfn, table, refType, holder);
        }
        if (t == PageType.L2Xen)
            for (int i = PvMmu.XenL2FirstSlot; i < 512; i++)
                if (_mem.Read64((table << 12) + (uint)i * 8) != _mmu.XenL2Entries[i - PvMmu.XenL2FirstSlot])
                    Report(table, $"hypervisor slot {i} of a pae_xen_l2 differs from the hypervisor's entry");
        if (t == PageType.L3)
            for (uint i = 4; i < 512; i++)
                if (_mem.Read64((table << 12) + i * 8) != 0) { Report(table, $"L3 slot {i} is not zero"); break; }
    }
}
