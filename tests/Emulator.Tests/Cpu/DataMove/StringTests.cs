using Emulator.Core.Cpu;
using Emulator.Tests.Support;
using static Iced.Intel.AssemblerRegisters;
using Cpu = Emulator.Core.Cpu.Cpu;

namespace Emulator.Tests.CpuTests.DataMove;

public class StringTests
{
    private const uint Src = CpuHarness.DataBase;
    private const uint Dst = CpuHarness.DataBase + 0x1000;

    private static void Fill(CpuHarness h, uint at, int count, Func<int, byte> value)
    {
        for (int k = 0; k < count; k++) h.Memory.Write8(at + (uint)k, value(k));
    }

    [Fact]
    public void RepMovsbCopiesForwardAndCommitsRegisters()
    {
        var h = CpuHarness.Flat32();
        Fill(h, Src, 100, k => (byte)(k * 7 + 1));
        h.Load(a => { a.rep.movsb(); a.hlt(); });
        h.Cpu.Regs[Cpu.ESI] = Src; h.Cpu.Regs[Cpu.EDI] = Dst; h.Cpu.Regs[Cpu.ECX] = 100;
        h.Run();
        for (int k = 0; k < 100; k++) Assert.Equal((byte)(k * 7 + 1), h.Memory.Read8(Dst + (uint)k));
        Assert.Equal(0, h.Memory.Read8(Dst + 100));
        Assert.Equal(0u, h.Ecx);
        Assert.Equal(Src + 100, h.Esi);
        Assert.Equal(Dst + 100, h.Edi);
    }

    [Fact]
    public void RepMovsdBackwardWithDirectionFlag()
    {
        var h = CpuHarness.Flat32();
        for (uint k = 0; k < 4; k++) h.Write32(Src + 4 * k, 0x1000 + k);
        h.Load(a => { a.rep.movsd(); a.hlt(); });
        h.Cpu.SetEflags(0x2 | Cpu.FlagDF);
        // Start at the last element and walk down.
        h.Cpu.Regs[Cpu.ESI] = Src + 12; h.Cpu.Regs[Cpu.EDI] = Dst + 12; h.Cpu.Regs[Cpu.ECX] = 4;
        h.Run();
        for (uint k = 0; k < 4; k++) Assert.Equal(0x1000 + k, h.Read32(Dst + 4 * k));
        Assert.Equal(Src - 4, h.Esi);
        Assert.Equal(Dst - 4, h.Edi);
    }

    [Fact]
    public void RepWithZeroCountDoesNothing()
    {
        var h = CpuHarness.Flat32();
        h.Write32(Src, 0x11111111);
        h.Load(a => { a.rep.movsd(); a.rep.stosb(); a.hlt(); });
        h.Cpu.Regs[Cpu.ESI] = Src; h.Cpu.Regs[Cpu.EDI] = Dst; h.Cpu.Regs[Cpu.ECX] = 0;
        h.Run();
        Assert.Equal(0u, h.Read32(Dst));
        Assert.Equal(Src, h.Esi);
        Assert.Equal(Dst, h.Edi);
        Assert.Equal(0u, h.Ecx);
    }

    [Fact]
    public void SingleMovswWithoutRepIgnoresEcx()
    {
        var h = CpuHarness.Flat32();
        h.Memory.Write16(Src, 0xBEEF);
        h.Load(a => { a.movsw(); a.hlt(); });
        h.Cpu.Regs[Cpu.ESI] = Src; h.Cpu.Regs[Cpu.EDI] = Dst; h.Cpu.Regs[Cpu.ECX] = 9;
        h.Run();
        Assert.Equal((ushort)0xBEEF, h.Memory.Read16(Dst));
        Assert.Equal(9u, h.Ecx);
        Assert.Equal(Src + 2, h.Esi);
        Assert.Equal(Dst + 2, h.Edi);
    }

    [Fact]
    public void LongRepStosdSpansSeveralStepsAndCompletes()
    {
        var h = CpuHarness.Flat32();
        int count = 3 * Cpu.MaxStringIterationsPerStep + 5;
        h.Load(a => { a.rep.stosd(); a.hlt(); });
        h.Cpu.Regs[Cpu.EAX] = 0xFEEDFACE; h.Cpu.Regs[Cpu.EDI] = Dst; h.Cpu.Regs[Cpu.ECX] = (uint)count;
        h.Step(1);
        // After one step the instruction is still in progress: EIP at it, registers committed so far.
        Assert.Equal(CpuHarness.CodeBase, h.Cpu.Eip);
        Assert.Equal((uint)(count - Cpu.MaxStringIterationsPerStep), h.Ecx);
        h.Run();
        Assert.Equal(0u, h.Ecx);
        Assert.Equal(Dst + 4 * (uint)count, h.Edi);
        Assert.Equal(0xFEEDFACEu, h.Read32(Dst));
        Assert.Equal(0xFEEDFACEu, h.Read32(Dst + 4 * (uint)(count - 1)));
        Assert.Equal(0u, h.Read32(Dst + 4 * (uint)count));
    }

    [Fact]
    public void LodsAndStosMoveThroughTheAccumulator()
    {
        var h = CpuHarness.Flat32();
        h.Write32(Src, 0x44332211);
        h.Load(a => { a.lodsb(); a.lodsw(); a.stosd(); a.hlt(); });
        h.Cpu.Regs[Cpu.EAX] = 0xAABBCCDD;
        h.Cpu.Regs[Cpu.ESI] = Src; h.Cpu.Regs[Cpu.EDI] = Dst;
        h.Run();
        // LODSB: AL = 0x11; LODSW from Src+1: AX = 0x3322; STOSD stores EAX.
        Assert.Equal(0xAABB3322u, h.Eax);
        Assert.Equal(0xAABB3322u, h.Read32(Dst));
        Assert.Equal(Src + 3, h.Esi);
        Assert.Equal(Dst + 4, h.Edi);
    }

    [Fact]
    public void RepeCmpsbStopsAtTheFirstDifferenceWithSubtractionFlags()
    {
        var h = CpuHarness.Flat32();
        byte[] a1 = { 1, 2, 3, 0x10, 5, 6 };
        byte[] a2 = { 1, 2, 3, 0x90, 5, 6 };
        h.Memory.WriteBytes(Src, a1);
        h.Memory.WriteBytes(Dst, a2);
        h.Load(a => { a.repe.cmpsb(); a.hlt(); });
        h.Cpu.Regs[Cpu.ESI] = Src; h.Cpu.Regs[Cpu.EDI] = Dst; h.Cpu.Regs[Cpu.ECX] = 6;
        h.Run();
        // Four comparisons: the fourth differs. Flags of 0x10 - 0x90 (source minus destination).
        Assert.Equal(2u, h.Ecx);
        Assert.Equal(Src + 4, h.Esi);
        Assert.Equal(Dst + 4, h.Edi);
        Assert.Equal(TestKit.SubFlags(8, 0x10, 0x90), h.Flags & TestKit.ArithMask);
    }

    [Fact]
    public void RepeCmpsdOverEqualBuffersRunsTheFullCountWithZfSet()
    {
        var h = CpuHarness.Flat32();
        for (uint k = 0; k < 5; k++) { h.Write32(Src + 4 * k, 0x80000000 + k); h.Write32(Dst + 4 * k, 0x80000000 + k); }
        h.Load(a => { a.repe.cmpsd(); a.hlt(); });
        h.Cpu.Regs[Cpu.ESI] = Src; h.Cpu.Regs[Cpu.EDI] = Dst; h.Cpu.Regs[Cpu.ECX] = 5;
        h.Run();
        Assert.Equal(0u, h.Ecx);
        Assert.Equal(TestKit.SubFlags(32, 0x80000004, 0x80000004), h.Flags & TestKit.ArithMask);
    }

    [Fact]
    public void RepneScasbFindsTheByte()
    {
        var h = CpuHarness.Flat32();
        h.Memory.WriteBytes(Dst, "hello, world\0"u8.ToArray());
        h.Load(a => { a.repne.scasb(); a.hlt(); });
        h.Cpu.Regs[Cpu.EAX] = 0xFFFFFF00 | ','; h.Cpu.Regs[Cpu.EDI] = Dst; h.Cpu.Regs[Cpu.ECX] = 100;
        h.Run();
        // ',' at index 5: six comparisons, EDI one past the match.
        Assert.Equal(100u - 6, h.Ecx);
        Assert.Equal(Dst + 6, h.Edi);
        Assert.Equal(TestKit.SubFlags(8, ',', ','), h.Flags & TestKit.ArithMask);
    }

    [Fact]
    public void ScaswSetsFlagsOfAccumulatorMinusMemory()
    {
        var h = CpuHarness.Flat32();
        h.Memory.Write16(Dst, 0x8001);
        h.Load(a => { a.scasw(); a.hlt(); });
        h.Cpu.Regs[Cpu.EAX] = 0x12347FFF; h.Cpu.Regs[Cpu.EDI] = Dst;
        h.Run();
        Assert.Equal(TestKit.SubFlags(16, 0x7FFF, 0x8001), h.Flags & TestKit.ArithMask);
        Assert.Equal(Dst + 2, h.Edi);
    }

    [Fact]
    public void RealModeSiAndDiWrapAt64KAndKeepTheirUpperHalves()
    {
        var h = CpuHarness.Real16();
        // DS = 0x2000 (base 0x20000), ES = 0x3000 (base 0x30000).
        h.Cpu.Segs[Cpu.DS].LoadReal(0x2000);
        h.Cpu.Segs[Cpu.ES].LoadReal(0x3000);
        h.Memory.Write8(0x2FFFF, 0xA1);
        h.Memory.Write8(0x20000, 0xA2);
        h.Load(a => { a.rep.movsb(); a.hlt(); });
        h.Cpu.Regs[Cpu.ESI] = 0x1234FFFF; h.Cpu.Regs[Cpu.EDI] = 0x5678FFFF; h.Cpu.Regs[Cpu.ECX] = 0x99990002;
        h.Run();
        Assert.Equal((byte)0xA1, h.Memory.Read8(0x3FFFF));
        Assert.Equal((byte)0xA2, h.Memory.Read8(0x30000));
        Assert.Equal(0x12340001u, h.Esi);
        Assert.Equal(0x56780001u, h.Edi);
        Assert.Equal(0x99990000u, h.Ecx);
    }

    [Fact]
    public void SegmentOverrideAppliesToTheSourceOnly()
    {
        var h = CpuHarness.Real16();
        h.Cpu.Segs[Cpu.DS].LoadReal(0x2000);
        h.Cpu.Segs[Cpu.FS].LoadReal(0x4000);
        h.Cpu.Segs[Cpu.ES].LoadReal(0x3000);
        h.Memory.Write8(0x20010, 0xD5); // DS:SI (must not be read)
        h.Memory.Write8(0x40010, 0xF5); // FS:SI
        // 64 A4: fs movsb. A segment override never redirects the ES:DI destination.
        h.LoadBytes(new byte[] { 0x64, 0xA4, 0x64, 0xAA, 0xF4 }); // fs movsb; fs stosb
        h.Cpu.Regs[Cpu.ESI] = 0x10; h.Cpu.Regs[Cpu.EDI] = 0x20; h.Cpu.Regs[Cpu.EAX] = 0x77;
        h.Run();
        Assert.Equal((byte)0xF5, h.Memory.Read8(0x30020));
        Assert.Equal((byte)0x77, h.Memory.Read8(0x30021));
        Assert.Equal(0, h.Memory.Read8(0x40021));
    }

    [Fact]
    public void MovsWith16BitAddressSizeIn32BitCodeUsesSiAndDi()
    {
        var h = CpuHarness.Flat32();
        h.Memory.Write8(0x1234, 0x5E);
        // 67 A4: movsb with SI/DI.
        h.LoadBytes(new byte[] { 0x67, 0xA4, 0xF4 });
        h.Cpu.Regs[Cpu.ESI] = 0xFFFF1234; h.Cpu.Regs[Cpu.EDI] = 0xFFFF5678;
        h.Run();
        Assert.Equal((byte)0x5E, h.Memory.Read8(0x5678));
        Assert.Equal(0xFFFF1235u, h.Esi);
        Assert.Equal(0xFFFF5679u, h.Edi);
    }

    [Fact]
    public void RepMovswFaultingMidwayLeavesRegistersAtTheFaultingIteration()
    {
        var h = CpuHarness.Real16();
        TestKit.InstallHaltingIvt(h);
        h.Cpu.Segs[Cpu.DS].LoadReal(0x2000);
        h.Cpu.Segs[Cpu.ES].LoadReal(0x3000);
        // SI = 0xFFFB: words at FFFB and FFFD copy; the word at FFFF crosses the 64 KiB limit: #GP.
        h.Load(a => { a.nop(); a.rep.movsw(); a.hlt(); });
        h.Memory.Write16(0x2FFFB, 0x1111);
        h.Memory.Write16(0x2FFFD, 0x2222);
        h.Cpu.Regs[Cpu.ESI] = 0xFFFB; h.Cpu.Regs[Cpu.EDI] = 0x100; h.Cpu.Regs[Cpu.ECX] = 5;
        h.Run();
        Assert.Equal(Vector.GP, TestKit.DeliveredVector(h));
        Assert.Equal((ushort)1, TestKit.PushedIp(h)); // the REP MOVSW itself (prefix included)
        Assert.Equal(3u, h.Ecx);
        Assert.Equal(0xFFFFu, h.Esi);
        Assert.Equal(0x104u, h.Edi);
        Assert.Equal((ushort)0x1111, h.Memory.Read16(0x30100));
        Assert.Equal((ushort)0x2222, h.Memory.Read16(0x30102));
    }

    [Fact]
    public void OutsAndInsTransferThroughThePort()
    {
        var h = CpuHarness.Flat32();
        var dev = new RecordingPortDevice();
        h.Ports.Register(0x1F0, 1, dev);
        h.Memory.WriteBytes(Src, new byte[] { 9, 8, 7 });
        dev.ReadValues.Enqueue(0xAAAA); dev.ReadValues.Enqueue(0xBBBB);
        h.Load(a => { a.rep.outsb(); a.mov(ecx, 2); a.rep.insw(); a.hlt(); });
        h.Cpu.Regs[Cpu.EDX] = 0x1F0; h.Cpu.Regs[Cpu.ESI] = Src; h.Cpu.Regs[Cpu.EDI] = Dst; h.Cpu.Regs[Cpu.ECX] = 3;
        h.Run();
        Assert.Equal(new[] { ((ushort)0x1F0, 1, 9u), ((ushort)0x1F0, 1, 8u), ((ushort)0x1F0, 1, 7u) }, dev.Writes);
        Assert.Equal((ushort)0xAAAA, h.Memory.Read16(Dst));
        Assert.Equal((ushort)0xBBBB, h.Memory.Read16(Dst + 2));
        Assert.Equal(Src + 3, h.Esi);
        Assert.Equal(Dst + 4, h.Edi);
        Assert.Equal(0u, h.Ecx);
    }

    [Fact]
    public void InsbIntoAnUnwritableDestinationDoesNotReadThePort()
    {
        var h = CpuHarness.Real16();
        TestKit.InstallHaltingIvt(h);
        var dev = new RecordingPortDevice();
        h.Ports.Register(0x80, 1, dev);
        h.Load(a => { a.insw(); a.hlt(); });
        h.Cpu.Regs[Cpu.EDX] = 0x80; h.Cpu.Regs[Cpu.EDI] = 0xFFFF; // a word at FFFF crosses the ES limit
        h.Run();
        Assert.Equal(Vector.GP, TestKit.DeliveredVector(h));
        Assert.Empty(dev.Reads);
        Assert.Equal(0xFFFFu, h.Edi);
    }

    [Fact]
    public void OutsAtRing3WithoutIoPrivilegeFaultsBeforeAnyWrite()
    {
        var h = CpuHarness.Flat32();
        var dev = new RecordingPortDevice();
        h.Ports.Register(0x1F0, 1, dev);
        h.Load(a => { a.rep.outsb(); a.hlt(); });
        TestKit.EnterRing3(h);
        h.Cpu.Regs[Cpu.EDX] = 0x1F0; h.Cpu.Regs[Cpu.ESI] = Src; h.Cpu.Regs[Cpu.ECX] = 3;
        h.Step(1);
        Assert.Empty(dev.Writes);
        Assert.Equal(3u, h.Ecx);
        Assert.Equal(Src, h.Esi);
        Assert.True(h.Cpu.TripleFaulted);
    }
}
