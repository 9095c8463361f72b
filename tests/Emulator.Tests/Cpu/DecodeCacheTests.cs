using Emulator.Tests.Support;
using Iced.Intel;
using static Iced.Intel.AssemblerRegisters;

namespace Emulator.Tests.CpuTests;

/// <summary>The decoded-instruction cache must never serve stale code (DESIGN.md §4).</summary>
public class DecodeCacheTests
{
    [Fact]
    public void SelfModifyingCodeSeesTheNewInstruction()
    {
        var h = CpuHarness.Flat32();
        // A loop runs the patched instruction twice: the first pass executes "mov eax, 1", then the
        // code overwrites that instruction's immediate with 2 and runs it again.
        h.Load(a =>
        {
            var again = a.CreateLabel();
            var done = a.CreateLabel();
            a.xor(ecx, ecx);
            a.Label(ref again);
            a.mov(eax, 1);               // B8 01 00 00 00: the immediate is at target+1
            a.add(ebx, eax);
            a.inc(ecx);
            a.cmp(ecx, 2);
            a.je(done);
            a.mov(__dword_ptr[(long)CpuHarness.CodeBase + 2], 0x000002B8); // "again" is at +2 (after xor ecx,ecx): // rewrite to B8 02 00 00 (00)
            a.jmp(again);
            a.Label(ref done);
            a.hlt();
        });
        h.Cpu.Regs[Emulator.Core.Cpu.Cpu.EBX] = 0;
        h.Run();
        Assert.Equal(2u, h.Eax);
        Assert.Equal(1u + 2u, h.Ebx);
    }

    [Fact]
    public void SameBytesDecodeDifferentlyIn16And32BitCode()
    {
        // B8 34 12 78 56 is "mov eax, 0x56781234" in 32-bit code but "mov ax, 0x1234" followed by
        // other bytes in 16-bit code; the cache key includes the code-segment size.
        var h = CpuHarness.Flat32();
        h.LoadBytes(new byte[] { 0xB8, 0x34, 0x12, 0x78, 0x56, 0xF4 });
        h.Run();
        Assert.Equal(0x56781234u, h.Eax);

        var c = h.Cpu;
        c.Halted = false;
        c.Regs[Emulator.Core.Cpu.Cpu.EAX] = 0xFFFF0000;
        c.Segs[Emulator.Core.Cpu.Cpu.CS].Attributes &= unchecked((ushort)~Emulator.Core.Cpu.SegmentCache.AttrBig);
        c.Segs[Emulator.Core.Cpu.Cpu.CS].Base = CpuHarness.CodeBase; // same physical bytes, IP 0
        c.Eip = 0;
        c.Step();
        Assert.Equal(0xFFFF1234u, h.Eax);
        Assert.Equal(3u, c.Eip);
    }

    [Fact]
    public void DmaStyleWriteToACachedPageIsSeen()
    {
        var h = CpuHarness.Flat32();
        h.LoadBytes(new byte[] { 0xB8, 0x01, 0x00, 0x00, 0x00, 0xF4 }); // mov eax,1; hlt
        h.Run();
        Assert.Equal(1u, h.Eax);
        // A loader or device rewrites the immediate behind the CPU's back.
        h.Memory.Write8(CpuHarness.CodeBase + 1, 7);
        h.Cpu.Halted = false;
        h.Cpu.Eip = CpuHarness.CodeBase;
        h.Run();
        Assert.Equal(7u, h.Eax);
    }

    [Fact]
    public void WriteToTheTailOfAnInstructionThatCrossesA64ByteChunkIsSeen()
    {
        // "mov eax, 0x11223344" starts 2 bytes before a 64-byte boundary, so its immediate's last
        // bytes lie in the next chunk; rewriting only those bytes must drop the cached decode.
        var h = CpuHarness.Flat32();
        uint at = CpuHarness.CodeBase + 62;
        h.LoadBytes(new byte[] { 0xB8, 0x44, 0x33, 0x22, 0x11, 0xF4 }, at);
        h.Run();
        Assert.Equal(0x11223344u, h.Eax);
        h.Memory.Write8(at + 4, 0x99); // the immediate's top byte, in the following chunk
        h.Cpu.Halted = false;
        h.Cpu.Eip = at;
        h.Run();
        Assert.Equal(0x99223344u, h.Eax);
    }

    [Fact]
    public void DataWritesNextToCodeDoNotDisturbIt()
    {
        // A loop that stores into the same page as itself (another chunk) keeps running correctly.
        var h = CpuHarness.Flat32();
        h.Load(a =>
        {
            var again = a.CreateLabel();
            a.mov(ecx, 100);
            a.Label(ref again);
            a.add(__dword_ptr[(long)CpuHarness.CodeBase + 0x800], ecx);
            a.dec(ecx);
            a.jne(again);
            a.hlt();
        });
        h.Run();
        Assert.Equal(5050u, h.Read32(CpuHarness.CodeBase + 0x800));
    }
}
