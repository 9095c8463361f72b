using Emulator.Core.Cpu;
using Emulator.Core.Hypervisor;

namespace Emulator.Core.Fuzzing;

/// <summary>
/// Keeps the hostile guest able to pass arguments. Fuzzed calls may switch CR3 to a table that does
/// not map the guest's argument buffers, or remap or unmap them; from then on every call would fail
/// with -EFAULT and the campaign would only test one error path. So after each call the keeper
/// checks that the argument area still translates, writable, to its own frames and otherwise puts
/// the bootstrap mapping back as the guest would, only through the PV MMU's checked paths
/// (NEW_BASEPTR, entry updates that are validated on page tables and plain stores elsewhere):
/// nothing is written behind the hypervisor's back, so the audit still judges the hypervisor alone.
/// </summary>
public sealed class ArgumentAreaKeeper
{
    private readonly XenHypervisor _hv;
    private readonly Cpu.Cpu _cpu;
    private readonly uint _l3;
    private readonly ulong[] _l3Entries = new ulong[4];
    /// <summary>Machine address and bootstrap value of each entry on the way to each page of the area (L3, L2, L1), outermost first.</summary>
    private readonly List<(uint Ma, ulong Value)> _entries = new();
    private readonly uint _start, _pages;

    public ArgumentAreaKeeper(XenHypervisor hv, Cpu.Cpu cpu, XenDomainInfo info, uint start, uint bytes)
    {
        _hv = hv;
        _cpu = cpu;
        _l3 = info.L3Mfn;
        _start = start;
        _pages = bytes >> 12;
        var mem = hv.Memory;
        for (uint i = 0; i < 4; i++) _l3Entries[i] = mem.Read64((_l3 << 12) + i * 8);
        var seen = new HashSet<uint>();
        for (uint p = 0; p < _pages; p++)
        {
            uint va = start + p * 4096;
            uint l3ma = (_l3 << 12) + (va >> 30) * 8;
            ulong l3e = mem.Read64(l3ma);
            uint l2ma = (uint)(l3e & PvMmu.AddressMask) + ((va >> 21) & 511) * 8;
            ulong l2e = mem.Read64(l2ma);
            uint l1ma = (uint)(l2e & PvMmu.AddressMask) + ((va >> 12) & 511) * 8;
            foreach (var (ma, value) in new[] { (l3ma, l3e), (l2ma, l2e), (l1ma, mem.Read64(l1ma)) })
                if (seen.Add(ma)) _entries.Add((ma, value));
        }
    }

    /// <summary>Repairs made so far, and checks after which the area still could not be used.</summary>
    public long Repairs { get; private set; }
    public long Unrepaired { get; private set; }

    private bool Intact()
    {
        for (uint p = 0; p < _pages; p++)
        {
            uint va = _start + p * 4096;
            if (!_cpu.Mmu.Probe(va, out uint pa, AccessKind.Write) || pa >> 12 != _hv.P2m[va >> 12]) return false;
        }
        return true;
    }

    /// <summary>Checks the area and repairs it if needed; false when it is still unusable.</summary>
    public bool Keep()
    {
        if (_hv.Mmu.BaseMfn == _l3 && Intact()) return true;
        Repairs++;
        var mmu = _hv.Mmu;
        if (mmu.BaseMfn != _l3 && mmu.NewBaseptr(_l3) < 0)
        {
            // The bootstrap L3 no longer validates: put its entries back (plain stores while it has no type).
            for (uint i = 0; i < 4; i++) mmu.UpdateEntry(((ulong)_l3 << 12) + i * 8, _l3Entries[i], preserveAd: false);
            mmu.NewBaseptr(_l3);
        }
        foreach (var (ma, value) in _entries)
            if (_hv.Memory.Read64(ma) != value) mmu.UpdateEntry(ma, value, preserveAd: false);
        _cpu.Mmu.FlushAll(); // as the guest would after changing its own mappings
        if (mmu.BaseMfn == _l3 && Intact()) return true;
        Unrepaired++;
        return false;
    }
}
