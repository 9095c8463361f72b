using Emulator.Core.Cpu;
using Emulator.Tests.CpuTests.Paging;
using Emulator.Tests.Support;
using Iced.Intel;
using static Emulator.Tests.CpuTests.Paging.PagingFixture;
using static Iced.Intel.AssemblerRegisters;
using Cpu = Emulator.Core.Cpu.Cpu;

namespace Emulator.Tests.CpuTests;

/// <summary>
/// The fetch fast path keeps the current code page's translation between instructions: it must
/// drop it whenever the translation may change (INVLPG, CR3 loads, the A20 gate, a change of
/// privilege), and the specialised instruction forms must commit nothing when they fault.
/// </summary>
public class FetchPathTests
{
    [Fact]
    public void RemappingTheRunningCodePageWithInvlpgFetchesFromTheNewFrame()
    {
        var f = new PagingFixture();
        f.IdentityMapLow4M();
        f.Enable32();
        const uint newFrame = 0x00200000;
        uint pte = Pt0 + (CpuHarness.CodeBase >> 12) * 4;
        // The loop runs three times. Pass 1 decodes every instruction from the old frame (skipping
        // the remap); pass 2 remaps and jumps back through already-decoded instructions; pass 3's
        // "mov eax" must come from the new frame.
        void Code(Assembler a, uint value) => ThreePasses(a, value, remap: a =>
            a.mov(__dword_ptr[(long)pte], newFrame | P | RW), flush: a => a.invlpg(__[(long)CpuHarness.CodeBase]));
        f.H.Load(a => Code(a, 2), at: newFrame);  // the same code with "mov eax, 2"
        f.H.Load(a => Code(a, 1));
        f.H.Run();
        Assert.Equal(2u, f.H.Eax);
    }

    /// <summary>
    /// A loop of three passes around "mov eax, value": <paramref name="remap"/> runs in pass 2 only,
    /// <paramref name="flush"/> in every pass, so from pass 2 on every instruction but the remap
    /// has been decoded before, from the old frame.
    /// </summary>
    private static void ThreePasses(Assembler a, uint value, Action<Assembler> remap, Action<Assembler> flush, uint initialEbx = 0)
    {
        var again = a.CreateLabel();
        var skip = a.CreateLabel();
        var done = a.CreateLabel();
        a.xor(ecx, ecx);
        a.mov(ebx, initialEbx); // for CR3: the current directory until the remap names the other
        a.Label(ref again);
        a.mov(eax, value);
        a.inc(ecx);
        a.cmp(ecx, 3);
        a.je(done);
        a.cmp(ecx, 2);
        a.jne(skip);
        remap(a);
        a.Label(ref skip);
        flush(a);
        a.jmp(again);
        a.Label(ref done);
        a.hlt();
    }

    [Fact]
    public void ReloadingCr3SwitchesTheCodePage()
    {
        var f = new PagingFixture();
        f.IdentityMapLow4M();
        // A second directory whose table maps the code page to another frame.
        const uint pd2 = 0x107000, pt2 = 0x108000, newFrame = 0x00200000;
        for (uint k = 0; k < 1024; k++) f.Pte32(pt2, k, (k << 12) | P | RW);
        f.Pte32(pt2, CpuHarness.CodeBase >> 12, newFrame | P | RW);
        f.Pde32(pd2, 0, pt2 | P | RW);
        f.Enable32();
        void Code(Assembler a, uint value) => ThreePasses(a, value, remap: a => a.mov(ebx, pd2), flush: a => a.mov(cr3, ebx), initialEbx: Pd);
        f.H.Load(a => Code(a, 2), at: newFrame);
        f.H.Load(a => Code(a, 1));
        f.H.Run();
        Assert.Equal(2u, f.H.Eax);
    }

    [Fact]
    public void TheA20GateChangesWhereCodeIsFetchedFrom()
    {
        var h = CpuHarness.Real16();
        // CS base 0xFFFF0 + IP 0x10 = linear 0x100000: physical 0x100000 with A20 on, 0 with it off.
        h.Cpu.Segs[Cpu.CS] = SegmentCache.RealDefault(0xFFFF);
        h.Cpu.Segs[Cpu.CS].Attributes |= SegmentCache.AttrCode;
        var a20On = new byte[] { 0xB8, 0x01, 0x00, 0xF4 };  // mov ax, 1; hlt
        var a20Off = new byte[] { 0xB8, 0x02, 0x00, 0xF4 }; // mov ax, 2; hlt
        h.Memory.WriteBytes(0x100000, a20On);
        h.Memory.WriteBytes(0x000000, a20Off);

        h.Memory.A20Enabled = true;
        h.Cpu.Eip = 0x10;
        h.Run();
        Assert.Equal(1u, h.Eax & 0xFFFF);

        h.Memory.A20Enabled = false;
        h.Cpu.Halted = false;
        h.Cpu.Eip = 0x10;
        h.Run();
        Assert.Equal(2u, h.Eax & 0xFFFF);
    }

    [Fact]
    public void ASupervisorCodePageFetchedAtRing0FaultsAtRing3()
    {
        var f = new PagingFixture();
        f.IdentityMapLow4M(); // supervisor pages
        f.Enable32();
        f.H.Load(a => { a.nop(); a.hlt(); });
        f.H.Step();           // ring 0: the nop is decoded and its page's translation kept
        Assert.Equal(CpuHarness.CodeBase + 1, f.C.Eip);
        // Drop to ring 3 and run the same instruction again (as an IRET to user code at that address would).
        f.C.Segs[Cpu.CS].LoadDescriptor(0x1B, CpuHarness.FlatDescriptor(code: true, dpl: 3));
        f.C.Cpl = 3;
        f.C.Eip = CpuHarness.CodeBase;
        f.C.Cr2 = 0;
        f.H.Step();
        // The user-mode fetch of a supervisor page is a #PF (no IDT here: it ends in a triple fault).
        Assert.Equal(CpuHarness.CodeBase, f.C.Cr2);
        Assert.Equal(CpuStopReason.TripleFault, f.C.StopReason);
    }

    [Fact]
    public void AFaultingReadModifyWriteChangesNeitherMemoryNorFlags()
    {
        var f = new PagingFixture();
        f.IdentityMapLow4M();
        const uint page = 0x00300000;
        f.Pte32(Pt0, page >> 12, page | P); // read-only: with CR0.WP a ring-0 write faults
        f.H.Memory.Write32(page, 5);
        f.Enable32(wp: true);
        f.H.Load(a =>
        {
            a.mov(ebx, 1);
            a.cmp(ebx, ebx);                       // ZF = 1, CF = 0
            a.add(__dword_ptr[(long)page], ebx);   // reads 5, would write 6 and clear ZF: faults on the write
            a.hlt();
        });
        f.H.Step(2);
        f.H.Step();
        Assert.Equal(page, f.C.Cr2);
        Assert.Equal(5u, f.H.Memory.Read32(page));
        Assert.True(f.C.GetZF());
        Assert.Equal(CpuStopReason.TripleFault, f.C.StopReason);
    }
}
