using Emulator.Core.Cpu;
using Emulator.Tests.Support;
using Cpu = Emulator.Core.Cpu.Cpu;

namespace Emulator.Tests.CpuTests.Paging;

/// <summary>
/// Builds page tables in guest RAM and turns paging on by setting the control-register fields
/// directly (as a loader would), then translates through <c>Cpu.Mmu</c>. Entry bit values are
/// written out from the SDM's tables (Vol. 3 §4.3, §4.4), not taken from the emulator.
/// </summary>
internal sealed class PagingFixture
{
    // Paging-structure entry bits (SDM Vol. 3 Tables 4-4..4-11).
    public const uint P = 1, RW = 2, US = 4, A = 0x20, D = 0x40, PS = 0x80, G = 0x100;
    public const ulong XD = 1ul << 63;
    // #PF error code bits (SDM Vol. 3 §4.7).
    public const uint EcP = 1, EcW = 2, EcU = 4, EcRsvd = 8, EcId = 16;

    // Physical layout used by the tests (16 MiB of RAM).
    public const uint Pd = 0x100000, Pt0 = 0x101000, Pt1 = 0x102000, Pdpt = 0x103000, Pd2 = 0x104000, PaePd0 = 0x105000, PaePd3 = 0x106000;

    public CpuHarness H { get; }
    public Cpu C => H.Cpu;

    public PagingFixture(bool realMode = false)
    {
        H = realMode ? CpuHarness.Real16(16) : CpuHarness.Flat32(16);
    }

    public uint Read32(uint phys) => H.Memory.Read32(phys);
    public ulong Read64(uint phys) => H.Memory.Read64(phys);

    /// <summary>Writes a 32-bit paging PDE for directory index <paramref name="index"/>.</summary>
    public void Pde32(uint pd, uint index, uint value) => H.Memory.Write32(pd + index * 4, value);
    public void Pte32(uint pt, uint index, uint value) => H.Memory.Write32(pt + index * 4, value);
    public void Entry64(uint table, uint index, ulong value) => H.Memory.Write64(table + index * 8, value);

    /// <summary>Identity-maps the first 4 MiB with 4 KiB supervisor read/write pages through <see cref="Pt0"/> (code, stack, GDT).</summary>
    public void IdentityMapLow4M(uint pd = Pd)
    {
        for (uint k = 0; k < 1024; k++) Pte32(Pt0, k, (k << 12) | P | RW);
        Pde32(pd, 0, Pt0 | P | RW);
    }

    /// <summary>32-bit paging on: CR3 = <paramref name="pd"/>, CR4 as given, CR0.PG (and WP), TLB flushed.</summary>
    public void Enable32(uint pd = Pd, bool pse = false, bool pge = false, bool wp = false)
    {
        C.Cr3 = pd;
        C.Cr4 = (pse ? Cpu.Cr4PSE : 0) | (pge ? Cpu.Cr4PGE : 0);
        C.Cr0 |= Cpu.Cr0PG | Cpu.Cr0PE | (wp ? Cpu.Cr0WP : 0);
        C.Mmu.FlushAll();
    }

    /// <summary>PAE paging on: CR4.PAE, EFER.NXE as given, CR3 = PDPT, PDPTE registers loaded, CR0.PG.</summary>
    public void EnablePae(uint pdpt = Pdpt, bool nxe = false, bool pge = false, bool wp = false)
    {
        C.Cr4 = Cpu.Cr4PAE | (pge ? Cpu.Cr4PGE : 0);
        C.Efer = nxe ? Cpu.EferNXE : 0;
        C.Cr3 = pdpt;
        Assert.True(C.Mmu.LoadPdptes());
        C.Cr0 |= Cpu.Cr0PG | Cpu.Cr0PE | (wp ? Cpu.Cr0WP : 0);
        C.Mmu.FlushAll();
    }

    /// <summary>Translates and asserts success; returns the physical address.</summary>
    public uint Ok(uint linear, AccessKind kind = AccessKind.Read, bool user = false)
    {
        bool ok = C.Mmu.Translate(linear, kind, user, out uint phys);
        Assert.False(C.Faulted, $"unexpected fault {C.FaultVector} err {C.FaultErrorCode:X} at {linear:X8}");
        Assert.True(ok);
        return phys;
    }

    /// <summary>Translates, asserts a #PF with <paramref name="errorCode"/> and CR2 = linear, then clears the fault.</summary>
    public void Fault(uint linear, AccessKind kind, bool user, uint errorCode)
    {
        C.Cr2 = 0xDEADBEEF;
        bool ok = C.Mmu.Translate(linear, kind, user, out _);
        Assert.False(ok);
        Assert.True(C.Faulted);
        Assert.Equal(Vector.PF, C.FaultVector);
        Assert.True(C.FaultHasErrorCode);
        Assert.Equal(errorCode, C.FaultErrorCode);
        Assert.Equal(linear, C.Cr2);
        C.Faulted = false;
    }
}
