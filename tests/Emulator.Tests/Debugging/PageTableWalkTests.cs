using Emulator.Core.Cpu;
using Emulator.Core.Debugging;
using Emulator.Tests.Support;

namespace Emulator.Tests.Debugging;

/// <summary>The debugger's page-table walk (gdb's `monitor walk`, the web page): every entry read, its flags, the result, and a stale TLB shown.</summary>
public sealed class PageTableWalkTests
{
    private const uint Directory = 0x200000, Table = 0x201000;

    /// <summary>32-bit paging: PDE 0 -> a page table mapping 0x10000 (present, writable, accessed); PDE 1 a 4 MiB page at 4 MiB.</summary>
    private static CpuHarness Paged()
    {
        var h = CpuHarness.Flat32(ramMiB: 8);
        h.Memory.Write32(Directory + 0, Table | 0x003);        // P RW
        h.Memory.Write32(Directory + 4, 0x00400000 | 0x083);   // P RW PS
        h.Memory.Write32(Table + 0x10 * 4, 0x10000 | 0x023);   // P RW A
        h.Cpu.Cr3 = Directory;
        h.Cpu.Cr4 |= Cpu.Cr4PSE;
        h.Cpu.Cr0 |= Cpu.Cr0PG;
        h.Cpu.Mmu.FlushAll();
        return h;
    }

    [Fact]
    public void A4KiBPageShowsBothLevelsAndThePhysicalAddress()
    {
        var walk = PageTableWalk.Of(Paged().Cpu, 0x10123);
        Assert.Equal("32-bit", walk.Mode);
        Assert.Equal(
            [new PageTableLevel("PDE", Directory, Table | 0x003, "P RW S"), new PageTableLevel("PTE", Table + 0x40, 0x10023, "P RW S A")],
            walk.Levels);
        Assert.Equal(0x10123u, walk.TablesPhysical);
        Assert.Equal(0x10123u, walk.Physical);
        Assert.Null(walk.StoppedAt);
        Assert.Equal(
            "0x00010123: 32-bit paging, CR3 0x00200000\n" +
            "  PDE   at 0x00200000 = 0x0000000000201003  P RW S\n" +
            "  PTE   at 0x00201040 = 0x0000000000010023  P RW S A\n" +
            "  -> physical 0x00010123\n",
            walk.Render());
    }

    [Fact]
    public void ALargePageEndsAtThePde()
    {
        var walk = PageTableWalk.Of(Paged().Cpu, 0x00412345);
        Assert.Equal([new PageTableLevel("PDE", Directory + 4, 0x00400083, "P RW S PS")], walk.Levels);
        Assert.Equal(0x00412345u, walk.TablesPhysical);
    }

    [Fact]
    public void ANotPresentEntryEndsTheWalk()
    {
        var walk = PageTableWalk.Of(Paged().Cpu, 0x11000);
        Assert.Equal("PTE not present", walk.StoppedAt);
        Assert.Equal("not present", walk.Levels[1].Flags);
        Assert.Null(walk.TablesPhysical);
        Assert.Null(walk.Physical);
        Assert.EndsWith("  not mapped: PTE not present\n", walk.Render());
        Assert.Equal("PDE not present", PageTableWalk.Of(Paged().Cpu, 0x00800000).StoppedAt);
    }

    [Fact]
    public void AStaleTlbEntryShowsNextToTheTables()
    {
        var h = Paged();
        Assert.True(h.Cpu.Mmu.Translate(0x10123, AccessKind.Read, false, out _)); // cached
        h.Memory.Write32(Table + 0x10 * 4, 0x20000 | 0x023);                       // remapped without INVLPG
        var walk = PageTableWalk.Of(h.Cpu, 0x10123);
        Assert.Equal(0x20123u, walk.TablesPhysical);
        Assert.Equal(0x10123u, walk.Physical);
        Assert.EndsWith("  -> physical 0x00020123\n  (the TLB still maps it to 0x00010123)\n", walk.Render());
    }

    [Fact]
    public void AXenDomainIsWalkedThroughThePaeTables()
    {
        var (machine, _) = TestMachines.Xen(GuestImages.ToyKernel, "pv=ops");
        uint entry = ElfSymbols.Address(GuestImages.ToyKernel, "xen_start");
        var walk = PageTableWalk.Of(machine.Cpu, entry);
        Assert.Equal("PAE", walk.Mode);
        Assert.Equal(["PDPTE", "PDE", "PTE"], walk.Levels.Select(l => l.Name));
        Assert.True(machine.Cpu.Mmu.Probe(entry, out uint physical));
        Assert.Equal(physical, walk.TablesPhysical);
        Assert.Equal(physical, walk.Physical);
        Assert.Equal((uint)(walk.Levels[2].Value & 0xFFFFF000) | (entry & 0xFFF), physical);
    }
}
