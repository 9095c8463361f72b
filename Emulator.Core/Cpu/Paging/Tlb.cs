using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace Emulator.Core.Cpu;

/// <summary>
/// One cached translation of a 4 KiB linear page. Large (2/4 MiB) pages are cached one 4 KiB piece
/// at a time; <see cref="FlagLarge"/> lets INVLPG find every piece of the large page it drops.
/// </summary>
internal struct TlbEntry
{
    /// <summary>Linear page address | <see cref="Valid"/>; 0 when empty.</summary>
    public uint Tag;
    /// <summary>Physical address of the 4 KiB frame.</summary>
    public uint Frame;
    /// <summary>One bit per (access kind, user) pair that may use this entry without a walk; see <see cref="Tlb.AllowBit"/>.</summary>
    public byte Allow;
    public byte Flags;

    public const uint Valid = 1;
    public const byte FlagGlobal = 1, FlagLarge = 2;
}

/// <summary>
/// A direct-mapped software TLB indexed by linear address bits 12..23. Permission checks are
/// precomputed at fill time into <see cref="TlbEntry.Allow"/>, so a hit costs one tag compare and one
/// bit test. Write bits are only granted once the final entry's Dirty flag is known to be set (it was
/// set in memory, or the filling walk set it), so the first write to a page always walks and sets D
/// (SDM Vol. 3 §4.8) even when a read cached the translation.
/// Mode-dependent inputs (CR0.WP, CR4.PSE/PAE/PGE, EFER.NXE, CR0.PG) are baked into entries: whoever
/// changes them must flush everything.
/// </summary>
internal sealed class Tlb
{
    public const int IndexBits = 12;
    public const int Size = 1 << IndexBits;
    public const uint IndexMask = Size - 1;

    public readonly TlbEntry[] Entries = new TlbEntry[Size];
    /// <summary>True once a global entry has been filled since the last full flush (CR3 loads then must scan).</summary>
    private bool _haveGlobal;
    /// <summary>True once a large-page entry has been filled since the last full flush (INVLPG then must scan).</summary>
    private bool _haveLarge;

    /// <summary>Bit for an access in <see cref="TlbEntry.Allow"/>: bits 0/1 read S/U, 2/3 write S/U, 4/5 execute S/U.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static int AllowBit(AccessKind kind, bool user) => 1 << (((int)kind << 1) | (user ? 1 : 0));

    public const byte AllowWriteMask = 0b0000_1100;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public ref TlbEntry EntryFor(uint linear) =>
        ref Unsafe.Add(ref MemoryMarshal.GetArrayDataReference(Entries), (int)((linear >> 12) & IndexMask));

    public void Fill(uint linear, uint frame, byte allow, bool global, bool large)
    {
        ref TlbEntry e = ref EntryFor(linear);
        e.Tag = (linear & ~0xFFFu) | TlbEntry.Valid;
        e.Frame = frame;
        e.Allow = allow;
        e.Flags = (byte)((global ? TlbEntry.FlagGlobal : 0) | (large ? TlbEntry.FlagLarge : 0));
        _haveGlobal |= global;
        _haveLarge |= large;
    }

    /// <summary>Valid entries only (most of a TLB is empty), then the scan hints.</summary>
    public void SaveState(Snapshots.SnapshotWriter w)
    {
        int valid = 0;
        foreach (var e in Entries) if (e.Tag != 0) valid++;
        w.WriteInt32(valid);
        for (int k = 0; k < Entries.Length; k++)
        {
            if (Entries[k].Tag == 0) continue;
            w.WriteUInt32(Entries[k].Tag);
            w.WriteUInt32(Entries[k].Frame);
            w.WriteByte(Entries[k].Allow);
            w.WriteByte(Entries[k].Flags);
        }
        w.WriteBool(_haveGlobal);
        w.WriteBool(_haveLarge);
    }

    public void LoadState(Snapshots.SnapshotReader r)
    {
        Array.Clear(Entries);
        int valid = r.ReadInt32(0, Size);
        for (int n = 0; n < valid; n++)
        {
            uint tag = r.ReadUInt32();
            ref TlbEntry e = ref EntryFor(tag);
            e.Tag = tag;
            e.Frame = r.ReadUInt32();
            e.Allow = r.ReadByte();
            e.Flags = r.ReadByte();
        }
        _haveGlobal = r.ReadBool();
        _haveLarge = r.ReadBool();
    }

    public void FlushAll()
    {
        Array.Clear(Entries);
        _haveGlobal = false;
        _haveLarge = false;
    }

    public void FlushNonGlobal()
    {
        if (!_haveGlobal) { FlushAll(); return; }
        var entries = Entries;
        for (int k = 0; k < entries.Length; k++)
            if ((entries[k].Flags & TlbEntry.FlagGlobal) == 0) entries[k].Tag = 0;
    }

    /// <summary>
    /// Drops the translation of one linear page, global or not (INVLPG). If the page belonged to a
    /// large page, every cached piece of that large page goes too (SDM Vol. 3 §4.10.4.1: INVLPG
    /// invalidates the whole large-page translation). <paramref name="largePageMask"/> is the
    /// large-page size minus one in the current paging mode.
    /// </summary>
    public void FlushPage(uint linear, uint largePageMask)
    {
        ref TlbEntry e = ref EntryFor(linear);
        if ((e.Tag & ~0xFFFu) == (linear & ~0xFFFu)) e.Tag = 0;
        if (!_haveLarge) return;
        uint region = linear & ~largePageMask;
        var entries = Entries;
        for (int k = 0; k < entries.Length; k++)
        {
            if (entries[k].Tag != 0 && (entries[k].Flags & TlbEntry.FlagLarge) != 0 && (entries[k].Tag & ~largePageMask) == region)
                entries[k].Tag = 0;
        }
    }

    /// <summary>Whether a translation of <paramref name="linear"/>'s page is cached (checks and tests).</summary>
    public bool Caches(uint linear)
    {
        ref TlbEntry e = ref EntryFor(linear);
        return (e.Tag & TlbEntry.Valid) != 0 && (e.Tag & ~0xFFFu) == (linear & ~0xFFFu);
    }

    /// <summary>How many valid non-global entries are cached (after a CR3 load: none).</summary>
    public int NonGlobalEntries()
    {
        int n = 0;
        foreach (var e in Entries)
            if ((e.Tag & TlbEntry.Valid) != 0 && (e.Flags & TlbEntry.FlagGlobal) == 0) n++;
        return n;
    }

    /// <summary>Drops the entry for <paramref name="linear"/> only if it caches that very page (after a #PF, SDM §4.10.4.1).</summary>
    public void Drop(uint linear)
    {
        ref TlbEntry e = ref EntryFor(linear);
        if ((e.Tag & ~0xFFFu) == (linear & ~0xFFFu)) e.Tag = 0;
    }
}
