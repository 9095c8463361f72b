using Emulator.Core.Hypervisor;
using static Emulator.Tests.Hypervisor.PvGuest;

namespace Emulator.Tests.Hypervisor;

/// <summary>The PV MMU's rules (XEN-ABI.md §6) on a freshly built domain, called directly.</summary>
public sealed class PvMmuTests
{
    private const ulong P = 1, RW = 2, A = 0x20, PCD = 0x10;
    private readonly PvGuest _g = new(a => a.hlt());
    private PvMmu Mmu => _g.Hv.Mmu;

    private uint FreeFrame(uint k) => _g.FreeFrame(k);
    private uint MfnOf(uint va) => _g.MfnOf(va);
    private void Entry(uint mfn, int index, ulong value) => _g.Hv.Memory.Write64((mfn << 12) + (uint)index * 8, value);

    [Fact]
    public void ThePageTablesAreTypedAndTheBootstrapL3IsPinned()
    {
        uint l3 = _g.Info.L3Mfn;
        Assert.Equal(PageType.L3, Mmu.TypeOf(l3));
        Assert.True(Mmu.IsPinned(l3));
        Assert.Equal(2, Mmu.TypeCountOf(l3)); // the pin and CR3
        Assert.Equal(l3 << 12, _g.Machine.Cpu.Cr3);
        Assert.Equal(PageType.Writable, Mmu.TypeOf(MfnOf(Scratch)));
    }

    [Fact]
    public void MappingAPageTableWritableIsEbusyButReadOnlyIsFine()
    {
        uint l3 = _g.Info.L3Mfn;
        Assert.Equal(-16, Mmu.UpdateVaMapping(Scratch, ((ulong)l3 << 12) | P | RW | A));
        Assert.Equal(0, Mmu.UpdateVaMapping(Scratch, ((ulong)l3 << 12) | P | A));
        Assert.Equal(PageType.L3, Mmu.TypeOf(l3));
        // The scratch frame lost its only writable mapping: it is untyped now.
        Assert.Equal(PageType.None, Mmu.TypeOf(MfnOf(Scratch)));
    }

    [Fact]
    public void AWritablyMappedFrameNeverBecomesAPageTable()
    {
        uint mfn = MfnOf(Scratch);
        Assert.Equal(-22, Mmu.Pin(mfn, PageType.L1));
        Assert.Equal(-22, Mmu.NewBaseptr(mfn));
        Assert.Equal(PageType.Writable, Mmu.TypeOf(mfn));
    }

    [Fact]
    public void PinValidatesEveryEntry()
    {
        uint f = FreeFrame(0), g = FreeFrame(1);
        Entry(f, 5, ((ulong)_g.Info.L3Mfn << 12) | P | RW);               // a page table mapped writable
        Assert.Equal(-16, Mmu.Pin(f, PageType.L1));
        Entry(f, 5, ((ulong)XenMachineLayout.GdtFrame << 12) | P);         // the hypervisor's frame
        Assert.Equal(-22, Mmu.Pin(f, PageType.L1));
        Entry(f, 5, ((ulong)(Mmu.FrameCount + 5) << 12) | P);              // not RAM
        Assert.Equal(-1, Mmu.Pin(f, PageType.L1));
        Entry(f, 5, ((ulong)g << 12) | P | PCD);                           // a cache attribute a domU may not use
        Assert.Equal(-22, Mmu.Pin(f, PageType.L1));
        Assert.Equal(PageType.None, Mmu.TypeOf(f));

        Entry(f, 5, ((ulong)g << 12) | P | RW);
        Assert.Equal(0, Mmu.Pin(f, PageType.L1));
        Assert.Equal(PageType.L1, Mmu.TypeOf(f));
        Assert.Equal(PageType.Writable, Mmu.TypeOf(g));
        Assert.Equal(-22, Mmu.Pin(f, PageType.L1));   // not nested
        Assert.Equal(-22, Mmu.Pin(g, PageType.L1)); // g is mapped writable: typing it is refused
        Assert.Equal(0, Mmu.Unpin(f));
        Assert.Equal(PageType.None, Mmu.TypeOf(f));
        Assert.Equal(PageType.None, Mmu.TypeOf(g));
        Assert.Equal(-22, Mmu.Unpin(f));
    }

    [Fact]
    public void NewBaseptrNeedsAValidL3()
    {
        uint l3 = FreeFrame(0), l2 = FreeFrame(1), l2b = FreeFrame(2);
        Assert.Equal(-22, Mmu.NewBaseptr(l3));                               // slot 3 empty
        Entry(l3, 3, ((ulong)l2 << 12) | P | RW);                          // RW is reserved in a PDPTE
        Assert.Equal(-22, Mmu.NewBaseptr(l3));
        uint bootL2Xen = (uint)((_g.Hv.Memory.Read64((_g.Info.L3Mfn << 12) + 24) & PvMmu.AddressMask) >> 12);
        Entry(l3, 3, ((ulong)bootL2Xen << 12) | P);                        // another L3's pae_xen_l2: no sharing
        Assert.Equal(-22, Mmu.NewBaseptr(l3));
        Entry(l3, 3, ((ulong)l2 << 12) | P);
        Entry(l3, 0, ((ulong)l2 << 12) | P);                               // the same L2 in two slots
        Assert.Equal(-22, Mmu.NewBaseptr(l3));
        Entry(l3, 0, ((ulong)l2b << 12) | P);
        Assert.Equal(0, Mmu.NewBaseptr(l3));
        Assert.Equal(l3 << 12, _g.Machine.Cpu.Cr3);
        Assert.Equal(PageType.L2Xen, Mmu.TypeOf(l2));
        Assert.Equal(PageType.L2, Mmu.TypeOf(l2b));
        // The hypervisor's slots were filled in: the M2P's first L1 at slot 428.
        ulong m2pSlot = _g.Hv.Memory.Read64((l2 << 12) + PvMmu.XenL2FirstSlot * 8);
        Assert.Equal((ulong)XenMachineLayout.FirstM2pL1Frame, (m2pSlot & PvMmu.AddressMask) >> 12);
        // The old (pinned) L3 keeps its type through the pin alone.
        Assert.Equal(1, Mmu.TypeCountOf(_g.Info.L3Mfn));
    }

    [Fact]
    public void MmuUpdateOnAnL1ChecksTheNewEntry()
    {
        // The L1 that maps the scratch page: through the bootstrap L3 -> L2 -> L1.
        var mem = _g.Hv.Memory;
        var (l1, entryMa) = _g.L1EntryOf(Scratch);
        ulong ptr = entryMa;
        Assert.Equal(PageType.L1, Mmu.TypeOf(l1));
        Assert.Equal(-16, Mmu.UpdateEntry(ptr, ((ulong)l1 << 12) | P | RW, false));
        uint g = FreeFrame(3);
        Assert.Equal(0, Mmu.UpdateEntry(ptr, ((ulong)g << 12) | P | RW, false));
        Assert.Equal(((ulong)g << 12) | P | RW, mem.Read64((uint)ptr));
        Assert.Equal(PageType.Writable, Mmu.TypeOf(g));
    }
}
