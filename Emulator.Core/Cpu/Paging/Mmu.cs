using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace Emulator.Core.Cpu;

/// <summary>
/// Linear-to-physical translation (SDM Vol. 3 ch. 4): 32-bit paging with PSE 4 MiB pages and PAE
/// paging with 2 MiB pages and NX, behind a software TLB (<see cref="Tlb"/>).
///
/// Flush contract (SDM §4.10.4): a CR3 load calls <see cref="FlushNonGlobal"/>; INVLPG calls
/// <see cref="FlushPage"/>; changes to CR0.PG, CR0.WP, CR4.PSE/PAE/PGE and EFER.NXE call
/// <see cref="FlushAll"/> (the TLB caches permissions computed under those settings). Code that
/// pokes the control registers directly (tests, loaders) must flush too, and in PAE mode call
/// <see cref="LoadPdptes()"/> after setting CR3 — as MOV CR3 does.
///
/// Until a flush, a cached translation is used even if the guest has changed the page tables —
/// that staleness is architectural. A #PF drops the faulting page's entry (SDM §4.10.4.1).
/// </summary>
public sealed partial class Mmu
{
    private readonly Cpu _cpu;
    private readonly Tlb _tlb = new();
    /// <summary>The TLB's entry array, held here so a hit costs no extra indirection.</summary>
    private readonly TlbEntry[] _entries;
    private readonly ulong[] _pdpte = new ulong[4];

    public Mmu(Cpu cpu)
    {
        _cpu = cpu;
        _entries = _tlb.Entries;
    }

    /// <summary>
    /// Changes whenever a cached translation may no longer hold: any flush, a dropped entry, an A20
    /// change. The CPU's fetch fast path keeps the current code page's translation while it is unchanged.
    /// </summary>
    public uint Epoch;

    /// <summary>Forgets translations cached outside the TLB (the A20 gate changed).</summary>
    public void InvalidateCachedTranslations() => Epoch++;

    /// <summary>
    /// Translates <paramref name="linear"/> for an access at supervisor (<paramref name="user"/> false)
    /// or user privilege. On failure raises #PF (CR2 = linear, SDM error code) and returns false.
    /// Sets Accessed/Dirty bits as the SDM requires. Never allocates.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public bool Translate(uint linear, AccessKind kind, bool user, out uint physical)
    {
        if ((_cpu.Cr0 & Cpu.Cr0PG) == 0) { physical = linear & _cpu.Memory.A20Mask; return true; }
        ref TlbEntry e = ref Unsafe.Add(ref MemoryMarshal.GetArrayDataReference(_entries), (int)((linear >> 12) & Tlb.IndexMask));
        if (e.Tag == ((linear & ~0xFFFu) | TlbEntry.Valid) && (e.Allow & Tlb.AllowBit(kind, user)) != 0)
        {
            physical = (e.Frame | (linear & 0xFFFu)) & _cpu.Memory.A20Mask;
            return true;
        }
        return TranslateSlow(linear, kind, user, out physical);
    }

    /// <summary>TLB miss, or a cached entry that does not grant this access (yet): walk the tables.</summary>
    private bool TranslateSlow(uint linear, AccessKind kind, bool user, out uint physical)
    {
        if (!Walk(linear, kind, user, commit: true, out WalkResult r))
        {
            _tlb.Drop(linear);
            Epoch++;
            physical = 0;
            if (!_cpu.Faulted)
            {
                _cpu.Cr2 = linear;
                _cpu.RaiseFault(Vector.PF, r.ErrorCode);
            }
            return false;
        }
        _tlb.Fill(linear, r.Frame, r.Allow, r.Global, r.Large);
        physical = (r.Frame | (linear & 0xFFFu)) & _cpu.Memory.A20Mask;
        return true;
    }

    /// <summary>
    /// Translation without side effects or faults (debugger, logs), with supervisor rights for
    /// <paramref name="kind"/>. Uses a cached translation when the TLB holds one (what the CPU would
    /// use), else walks the tables without setting Accessed/Dirty bits.
    /// </summary>
    public bool Probe(uint linear, out uint physical, AccessKind kind = AccessKind.Read)
    {
        if ((_cpu.Cr0 & Cpu.Cr0PG) == 0) { physical = linear & _cpu.Memory.A20Mask; return true; }
        ref TlbEntry e = ref _tlb.EntryFor(linear);
        if (e.Tag == ((linear & ~0xFFFu) | TlbEntry.Valid) && (e.Allow & Tlb.AllowBit(kind, false)) != 0)
        {
            physical = (e.Frame | (linear & 0xFFFu)) & _cpu.Memory.A20Mask;
            return true;
        }
        if (!Walk(linear, kind, false, commit: false, out WalkResult r))
        {
            physical = 0;
            return false;
        }
        physical = (r.Frame | (linear & 0xFFFu)) & _cpu.Memory.A20Mask;
        return true;
    }

    /// <summary>Whether the TLB holds a translation of <paramref name="linear"/>'s page (fuzzing and tests).</summary>
    internal bool Caches(uint linear) => _tlb.Caches(linear);

    /// <summary>Valid non-global TLB entries (fuzzing and tests: none right after a CR3 load).</summary>
    internal int NonGlobalEntries() => _tlb.NonGlobalEntries();

    /// <summary>Drops every TLB entry (including global ones).</summary>
    public void FlushAll()
    {
        _tlb.FlushAll();
        Epoch++;
    }

    /// <summary>The reset state: empty TLB and no PDPTEs loaded.</summary>
    public void Reset()
    {
        _tlb.FlushAll();
        Epoch++;
        Array.Clear(_pdpte);
    }

    /// <summary>Drops non-global TLB entries (a CR3 load).</summary>
    public void FlushNonGlobal()
    {
        _tlb.FlushNonGlobal();
        Epoch++;
    }

    /// <summary>Drops the translation of one linear page, global or not, and the whole large page containing it (INVLPG).</summary>
    public void FlushPage(uint linear)
    {
        _tlb.FlushPage(linear, (_cpu.Cr4 & Cpu.Cr4PAE) != 0 ? 0x1FFFFFu : 0x3FFFFFu);
        Epoch++;
    }
}
