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
/// general count, type count or type that differs from the recount. Reads memory only. One
/// instance can audit the same domain again and again (<see cref="AuditNow"/>) without allocating
/// anything while the bookkeeping is exact, which is what a fuzzer auditing after every hypercall needs.
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

    public PvMmuAuditor(XenHypervisor hv)
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

    /// <summary>Audits the domain again from scratch; the list is only valid until the next call.</summary>
    public IReadOnlyList<PvMmuViolation> AuditNow()
    {
        Array.Clear(_refs);
        Array.Clear(_typeRefs);
        Array.Clear(_type);
        Array.Clear(_walked);
        _violations.Clear();
        _tables.Clear();
        Run();
        return _violations;
    }

    private void Run()
    {
        for (uint mfn = 0; mfn < _mmu.FrameCount; mfn++)
            if (_mmu.IsPinned(mfn)) Reference(mfn, mfn, _mmu.TypeOf(mfn), PageType.None, PinHolder);
        if (_mmu.BaseMfn != uint.MaxValue) Reference(_mmu.BaseMfn, _mmu.BaseMfn, PageType.L3, PageType.None, BaseHolder);
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

    private const int PinHolder = -1, BaseHolder = -2;

    /// <summary>Who holds a reference, for a report: a pin, CR3, or slot <paramref name="slot"/> of a table typed <paramref name="table"/>.</summary>
    private static string Holder(PageType table, int slot) => slot switch
    {
        PinHolder => "a pin",
        BaseHolder => "CR3",
        _ => $"{table}[{slot}]",
    };

    /// <summary>
    /// Counts one reference of type <paramref name="t"/> (None: a general reference only) held by
    /// <paramref name="from"/> (slot <paramref name="slot"/> of a table typed <paramref name="fromType"/>, or a pin or CR3).
    /// </summary>
    private void Reference(uint target, uint from, PageType t, PageType fromType, int slot)
    {
        _refs[target]++;
        if (t == PageType.None) return;
        if (_typeRefs[target] > 0 && _type[target] != t)
        {
            string what = t == PageType.Writable || _type[target] == PageType.Writable
                ? "a page-table frame mapped writable" : "referenced as two page-table types";
            Report(target, $"{what}: {_type[target]} and {t} (by {Holder(fromType, slot)} in mfn 0x{from:X})");
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
            if ((e & ~PvMmu.AddressMask & ~allowed) != 0) Report(table, $"{Holder(t, (int)i)} = 0x{e:X16} has flags a {t} entry may not carry");
            ulong target = (e & PvMmu.AddressMask) >> 12;
            if (target >= _mmu.FrameCount) { Report(table, $"{Holder(t, (int)i)} maps frame 0x{target:X}, beyond RAM"); continue; }
            uint mfn = (uint)target;
            if (_mmu.OwnerOf(mfn) != FrameOwner.Domain)
                Report(table, $"{Holder(t, (int)i)} maps mfn 0x{mfn:X}, which the domain does not own ({_mmu.OwnerOf(mfn)})");
            PageType refType = t switch
            {
                PageType.L1 => (e & PvMmu.RW) != 0 ? PageType.Writable : PageType.None,
                PageType.L3 => i == 3 ? PageType.L2Xen : PageType.L2,
                _ => PageType.L1,
            };
            Reference(mfn, table, refType, t, (int)i);
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
