using Emulator.Core.Memory;

namespace Emulator.Core.Cpu;

/// <summary>The outcome of one page walk: the frame and rights, or the #PF error code.</summary>
internal struct WalkResult
{
    /// <summary>Physical address of the 4 KiB frame holding the linear address.</summary>
    public uint Frame;
    /// <summary>TLB permission bits (see <see cref="Tlb.AllowBit"/>), write bits only if the page is known dirty.</summary>
    public byte Allow;
    public bool Global;
    public bool Large;
    /// <summary>#PF error code when the walk failed.</summary>
    public uint ErrorCode;
}

/// <summary>
/// The page walks of SDM Vol. 3 ch. 4: 32-bit paging (§4.3, with CR4.PSE 4 MiB pages; no PSE-36) and
/// PAE paging (§4.4, 4 KiB and 2 MiB pages, execute-disable with EFER.NXE). Page-table entries are
/// always read from memory (there is no paging-structure cache), so a changed PDE/PTE is seen by the
/// next walk; only the TLB can hold stale translations, as the SDM permits.
///
/// MAXPHYADDR is 32 (CPUID 80000008H reports it), so in PAE mode bits 62:32 of every entry are
/// reserved: an entry pointing above 4 GiB causes a reserved-bit #PF (or #GP on a PDPTE load)
/// instead of an access the emulator could not represent.
/// </summary>
public sealed partial class Mmu
{
    // Paging-structure entry bits (SDM Vol. 3 Tables 4-4..4-11).
    private const uint P = 1u << 0, RW = 1u << 1, US = 1u << 2, A = 1u << 5, D = 1u << 6, PS = 1u << 7, G = 1u << 8;
    private const ulong XD = 1ul << 63;

    /// <summary>32-bit paging 4 MiB PDE: bits 21:13 are reserved without PSE-36 (SDM §4.3, Table 4-4).</summary>
    private const uint Pde4MReserved = 0x003FE000;
    /// <summary>PAE entries: bits 62:MAXPHYADDR (=32) are reserved (SDM §4.4.2).</summary>
    private const ulong PaeHighReserved = 0x7FFF_FFFF_0000_0000ul;
    /// <summary>PAE 2 MiB PDE: bits 20:13 reserved (bit 12 is PAT).</summary>
    private const ulong Pde2MReserved = 0x001F_E000ul;
    /// <summary>PDPTE: bits 63:32 (MAXPHYADDR 32), 8:5 and 2:1 are reserved (SDM §4.4.1, Table 4-8).</summary>
    private const ulong PdpteReserved = 0xFFFF_FFFF_0000_0000ul | 0x1E6ul;

    // #PF error code bits (SDM Vol. 3 §4.7).
    public const uint PfPresent = 1, PfWrite = 2, PfUser = 4, PfReserved = 8, PfFetch = 16;

    /// <summary>The walk, its table reads kept out of the debugger's read watches (x86 data breakpoints never see page walks).</summary>
    private bool Walk(uint linear, AccessKind kind, bool user, bool commit, out WalkResult r)
    {
        var memory = _cpu.Memory;
        bool quiet = memory.QuietReads;
        memory.QuietReads = true;
        bool ok = WalkTables(linear, kind, user, commit, out r);
        memory.QuietReads = quiet;
        return ok;
    }

    /// <summary>
    /// Walks the paging structures for <paramref name="linear"/>. With <paramref name="commit"/> the
    /// Accessed flags of every entry used and, for a write, the Dirty flag of the final entry are
    /// set in memory — only when the access is allowed (a faulting walk writes nothing). Without it
    /// the walk has no side effects (Probe).
    /// </summary>
    private bool WalkTables(uint linear, AccessKind kind, bool user, bool commit, out WalkResult r)
    {
        r = default;
        PhysicalMemory mem = _cpu.Memory;
        uint cr4 = _cpu.Cr4;
        bool pae = (cr4 & Cpu.Cr4PAE) != 0;
        bool nxe = pae && (_cpu.Efer & Cpu.EferNXE) != 0;

        uint rights;            // R/W and U/S: AND of every level (SDM §4.6)
        bool noExec = false;    // XD: OR of every level (PAE with NXE only)
        uint finalAddr, finalLow, upperAddr = 0, upperLow = 0;
        bool hasUpper;
        uint globalBit;
        uint fault = 0;

        if (!pae)
        {
            uint pdeAddr = (_cpu.Cr3 & 0xFFFFF000u) | ((linear >> 20) & 0xFFCu);
            uint pde = mem.Read32(pdeAddr);
            if ((pde & P) == 0) return Fail(ref r, kind, user, 0, false);
            if ((pde & PS) != 0 && (cr4 & Cpu.Cr4PSE) != 0)
            {
                if ((pde & Pde4MReserved) != 0) return Fail(ref r, kind, user, PfPresent | PfReserved, false);
                rights = pde;
                r.Frame = (pde & 0xFFC00000u) | (linear & 0x003FF000u);
                r.Large = true;
                finalAddr = pdeAddr; finalLow = pde; hasUpper = false;
                globalBit = pde & G;
            }
            else
            {
                uint pteAddr = (pde & 0xFFFFF000u) | ((linear >> 10) & 0xFFCu);
                uint pte = mem.Read32(pteAddr);
                if ((pte & P) == 0) return Fail(ref r, kind, user, 0, false);
                rights = pde & pte;
                r.Frame = pte & 0xFFFFF000u;
                upperAddr = pdeAddr; upperLow = pde; hasUpper = true;
                finalAddr = pteAddr; finalLow = pte;
                globalBit = pte & G;
            }
        }
        else
        {
            // PDPTEs come from the registers loaded at the last CR3/CR0/CR4 load, not from memory (§4.4.1).
            ulong pdpte = _pdpte[linear >> 30];
            if ((pdpte & P) == 0) return Fail(ref r, kind, user, 0, nxe);
            ulong reserved = PaeHighReserved | (nxe ? 0 : XD);
            uint pdeAddr = ((uint)pdpte & 0xFFFFF000u) | ((linear >> 18) & 0xFF8u);
            ulong pde = mem.Read64(pdeAddr);
            if ((pde & P) == 0) return Fail(ref r, kind, user, 0, nxe);
            bool big = (pde & PS) != 0; // PS is always honoured in PAE paging
            if ((pde & (reserved | (big ? Pde2MReserved : 0))) != 0) return Fail(ref r, kind, user, PfPresent | PfReserved, nxe);
            noExec = nxe && (pde & XD) != 0;
            if (big)
            {
                rights = (uint)pde;
                r.Frame = ((uint)pde & 0xFFE00000u) | (linear & 0x001FF000u);
                r.Large = true;
                finalAddr = pdeAddr; finalLow = (uint)pde; hasUpper = false;
                globalBit = (uint)pde & G;
            }
            else
            {
                uint pteAddr = ((uint)pde & 0xFFFFF000u) | ((linear >> 9) & 0xFF8u);
                ulong pte = mem.Read64(pteAddr);
                if ((pte & P) == 0) return Fail(ref r, kind, user, 0, nxe);
                if ((pte & reserved) != 0) return Fail(ref r, kind, user, PfPresent | PfReserved, nxe);
                noExec |= nxe && (pte & XD) != 0;
                rights = (uint)pde & (uint)pte;
                r.Frame = (uint)pte & 0xFFFFF000u;
                upperAddr = pdeAddr; upperLow = (uint)pde; hasUpper = true;
                finalAddr = pteAddr; finalLow = (uint)pte;
                globalBit = (uint)pte & G;
            }
        }

        // Access rights (SDM §4.6, no SMEP/SMAP): supervisor reads always; supervisor writes unless
        // CR0.WP=1 and some level is read-only; user accesses need U/S=1 at every level and, for
        // writes, R/W=1 at every level; fetches need XD=0 at every level.
        bool writable = (rights & RW) != 0;
        bool userOk = (rights & US) != 0;
        bool wp = (_cpu.Cr0 & Cpu.Cr0WP) != 0;
        int allow = 1                                              // read, supervisor
                  | (userOk ? 2 : 0)                               // read, user
                  | (!wp || writable ? 4 : 0)                      // write, supervisor
                  | (userOk && writable ? 8 : 0)                   // write, user
                  | (!noExec ? 16 : 0)                             // fetch, supervisor
                  | (userOk && !noExec ? 32 : 0);                  // fetch, user
        if ((allow & Tlb.AllowBit(kind, user)) == 0) fault = PfPresent;
        if (fault != 0) return Fail(ref r, kind, user, fault, nxe);

        bool dirty = (finalLow & D) != 0;
        if (commit)
        {
            if (hasUpper && (upperLow & A) == 0) mem.WriteEntryFlags32(upperAddr, upperLow | A);
            uint want = finalLow | A | (kind == AccessKind.Write ? D : 0);
            if (want != finalLow) mem.WriteEntryFlags32(finalAddr, want);
            dirty |= kind == AccessKind.Write;
        }
        // Until the page is known dirty a write must walk again to set D.
        r.Allow = (byte)(dirty ? allow : allow & ~Tlb.AllowWriteMask);
        r.Global = globalBit != 0 && (cr4 & Cpu.Cr4PGE) != 0;
        return true;
    }

    /// <summary>Fills the #PF error code (SDM §4.7); I/D only for fetches with PAE and EFER.NXE (no SMEP).</summary>
    private static bool Fail(ref WalkResult r, AccessKind kind, bool user, uint bits, bool nxe)
    {
        if (kind == AccessKind.Write) bits |= PfWrite;
        if (user) bits |= PfUser;
        if (kind == AccessKind.Execute && nxe) bits |= PfFetch;
        r.ErrorCode = bits;
        return false;
    }

    /// <summary>
    /// Loads the four PDPTE registers from the PDPT at <paramref name="cr3"/> (SDM Vol. 3 §4.4.1).
    /// A present PDPTE with a reserved bit set raises #GP(0) and leaves the registers unchanged.
    /// </summary>
    public bool LoadPdptes(uint cr3)
    {
        uint b = cr3 & 0xFFFFFFE0u;
        ulong e0 = _cpu.Memory.Read64(b), e1 = _cpu.Memory.Read64(b + 8), e2 = _cpu.Memory.Read64(b + 16), e3 = _cpu.Memory.Read64(b + 24);
        if (BadPdpte(e0) || BadPdpte(e1) || BadPdpte(e2) || BadPdpte(e3))
        {
            _cpu.RaiseGP(0);
            return false;
        }
        _pdpte[0] = e0; _pdpte[1] = e1; _pdpte[2] = e2; _pdpte[3] = e3;
        return true;
    }

    /// <summary>Loads the PDPTE registers from the PDPT at the current CR3.</summary>
    public bool LoadPdptes() => LoadPdptes(_cpu.Cr3);

    private static bool BadPdpte(ulong e) => (e & P) != 0 && (e & PdpteReserved) != 0;

    /// <summary>The PDPTE registers (PAE paging), for the debugger and tests.</summary>
    public ulong GetPdpte(int index) => _pdpte[index & 3];
}
