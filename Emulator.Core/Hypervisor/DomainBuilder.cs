using Emulator.Core.Loading;
using Serilog;
using static Emulator.Core.Hypervisor.XenAbi;

namespace Emulator.Core.Hypervisor;

/// <summary>What the domain builder laid out, in guest virtual addresses.</summary>
public sealed record XenDomainInfo(XenNotes Notes, uint VirtStart, uint VirtEnd, uint P2mVa, uint StartInfoVa, uint PageTablesVa,
    uint PageTableFrames, uint StackTop, uint L3Mfn);

/// <summary>
/// The PV domain builder (XEN-ABI.md §4 "PV32 entry state"): loads the kernel at its virtual
/// addresses, then, in this order after it, the P2M list, start_info, the bootstrap page tables
/// (mapped read-only) and a one-page stack; everything from VIRT_BASE up to at least 512 KiB past
/// the stack, rounded up to 4 MiB, is mapped (pseudo-physical frame = (va - VIRT_BASE) / 4096).
/// The hypercall page is filled at the HYPERCALL_PAGE address; the bootstrap L3 is pinned and
/// loaded, and vCPU 0 starts at ENTRY in ring 1 with ESI = start_info.
/// PT_LOAD segments are placed by p_vaddr (PADDR_OFFSET is not used).
/// </summary>
public static class DomainBuilder
{
    private const uint Page = 4096;

    public static XenDomainInfo Build(XenHypervisor hv, ElfImage elf, string? commandLine, ILogger? log = null)
    {
        log ??= Serilog.Log.Logger;
        string file = elf.FileName;
        var notes = XenNotes.Parse(elf);
        uint vStart = notes.VirtBase;
        if ((vStart & (Page - 1)) != 0) throw new LoadException(file, $"VIRT_BASE 0x{vStart:X8} is not page aligned");

        uint kStart = uint.MaxValue, kEnd = 0;
        foreach (var s in elf.LoadSegments)
        {
            if (s.MemorySize == 0) continue;
            kStart = Math.Min(kStart, s.VirtualAddress);
            kEnd = Math.Max(kEnd, s.VirtualAddress + s.MemorySize);
        }
        if (kStart == uint.MaxValue) throw new LoadException(file, "no PT_LOAD segment has any bytes");
        if (kStart < vStart) throw new LoadException(file, $"a segment starts at 0x{kStart:X8}, below VIRT_BASE 0x{vStart:X8}");
        if (notes.HypercallPage < kStart || notes.HypercallPage >= kEnd || (notes.HypercallPage & (Page - 1)) != 0)
            throw new LoadException(file, $"HYPERCALL_PAGE 0x{notes.HypercallPage:X8} is not a page-aligned address inside the kernel image");
        if (notes.Entry < kStart || notes.Entry >= kEnd)
            throw new LoadException(file, $"ENTRY 0x{notes.Entry:X8} is outside the kernel image");

        // Layout after the kernel; the number of page-table frames depends on the end of the mapping, so iterate.
        uint nrPages = hv.NrPages;
        uint p2mVa = RoundUp(kEnd, Page);
        uint startInfoVa = p2mVa + RoundUp(nrPages * 4, Page);
        uint ptVa = startInfoVa + Page;
        uint nrPt = 1, vEnd = 0, stackVa = 0;
        for (int guard = 0; guard < 16; guard++)
        {
            stackVa = ptVa + nrPt * Page;
            ulong end = RoundUp64((ulong)stackVa + Page + 512 * 1024, 4 * 1024 * 1024);
            if (end > HypervisorVirtStart) throw new LoadException(file, "the kernel and its bootstrap area reach the hypervisor hole at 0xF5800000");
            vEnd = (uint)end;
            uint need = 1 + (uint)L2Slots(vStart, vEnd).Count + L1Count(vStart, vEnd);
            if (need == nrPt) break;
            nrPt = need;
        }
        ulong neededPages = (ulong)(vEnd - vStart) / Page;
        if (neededPages > nrPages)
            throw new LoadException(file, $"the kernel and its bootstrap area need {(neededPages * Page + 0xFFFFF) >> 20} MiB but the domain has {nrPages >> 8} MiB (-m)");

        var memory = hv.Memory;
        uint Mfn(uint va) => hv.P2m[(va - vStart) / Page];
        uint Machine(uint va) => (Mfn(va) << 12) | (va & (Page - 1));

        // The kernel image.
        foreach (var s in elf.LoadSegments)
        {
            var bytes = elf.SegmentBytes(s);
            for (uint off = 0; off < s.MemorySize; off++)
                memory.Write8(Machine(s.VirtualAddress + off), off < bytes.Length ? bytes[(int)off] : (byte)0);
        }

        // The hypercall page: 0xCC everywhere, `mov $nr,%eax; int $0x82; ret` per slot, the iret slot without ret.
        uint hc = Mfn(notes.HypercallPage) << 12;
        for (uint i = 0; i < Page; i++) memory.Write8(hc + i, 0xCC);
        for (uint nr = 0; nr < 128; nr++)
        {
            uint slot = hc + nr * 32;
            uint o = 0;
            if (nr == Iret) memory.Write8(slot + o++, 0x50); // push %eax
            memory.Write8(slot + o++, 0xB8);
            memory.Write32(slot + o, nr); o += 4;
            memory.Write8(slot + o++, 0xCD);
            memory.Write8(slot + o++, HypercallVector);
            if (nr != Iret) memory.Write8(slot + o, 0xC3);
        }

        // The P2M list.
        for (uint pfn = 0; pfn < nrPages; pfn++) memory.Write32(Machine(p2mVa + pfn * 4), hv.P2m[pfn]);

        // start_info.
        uint si = Mfn(startInfoVa) << 12;
        var magic = System.Text.Encoding.ASCII.GetBytes(StartInfoMagic);
        memory.WriteBytes(si, magic);
        memory.Write32(si + 32, nrPages);
        memory.Write32(si + 36, hv.SharedInfo);
        memory.Write32(si + 40, 0);              // flags: an unprivileged domU
        memory.Write32(si + 60, ptVa);           // pt_base: the L3
        memory.Write32(si + 64, nrPt);
        memory.Write32(si + 68, p2mVa);          // mfn_list
        if (commandLine != null)
        {
            var cl = System.Text.Encoding.ASCII.GetBytes(commandLine);
            if (cl.Length > 1023) throw new LoadException(file, $"the command line has {cl.Length} bytes; start_info holds at most 1023");
            memory.WriteBytes(si + 80, cl);
        }

        // Bootstrap page tables: L3, then the L2s (one per GiB used, and always slot 3), then the L1s.
        var slots = L2Slots(vStart, vEnd);
        uint l3 = Mfn(ptVa);
        var l2ForSlot = new Dictionary<uint, uint>();
        uint next = ptVa + Page;
        foreach (uint s in slots) { l2ForSlot[s] = Mfn(next); next += Page; }
        uint ptEnd = ptVa + nrPt * Page;
        const ulong l1Rw = PvMmu.P | PvMmu.RW | PvMmu.A | PvMmu.D, l1Ro = PvMmu.P | PvMmu.A;
        const ulong l2Flags = PvMmu.P | PvMmu.RW | PvMmu.US | PvMmu.A | PvMmu.D;
        foreach (uint s in slots) memory.Write64((l3 << 12) + s * 8, ((ulong)l2ForSlot[s] << 12) | PvMmu.P);
        for (uint region = vStart & ~0x1FFFFFu; region < vEnd; region += 0x200000)
        {
            uint l1 = Mfn(next); next += Page;
            uint l2 = l2ForSlot[region >> 30];
            memory.Write64((l2 << 12) + ((region >> 21) & 511) * 8, ((ulong)l1 << 12) | l2Flags);
            for (uint k = 0; k < 512; k++)
            {
                uint va = region + k * Page;
                if (va < vStart || va >= vEnd) continue;
                bool pageTable = va >= ptVa && va < ptEnd;
                memory.Write64((l1 << 12) + k * 8, ((ulong)Mfn(va) << 12) | (pageTable ? l1Ro : l1Rw));
            }
        }
        if (next != ptEnd) throw new InvalidOperationException("page-table frame count mismatch");

        // Pin the top-level table (as libxc does) and start the vCPU on it.
        int rc = hv.Mmu.Pin(l3, PageType.L3);
        if (rc < 0) throw new InvalidOperationException($"the bootstrap page tables did not validate ({rc})");
        uint stackTop = stackVa + Page;
        hv.StartVcpu(l3, notes.Entry, stackTop, startInfoVa);
        log.Information("xen: domain built: {Pages} pages ({MiB} MiB), --p2m-seed {Seed}, kernel 0x{KStart:X8}-0x{KEnd:X8}, " +
            "bootstrap mapping 0x{VStart:X8}-0x{VEnd:X8}, start_info 0x{Si:X8}, entry 0x{Entry:X8}",
            nrPages, nrPages >> 8, hv.P2mSeed, kStart, kEnd, vStart, vEnd, startInfoVa, notes.Entry);
        return new XenDomainInfo(notes, vStart, vEnd, p2mVa, startInfoVa, ptVa, nrPt, stackTop, l3);
    }

    /// <summary>The L3 slots (GiB) the mapping touches, plus slot 3, which must always be present.</summary>
    private static SortedSet<uint> L2Slots(uint vStart, uint vEnd)
    {
        var set = new SortedSet<uint> { 3 };
        for (ulong a = vStart & ~0x3FFFFFFFu; a < vEnd; a += 0x40000000) set.Add((uint)(a >> 30));
        return set;
    }

    private static uint L1Count(uint vStart, uint vEnd) => (uint)((RoundUp64(vEnd, 0x200000) - (vStart & ~0x1FFFFFu)) / 0x200000);

    private static uint RoundUp(uint v, uint a) => (v + a - 1) & ~(a - 1);
    private static ulong RoundUp64(ulong v, ulong a) => (v + a - 1) & ~(a - 1);
}
