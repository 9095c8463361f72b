using Emulator.Core.Cpu;
using Emulator.Tests.CpuTests.Paging;
using Emulator.Tests.Support;
using static Emulator.Tests.CpuTests.Paging.PagingFixture;
using static Iced.Intel.AssemblerRegisters;
using Cpu = Emulator.Core.Cpu.Cpu;

namespace Emulator.Tests.CpuTests.DataMove;

/// <summary>
/// REP MOVS/STOS copy and fill whole runs within a page at once; these cases must still give exactly
/// what the element-by-element loop gives (SDM MOVS/STOS).
/// </summary>
public class RepBulkTests
{
    private const uint Buf = CpuHarness.DataBase;

    [Fact]
    public void AnOverlappingMovsbWithTheDestinationAheadReplicatesTheFirstBytes()
    {
        var h = CpuHarness.Flat32();
        for (uint k = 0; k < 64; k++) h.Memory.Write8(Buf + k, (byte)(k + 1));
        h.Load(a => { a.rep.movsb(); a.hlt(); });
        h.Cpu.Regs[Cpu.ESI] = Buf; h.Cpu.Regs[Cpu.EDI] = Buf + 3; h.Cpu.Regs[Cpu.ECX] = 60;
        h.Run();
        // Byte by byte forward: every destination byte reads a byte written 3 bytes earlier: 1 2 3 1 2 3 ...
        for (uint k = 0; k < 63; k++) Assert.Equal((byte)(k % 3 + 1), h.Memory.Read8(Buf + k));
        Assert.Equal((0u, Buf + 60, Buf + 63), (h.Ecx, h.Esi, h.Edi));
    }

    [Fact]
    public void AnOverlappingMovsdWithTheDestinationBehindIsAPlainCopy()
    {
        var h = CpuHarness.Flat32();
        for (uint k = 0; k < 32; k++) h.Memory.Write32(Buf + 4 * k, 0x1000 + k);
        h.Load(a => { a.rep.movsd(); a.hlt(); });
        h.Cpu.Regs[Cpu.ESI] = Buf + 8; h.Cpu.Regs[Cpu.EDI] = Buf; h.Cpu.Regs[Cpu.ECX] = 30;
        h.Run();
        for (uint k = 0; k < 30; k++) Assert.Equal(0x1000 + k + 2, h.Memory.Read32(Buf + 4 * k));
    }

    [Fact]
    public void AStosdRunOverSeveralPagesWithAStraddlingElementFillsEveryByte()
    {
        var h = CpuHarness.Flat32();
        // EDI is 2 bytes into a page, so one dword of each page boundary straddles it.
        const uint start = Buf + 2;
        const uint count = 3000; // 12000 bytes: three page boundaries, and more than one 1024-iteration chunk
        h.Load(a => { a.rep.stosd(); a.hlt(); });
        h.Cpu.Regs[Cpu.EAX] = 0xA1B2C3D4; h.Cpu.Regs[Cpu.EDI] = start; h.Cpu.Regs[Cpu.ECX] = count;
        int steps = h.Run();
        for (uint k = 0; k < count; k++) Assert.Equal(0xA1B2C3D4u, h.Memory.Read32(start + 4 * k));
        Assert.Equal(0u, h.Memory.Read16(Buf));
        Assert.Equal(0u, h.Memory.Read32(start + 4 * count));
        Assert.Equal((0u, start + 4 * count), (h.Ecx, h.Edi));
        Assert.Equal(3 + 1, steps); // 1024 iterations per step, then HLT: virtual time as before the fast path
    }

    [Fact]
    public void AFaultOnTheFirstElementOfAReadOnlyPageLeavesTheEarlierPagesFilledAndTheRegistersThere()
    {
        var f = new PagingFixture();
        f.IdentityMapLow4M();
        const uint first = 0x00300000, second = first + 0x1000;
        f.Pte32(Pt0, second >> 12, second | P); // read-only
        f.Enable32(wp: true);
        f.H.Load(a => { a.rep.stosd(); a.hlt(); });
        f.C.Regs[Cpu.EAX] = 0x5555AAAA; f.C.Regs[Cpu.EDI] = first + 0xFF0; f.C.Regs[Cpu.ECX] = 100;
        f.H.Step();
        Assert.Equal(second, f.C.Cr2);                        // #PF on the first dword of the second page
        Assert.Equal(100u - 4, f.C.Regs[Cpu.ECX]);
        Assert.Equal(second, f.C.Regs[Cpu.EDI]);
        for (uint k = 0; k < 4; k++) Assert.Equal(0x5555AAAAu, f.H.Memory.Read32(first + 0xFF0 + 4 * k));
        Assert.Equal(0u, f.H.Memory.Read32(second));
    }

    [Fact]
    public void AMovsOverCodeAlreadyDecodedIsSeenByTheDecoder()
    {
        var h = CpuHarness.Flat32();
        // Pass 1 runs "mov eax, 1" (decoded and cached), then REP MOVSB copies "mov eax, 2" over it
        // (a watched code page: element by element, each write invalidating); pass 2 must run the new bytes.
        const uint patchSite = CpuHarness.CodeBase + 2; // after "xor ebx, ebx"
        h.Load(a =>
        {
            var again = a.CreateLabel();
            var done = a.CreateLabel();
            a.xor(ebx, ebx);
            a.Label(ref again);
            a.mov(eax, 1);
            a.inc(ebx);
            a.cmp(ebx, 2);
            a.je(done);
            a.mov(esi, Buf);
            a.mov(edi, patchSite);
            a.mov(ecx, 5);
            a.rep.movsb();
            a.jmp(again);
            a.Label(ref done);
            a.hlt();
        });
        h.Memory.WriteBytes(Buf, new byte[] { 0xB8, 0x02, 0x00, 0x00, 0x00 }); // mov eax, 2
        h.Run();
        Assert.Equal(2u, h.Eax);
    }

    [Fact]
    public void RepeCmpsdFindsADifferenceOnTheNextPageWithThatElementsFlags()
    {
        var h = CpuHarness.Flat32();
        const uint a = Buf + 0xF00, b = Buf + 0x3F00; // 0x100 bytes before a page boundary each
        for (uint k = 0; k < 200; k++) { h.Memory.Write32(a + 4 * k, k); h.Memory.Write32(b + 4 * k, k); }
        h.Memory.Write32(b + 4 * 150, 149); // element 150 (on the next page): [ESI] = 150, [EDI] = 149
        h.Load(a => { a.repe.cmpsd(); a.hlt(); });
        h.Cpu.Regs[Cpu.ESI] = a; h.Cpu.Regs[Cpu.EDI] = b; h.Cpu.Regs[Cpu.ECX] = 200;
        h.Run();
        Assert.Equal((200u - 151, a + 4 * 151, b + 4 * 151), (h.Ecx, h.Esi, h.Edi));
        Assert.False(h.Cpu.GetZF());
        Assert.False(h.Cpu.GetCF()); // 150 - 149: no borrow
    }

    [Fact]
    public void RepeCmpsbOverEqualBuffersEndsWithTheLastComparisonsFlags()
    {
        var h = CpuHarness.Flat32();
        for (uint k = 0; k < 300; k++) { h.Memory.Write8(Buf + k, (byte)k); h.Memory.Write8(Buf + 0x2000 + k, (byte)k); }
        h.Load(a => { a.repe.cmpsb(); a.hlt(); });
        h.Cpu.Regs[Cpu.ESI] = Buf; h.Cpu.Regs[Cpu.EDI] = Buf + 0x2000; h.Cpu.Regs[Cpu.ECX] = 300;
        h.Run();
        Assert.Equal((0u, Buf + 300, Buf + 0x2000 + 300), (h.Ecx, h.Esi, h.Edi));
        Assert.True(h.Cpu.GetZF());
    }

    [Fact]
    public void RepneScasbWithoutTheByteRunsOutWithTheLastElementsFlags()
    {
        var h = CpuHarness.Flat32();
        for (uint k = 0; k < 5000; k++) h.Memory.Write8(Buf + k, 0x20); // no zero byte
        h.Memory.Write8(Buf + 4999, 0x30);
        h.Load(a => { a.repne.scasb(); a.hlt(); });
        h.Cpu.Regs[Cpu.EAX] = 0x31; h.Cpu.Regs[Cpu.EDI] = Buf; h.Cpu.Regs[Cpu.ECX] = 5000;
        h.Run();
        Assert.Equal((0u, Buf + 5000), (h.Ecx, h.Edi));
        Assert.False(h.Cpu.GetZF());
        Assert.False(h.Cpu.GetCF()); // last: 0x31 - 0x30
        Assert.False(h.Cpu.GetSF());
    }

    [Fact]
    public void RepeScaswStopsAtTheFirstOtherWord()
    {
        var h = CpuHarness.Flat32();
        for (uint k = 0; k < 3000; k++) h.Memory.Write16(Buf + 2 * k, 0x7777);
        h.Memory.Write16(Buf + 2 * 2500, 0x7778); // on the second page
        h.Load(a => { a.repe.scasw(); a.hlt(); });
        h.Cpu.Regs[Cpu.EAX] = 0xABCD7777; h.Cpu.Regs[Cpu.EDI] = Buf; h.Cpu.Regs[Cpu.ECX] = 3000;
        h.Run();
        Assert.Equal((3000u - 2501, Buf + 2 * 2501), (h.Ecx, h.Edi));
        Assert.False(h.Cpu.GetZF());
        Assert.True(h.Cpu.GetCF()); // 0x7777 - 0x7778 borrows
    }
}
