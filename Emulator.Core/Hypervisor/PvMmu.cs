using Emulator.Core.Memory;
using Emulator.Core.Timing;
using Emulator.Core.Tracing;
using static Emulator.Core.Hypervisor.XenAbi;

namespace Emulator.Core.Hypervisor;

/// <summary>
/// The paravirtualized MMU (XEN-ABI.md §6, the security heart): per machine frame an owner, a
/// general reference count, a type with its own type count, and a pinned bit. Page-table frames are
/// validated entry by entry when they first take a page-table type; every later change goes
/// through <see cref="UpdateEntry"/>, which takes the new entry's references before dropping the old
/// one's. The invariants that follow: a frame typed as a page table is never mapped writable
/// (-EBUSY), a writably mapped frame never becomes a page table (-EINVAL), and a domain maps only
/// frames it owns.
///
/// Where we are stricter than Xen (documented choices): an L3 entry may carry only P and the AVL
/// bits (our CPU loads PDPTEs itself, and RW/US/A/D are reserved in a PDPTE); no linear
/// (self-referencing) page tables at any level; vm_assist writable_pagetables is not offered.
/// All return values are 0 or -errno.
/// </summary>
public sealed class PvMmu
{
    public const ulong P = 1, RW = 2, US = 4, PWT = 8, PCD = 0x10, A = 0x20, D = 0x40, PSE = 0x80, G = 0x100,
        Avl = 0xE00, NX = 1ul << 63;
    public const ulong AddressMask = 0x000F_FFFF_FFFF_F000ul;
    // The flags an entry may carry at each level (XEN-ABI.md §6 "Flag checks", with our stricter L3).
    public const ulong L1Allowed = P | RW | US | A | D | G | Avl | NX;
    public const ulong L2Allowed = P | RW | US | A | D | Avl | NX;
    public const ulong L3Allowed = P | Avl;
    /// <summary>First slot of an L2Xen that belongs to the hypervisor: VA 0xF5800000 within the top GiB.</summary>
    public const int XenL2FirstSlot = (int)((HypervisorVirtStart - 0xC0000000u) >> 21);

    private readonly PhysicalMemory _mem;
    private readonly Cpu.Cpu _cpu;
    private readonly VirtualClock _clock;
    private readonly FrameOwner[] _owner;
    private readonly PageType[] _type;
    private readonly int[] _typeCount;
    private readonly int[] _refCount;
    private readonly bool[] _pinned;
    private readonly bool[] _noPageTable;
    private bool _writableDropped;

    /// <summary>The hypervisor's L2 entries for slots <see cref="XenL2FirstSlot"/>..511 of every L2Xen.</summary>
    public readonly ulong[] XenL2Entries = new ulong[512 - XenL2FirstSlot];

    /// <summary>Records validated entry updates and base-pointer loads; null when nothing records.</summary>
    public Tracer? Tracer;

    /// <summary>Machine frames in the machine.</summary>
    public uint FrameCount { get; }
    /// <summary>The frame CR3 points at (holding an L3 type reference), or uint.MaxValue before the first base pointer.</summary>
    public uint BaseMfn { get; private set; } = uint.MaxValue;

    public PvMmu(PhysicalMemory memory, Cpu.Cpu cpu, VirtualClock clock)
    {
        _mem = memory;
        _cpu = cpu;
        _clock = clock;
        FrameCount = memory.RamSize >> 12;
        _owner = new FrameOwner[FrameCount];
        _type = new PageType[FrameCount];
        _typeCount = new int[FrameCount];
        _refCount = new int[FrameCount];
        _pinned = new bool[FrameCount];
        _noPageTable = new bool[FrameCount];
    }

    /// <summary>Every frame's owner, type, counts and flags, the Xen L2 entries and the base pointer (the hypervisor's snapshot section).</summary>
    internal void SaveState(Snapshots.SnapshotWriter w)
    {
        w.WriteUInt32(FrameCount);
        w.WriteBytes(System.Runtime.InteropServices.MemoryMarshal.AsBytes(_owner.AsSpan()));
        w.WriteBytes(System.Runtime.InteropServices.MemoryMarshal.AsBytes(_type.AsSpan()));
        w.WriteBytes(System.Runtime.InteropServices.MemoryMarshal.AsBytes(_typeCount.AsSpan()));
        w.WriteBytes(System.Runtime.InteropServices.MemoryMarshal.AsBytes(_refCount.AsSpan()));
        w.WriteBytes(System.Runtime.InteropServices.MemoryMarshal.AsBytes(_pinned.AsSpan()));
        w.WriteBytes(System.Runtime.InteropServices.MemoryMarshal.AsBytes(_noPageTable.AsSpan()));
        w.WriteBool(_writableDropped);
        w.WriteBytes(System.Runtime.InteropServices.MemoryMarshal.AsBytes(XenL2Entries.AsSpan()));
        w.WriteUInt32(BaseMfn);
    }

    internal void LoadState(Snapshots.SnapshotReader r)
    {
        uint frames = r.ReadUInt32();
        if (frames != FrameCount)
            throw new Snapshots.SnapshotFormatException($"the snapshot's hypervisor manages {frames} frames, this one {FrameCount}");
        r.ReadBytes(System.Runtime.InteropServices.MemoryMarshal.AsBytes(_owner.AsSpan()));
        r.ReadBytes(System.Runtime.InteropServices.MemoryMarshal.AsBytes(_type.AsSpan()));
        r.ReadBytes(System.Runtime.InteropServices.MemoryMarshal.AsBytes(_typeCount.AsSpan()));
        r.ReadBytes(System.Runtime.InteropServices.MemoryMarshal.AsBytes(_refCount.AsSpan()));
        r.ReadBytes(System.Runtime.InteropServices.MemoryMarshal.AsBytes(_pinned.AsSpan()));
        r.ReadBytes(System.Runtime.InteropServices.MemoryMarshal.AsBytes(_noPageTable.AsSpan()));
        // A hand-made snapshot must not smuggle in values no code path expects.
        Snapshots.SnapshotReader.ExpectAtMost(System.Runtime.InteropServices.MemoryMarshal.AsBytes(_owner.AsSpan()), (byte)FrameOwner.Domain, "frame owner");
        Snapshots.SnapshotReader.ExpectAtMost(System.Runtime.InteropServices.MemoryMarshal.AsBytes(_type.AsSpan()), (byte)PageType.SegDesc, "page type");
        Snapshots.SnapshotReader.ExpectAtMost(System.Runtime.InteropServices.MemoryMarshal.AsBytes(_pinned.AsSpan()), 1, "pin flag");
        Snapshots.SnapshotReader.ExpectAtMost(System.Runtime.InteropServices.MemoryMarshal.AsBytes(_noPageTable.AsSpan()), 1, "page-table flag");
        _writableDropped = r.ReadBool();
        r.ReadBytes(System.Runtime.InteropServices.MemoryMarshal.AsBytes(XenL2Entries.AsSpan()));
        BaseMfn = r.ReadUInt32();
    }

    public void SetOwner(uint mfn, FrameOwner owner) => _owner[mfn] = owner;
    /// <summary>A frame the domain may map but never use as a page table (shared_info).</summary>
    public void ForbidPageTable(uint mfn) => _noPageTable[mfn] = true;

    public FrameOwner OwnerOf(uint mfn) => mfn < FrameCount ? _owner[mfn] : FrameOwner.None;
    public PageType TypeOf(uint mfn) => _typeCount[mfn] > 0 ? _type[mfn] : PageType.None;
    public int TypeCountOf(uint mfn) => _typeCount[mfn];
    public int RefCountOf(uint mfn) => _refCount[mfn];
    public bool IsPinned(uint mfn) => _pinned[mfn];

    private bool OwnedByDomain(uint mfn) => mfn < FrameCount && _owner[mfn] == FrameOwner.Domain;
    private static bool IsPageTable(PageType t) => t is PageType.L1 or PageType.L2 or PageType.L2Xen or PageType.L3;

    // ---- Type references -------------------------------------------------------------------

    /// <summary>Takes a type reference of type <paramref name="t"/>, validating the frame if it is a page table new to that type.</summary>
    public int GetPageType(uint mfn, PageType t)
    {
        if (_typeCount[mfn] > 0)
        {
            if (_type[mfn] == t) { _typeCount[mfn]++; return 0; }
            // A page table (or descriptor table) asked to be writable: Xen's -EBUSY. Anything else: -EINVAL.
            return t == PageType.Writable ? -EBUSY : -EINVAL;
        }
        if (IsPageTable(t))
        {
            if (_noPageTable[mfn]) return -EINVAL;
            // A writable mapping of this frame may still sit in the TLB: flush before it becomes a page table.
            if (_writableDropped) { _cpu.Mmu.FlushAll(); _writableDropped = false; }
            _type[mfn] = t;
            _typeCount[mfn] = 1;
            int rc = Validate(mfn, t);
            if (rc < 0) { _typeCount[mfn] = 0; _type[mfn] = PageType.None; }
            return rc;
        }
        _type[mfn] = t;
        _typeCount[mfn] = 1;
        return 0;
    }

    /// <summary>Drops a type reference; the last one of a page-table type drops the references its entries hold.</summary>
    public void PutPageType(uint mfn)
    {
        if (_typeCount[mfn] == 0) return;
        if (--_typeCount[mfn] > 0) return;
        PageType t = _type[mfn];
        if (IsPageTable(t)) Devalidate(mfn, t);
        else if (t == PageType.Writable) _writableDropped = true;
        _type[mfn] = PageType.None;
    }

    // ---- Validation ------------------------------------------------------------------------

    private static PageType EntryLevel(PageType tableType) => tableType == PageType.L2Xen ? PageType.L2 : tableType;

    private int GuestSlots(PageType t) => t switch
    {
        PageType.L3 => 4,
        PageType.L2Xen => XenL2FirstSlot,
        _ => 512,
    };

    private int Validate(uint mfn, PageType t)
    {
        uint table = mfn << 12;
        if (t == PageType.L3)
        {
            // Only 4 PDPTEs exist; Xen zeroes the rest of the page. Slot 3 must be present (it carries Xen's mappings).
            if ((_mem.Read64(table + 24) & P) == 0) return -EINVAL;
            for (uint i = 4; i < 512; i++) _mem.Write64(table + i * 8, 0);
        }
        PageType level = EntryLevel(t);
        int slots = GuestSlots(t);
        for (int i = 0; i < slots; i++)
        {
            int rc = GetEntryRef(level, _mem.Read64(table + (uint)i * 8), i);
            if (rc < 0)
            {
                for (int j = 0; j < i; j++) PutEntryRef(level, _mem.Read64(table + (uint)j * 8));
                return rc;
            }
        }
        if (t == PageType.L2Xen)
            for (int i = XenL2FirstSlot; i < 512; i++) _mem.Write64(table + (uint)i * 8, XenL2Entries[i - XenL2FirstSlot]);
        return 0;
    }

    private void Devalidate(uint mfn, PageType t)
    {
        uint table = mfn << 12;
        PageType level = EntryLevel(t);
        int slots = GuestSlots(t);
        for (int i = 0; i < slots; i++) PutEntryRef(level, _mem.Read64(table + (uint)i * 8));
        if (t == PageType.L2Xen)
            for (int i = XenL2FirstSlot; i < 512; i++) _mem.Write64(table + (uint)i * 8, 0);
        if (mfn == BaseMfn) BaseMfn = uint.MaxValue; // cannot happen: CR3 holds a reference
    }

    /// <summary>The flag check of one entry at a level: 0 or -EINVAL.</summary>
    private static int CheckFlags(PageType level, ulong e)
    {
        ulong flags = e & ~AddressMask;
        ulong allowed = level switch { PageType.L1 => L1Allowed, PageType.L2 => L2Allowed, _ => L3Allowed };
        return (flags & ~allowed) != 0 ? -EINVAL : 0;
    }

    /// <summary>Takes the references a present entry at <paramref name="level"/> holds on its target (XEN-ABI.md §6).</summary>
    private int GetEntryRef(PageType level, ulong e, int slot)
    {
        if ((e & P) == 0) return 0;
        int rc = CheckFlags(level, e);
        if (rc < 0) return rc;
        ulong target = (e & AddressMask) >> 12;
        // Not RAM (beyond the machine): an I/O mapping the domain has no permission for.
        if (target >= FrameCount) return level == PageType.L1 ? -EPERM : -EINVAL;
        uint mfn = (uint)target;
        if (!OwnedByDomain(mfn)) return -EINVAL;
        _clock.Now += HypervisorCosts.ValidatedEntry;
        switch (level)
        {
            case PageType.L1:
                if ((e & RW) != 0 && (rc = GetPageType(mfn, PageType.Writable)) < 0) return rc;
                break;
            case PageType.L2:
                if ((rc = GetPageType(mfn, PageType.L1)) < 0) return rc;
                break;
            default:
                if (slot == 3)
                {
                    if ((rc = GetPageType(mfn, PageType.L2Xen)) < 0) return rc;
                    // A pae_xen_l2 may not be shared with another L3 (or appear twice).
                    if (_typeCount[mfn] > 1) { PutPageType(mfn); return -EINVAL; }
                }
                else if ((rc = GetPageType(mfn, PageType.L2)) < 0) return rc;
                break;
        }
        _refCount[mfn]++;
        return 0;
    }

    private void PutEntryRef(PageType level, ulong e)
    {
        if ((e & P) == 0) return;
        uint mfn = (uint)((e & AddressMask) >> 12);
        _refCount[mfn]--;
        if (level != PageType.L1 || (e & RW) != 0) PutPageType(mfn);
    }

    // ---- Update paths ----------------------------------------------------------------------

    /// <summary>mmu_update MMU_NORMAL_PT_UPDATE / PRESERVE_AD: a checked store of <paramref name="val"/> at machine address <paramref name="ptr"/>.</summary>
    public int UpdateEntry(ulong ptr, ulong val, bool preserveAd)
    {
        ulong ma = ptr & ~7ul;
        if ((ma >> 12) >= FrameCount) return -EINVAL;
        uint mfn = (uint)(ma >> 12);
        if (!OwnedByDomain(mfn)) return -EINVAL;
        if (_typeCount[mfn] > 0 && IsPageTable(_type[mfn]))
            return UpdateTableEntry(mfn, (int)((ma & 0xFFF) >> 3), _type[mfn], val, preserveAd, "mmu_update");
        // Not a page table: a plain store, allowed while the frame may be writable.
        int rc = GetPageType(mfn, PageType.Writable);
        if (rc < 0) return rc;
        _mem.Write64((uint)ma, val);
        PutPageType(mfn);
        return 0;
    }

    private int UpdateTableEntry(uint mfn, int index, PageType t, ulong val, bool preserveAd, string via)
    {
        uint ma = (mfn << 12) + (uint)index * 8;
        ulong old = _mem.Read64(ma);
        if (preserveAd) val |= old & (A | D);
        // Xen's mod_l2_entry: the hypervisor's slots of a pae_xen_l2 are not the guest's (-EPERM).
        if (t == PageType.L2Xen && index >= XenL2FirstSlot) return -EPERM;
        // Xen's mod_l3_entry: for PV32 slot 3 (it carries Xen's mappings) and above are never updated (-EINVAL).
        if (t == PageType.L3 && index >= 3) return -EINVAL;
        PageType level = EntryLevel(t);
        int rc;
        bool sameTarget = (old & P) != 0 && (val & P) != 0 && (old & AddressMask) == (val & AddressMask)
            && (level != PageType.L1 || ((old ^ val) & RW) == 0);
        if (sameTarget)
        {
            // Same frame, same kind of reference: only the flags change (this also keeps an L2Xen unshared).
            if ((rc = CheckFlags(level, val)) < 0) return rc;
            _mem.Write64(ma, val);
        }
        else
        {
            if ((rc = GetEntryRef(level, val, index)) < 0) return rc;
            _mem.Write64(ma, val);
            PutEntryRef(level, old);
        }
        if (Tracer is { Detailed: true } tr)
            tr.Emit(new PageTableEvent(tr.Now, ma, t == PageType.L2Xen ? "L2" : t.ToString(), old, val, via));
        if (t == PageType.L3 && mfn == BaseMfn) ReloadBase();
        return 0;
    }

    /// <summary>update_va_mapping: the checked update of the L1 entry that maps <paramref name="va"/> in the current tables.</summary>
    public int UpdateVaMapping(uint va, ulong val)
    {
        if (va >= HypervisorVirtStart || BaseMfn == uint.MaxValue) return -EINVAL;
        ulong l3e = _mem.Read64((BaseMfn << 12) + (va >> 30) * 8);
        if ((l3e & P) == 0) return -EINVAL;
        ulong l2e = _mem.Read64((uint)(l3e & AddressMask) + ((va >> 21) & 511) * 8);
        if ((l2e & P) == 0 || (l2e & PSE) != 0) return -EINVAL;
        uint l1 = (uint)((l2e & AddressMask) >> 12);
        if (l1 >= FrameCount || _typeCount[l1] == 0 || _type[l1] != PageType.L1) return -EINVAL;
        return UpdateTableEntry(l1, (int)((va >> 12) & 511), PageType.L1, val, preserveAd: false, "update_va_mapping");
    }

    // ---- Pinning and the base pointer -------------------------------------------------------

    public int Pin(uint mfn, PageType t)
    {
        if (!OwnedByDomain(mfn)) return -EINVAL;
        if (_pinned[mfn]) return -EINVAL;
        int rc = GetPageType(mfn, t);
        if (rc < 0) return rc;
        _pinned[mfn] = true;
        _refCount[mfn]++;
        return 0;
    }

    public int Unpin(uint mfn)
    {
        if (!OwnedByDomain(mfn) || !_pinned[mfn]) return -EINVAL;
        _pinned[mfn] = false;
        _refCount[mfn]--;
        PutPageType(mfn);
        return 0;
    }

    /// <summary>MMUEXT_NEW_BASEPTR: CR3 onto an L3, which takes (validating if needed) an L3 type reference.</summary>
    public int NewBaseptr(uint mfn)
    {
        if (!OwnedByDomain(mfn)) return -EINVAL;
        int rc = GetPageType(mfn, PageType.L3);
        if (rc < 0) return rc;
        _refCount[mfn]++;
        uint old = BaseMfn;
        BaseMfn = mfn;
        ReloadBase();
        if (Tracer is { Detailed: true } tr) tr.Emit(new Cr3Event(tr.Now, mfn << 12, "new_baseptr"));
        if (old != uint.MaxValue)
        {
            _refCount[old]--;
            PutPageType(old);
        }
        return 0;
    }

    /// <summary>Loads CR3 and the PDPTE registers from the current base (the L3 is validated, so the load cannot fault).</summary>
    private void ReloadBase()
    {
        _cpu.Cr3 = BaseMfn << 12;
        if (_cpu.PagingEnabled)
        {
            _cpu.Mmu.LoadPdptes();
            _cpu.Faulted = false;
        }
        _cpu.Mmu.FlushAll();
    }
}
