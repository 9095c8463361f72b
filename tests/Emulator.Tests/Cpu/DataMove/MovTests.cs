using Emulator.Core.Cpu;
using Emulator.Tests.Support;
using Iced.Intel;
using static Iced.Intel.AssemblerRegisters;
using Cpu = Emulator.Core.Cpu.Cpu;

namespace Emulator.Tests.CpuTests.DataMove;

public class MovTests
{
    private const uint D = CpuHarness.DataBase;

    [Fact]
    public void MovMovesBetweenRegistersMemoryAndImmediates()
    {
        var h = CpuHarness.Flat32();
        h.Write32(D, 0x11223344);
        h.Load(a =>
        {
            a.mov(ebx, D);
            a.mov(eax, __dword_ptr[ebx]);          // r32, m32
            a.mov(__dword_ptr[ebx + 4], eax);       // m32, r32
            a.mov(cl, __byte_ptr[ebx + 1]);         // r8, m8
            a.mov(ch, cl);                          // high byte register
            a.mov(__word_ptr[ebx + 8], 0xBEEF);     // m16, imm16
            a.mov(__byte_ptr[ebx + 12], 0x7F);      // m8, imm8
            a.mov(dx, 0x1234);                      // r16, imm16 keeps the upper half
            a.hlt();
        });
        h.Cpu.Regs[Cpu.ECX] = 0xAAAA0000;
        h.Cpu.Regs[Cpu.EDX] = 0xCCCC0000;
        h.Run();
        Assert.Equal(0x11223344u, h.Eax);
        Assert.Equal(0x11223344u, h.Read32(D + 4));
        Assert.Equal(0xAAAA3333u, h.Ecx);
        Assert.Equal((ushort)0xBEEF, h.Memory.Read16(D + 8));
        Assert.Equal((byte)0x7F, h.Memory.Read8(D + 12));
        Assert.Equal(0xCCCC1234u, h.Edx);
    }

    [Fact]
    public void MovMoffsFormsUseTheAbsoluteOffset()
    {
        var h = CpuHarness.Flat32();
        h.Write32(D + 0x10, 0xCAFEBABE);
        // A1 moffs32 (mov eax,[moffs]) and A3 moffs32 (mov [moffs],eax); A0 moffs8 (mov al,[moffs]).
        var bytes = new List<byte> { 0xA1 };
        bytes.AddRange(BitConverter.GetBytes(D + 0x10));
        bytes.Add(0xA3); bytes.AddRange(BitConverter.GetBytes(D + 0x20));
        bytes.Add(0xA0); bytes.AddRange(BitConverter.GetBytes(D + 0x13));
        bytes.Add(0xF4);
        h.LoadBytes(bytes.ToArray());
        h.Run();
        Assert.Equal(0xCAFEBACAu, h.Eax); // AL replaced by the byte at D+0x13 (0xCA)
        Assert.Equal(0xCAFEBABEu, h.Read32(D + 0x20));
    }

    [Fact]
    public void MovFromSegmentRegisterZeroExtendsInto32BitRegisterAndWrites16BitsToMemory()
    {
        var h = CpuHarness.Flat32();
        h.Write32(D, 0xAAAAAAAA);
        h.Load(a =>
        {
            a.mov(eax, ds);
            a.mov(bx, ss);
            a.mov(__word_ptr[D], ds);
            a.hlt();
        });
        h.Cpu.Regs[Cpu.EAX] = 0xFFFFFFFF;
        h.Cpu.Regs[Cpu.EBX] = 0xFFFFFFFF;
        h.Run();
        Assert.Equal(0x00000010u, h.Eax);
        Assert.Equal(0xFFFF0010u, h.Ebx);
        Assert.Equal(0xAAAA0010u, h.Read32(D));
    }

    [Fact]
    public void MovToSegmentRegisterInRealModeLoadsBaseAndMovSsSetsTheInterruptShadow()
    {
        var h = CpuHarness.Real16();
        h.Memory.Write16(0x2340 + 0x10, 0x5A5A);
        h.Load(a =>
        {
            a.mov(ds, ax);
            a.mov(cx, __word_ptr[0x10]);
            a.mov(ss, dx);
            a.nop();
            a.hlt();
        });
        h.Cpu.Regs[Cpu.EAX] = 0x0234;
        h.Cpu.Regs[Cpu.EDX] = 0x0300;
        h.Step(2);
        Assert.Equal((ushort)0x0234, h.Cpu.Segs[Cpu.DS].Selector);
        Assert.Equal(0x2340u, h.Cpu.Segs[Cpu.DS].Base);
        Assert.Equal(0x5A5Au, h.Ecx & 0xFFFF);
        Assert.False(h.Cpu.InterruptShadow);
        h.Step(1);
        Assert.Equal(0x3000u, h.Cpu.Segs[Cpu.SS].Base);
        Assert.True(h.Cpu.InterruptShadow);
        h.Step(1);
        Assert.False(h.Cpu.InterruptShadow);
    }

    [Fact]
    public void MovToCsIsInvalidOpcode()
    {
        var h = CpuHarness.Real16();
        TestKit.InstallHaltingIvt(h);
        h.LoadBytes(new byte[] { 0x8E, 0xC8, 0xF4 }); // mov cs, ax
        h.Run();
        Assert.Equal(Vector.UD, TestKit.DeliveredVector(h));
        Assert.Equal((ushort)0, TestKit.PushedIp(h));
        Assert.Equal((ushort)(CpuHarness.CodeBase >> 4), h.Memory.Read16(0xFFF0 - 4)); // CS unchanged
    }

    [Fact]
    public void MovzxAndMovsxExtendBytesAndWords()
    {
        var h = CpuHarness.Flat32();
        h.Write32(D, 0x8001_80F0);
        h.Load(a =>
        {
            a.movzx(eax, __byte_ptr[D]);
            a.movsx(ebx, __byte_ptr[D]);
            a.movzx(ecx, __word_ptr[D + 2]);
            a.movsx(edx, __word_ptr[D + 2]);
            a.movsx(si, bl);
            a.movzx(di, __byte_ptr[D + 1]);
            a.hlt();
        });
        h.Cpu.Regs[Cpu.ESI] = 0x12340000;
        h.Cpu.Regs[Cpu.EDI] = 0x56780000;
        h.Run();
        Assert.Equal(0x000000F0u, h.Eax);
        Assert.Equal(0xFFFFFFF0u, h.Ebx);
        Assert.Equal(0x00008001u, h.Ecx);
        Assert.Equal(0xFFFF8001u, h.Edx);
        Assert.Equal(0x1234FFF0u, h.Esi);
        Assert.Equal(0x56780080u, h.Edi);
    }

    [Fact]
    public void LeaComputesTheAddressWithoutTouchingMemory()
    {
        var h = CpuHarness.Flat32();
        h.Load(a =>
        {
            a.lea(eax, __[ebx + ecx * 4 + 0x100]);
            a.lea(dx, __[ebx - 1]);  // 16-bit operand size: the 32-bit address truncated
            a.hlt();
        });
        h.Cpu.Regs[Cpu.EBX] = 0x7FFF0001;
        h.Cpu.Regs[Cpu.ECX] = 0x10;
        h.Cpu.Regs[Cpu.EDX] = 0xABCD0000;
        h.Run();
        Assert.Equal(0x7FFF0001u + 0x40 + 0x100, h.Eax);
        Assert.Equal(0xABCD0000u, h.Edx); // 0x7FFF0000 truncated to 16 bits is 0
    }

    [Fact]
    public void LeaWith16BitAddressingWrapsAndZeroExtendsTo32Bits()
    {
        var h = CpuHarness.Real16();
        h.Load(a =>
        {
            a.lea(ax, __[bx + si + 0x10]);
            a.lea(ecx, __[bx + si]);     // 66: 32-bit operand, 16-bit address: zero-extended
            a.lea(dx, __[ebx + esi]);    // 67: 32-bit address truncated to 16 bits
            a.hlt();
        });
        h.Cpu.Regs[Cpu.EBX] = 0x0001FFF0;
        h.Cpu.Regs[Cpu.ESI] = 0x00000030;
        h.Cpu.Regs[Cpu.ECX] = 0xFFFFFFFF;
        h.Cpu.Regs[Cpu.EDX] = 0xEEEE0000;
        h.Run();
        Assert.Equal(0x0030u, h.Eax & 0xFFFF);   // 0xFFF0 + 0x30 + 0x10 = 0x10030, wraps to 0x0030
        Assert.Equal(0x00000020u, h.Ecx);        // (0xFFF0 + 0x30) & 0xFFFF
        Assert.Equal(0xEEEE0020u, h.Edx);        // 0x00020020 truncated
    }

    [Fact]
    public void XchgSwapsRegistersAndMemory()
    {
        var h = CpuHarness.Flat32();
        h.Write32(D, 0x0BADF00D);
        h.Load(a =>
        {
            a.xchg(eax, ebx);
            a.xchg(__dword_ptr[D], ecx);
            a.xchg(dl, dh);
            a.hlt();
        });
        h.Cpu.Regs[Cpu.EAX] = 1; h.Cpu.Regs[Cpu.EBX] = 2; h.Cpu.Regs[Cpu.ECX] = 3;
        h.Cpu.Regs[Cpu.EDX] = 0x12345678;
        h.Run();
        Assert.Equal(2u, h.Eax);
        Assert.Equal(1u, h.Ebx);
        Assert.Equal(0x0BADF00Du, h.Ecx);
        Assert.Equal(3u, h.Read32(D));
        Assert.Equal(0x12347856u, h.Edx);
    }

    [Fact]
    public void XlatIndexesTheTableWithUnsignedAl()
    {
        var h = CpuHarness.Flat32();
        for (uint k = 0; k < 256; k++) h.Memory.Write8(D + k, (byte)(255 - k));
        h.Load(a => { a.xlatb(); a.hlt(); });
        h.Cpu.Regs[Cpu.EBX] = D;
        h.Cpu.Regs[Cpu.EAX] = 0x123456C8; // AL = 200, unsigned
        h.Run();
        Assert.Equal(0x12345600u | (255 - 200), h.Eax);
    }

    [Fact]
    public void BoundWithinSignedRangeDoesNothing()
    {
        var h = CpuHarness.Real16();
        TestKit.InstallHaltingIvt(h);
        h.Memory.Write16(0x3000, unchecked((ushort)-5));
        h.Memory.Write16(0x3002, 5);
        h.Load(a => { a.bound(ax, __dword_ptr[0x3000]); a.hlt(); });
        h.Cpu.Regs[Cpu.EAX] = unchecked((ushort)-3);
        h.Run();
        Assert.Equal(-1, TestKit.DeliveredVector(h));
        Assert.Equal(5u, h.Cpu.Eip); // BOUND (4 bytes) then HLT at 4
    }

    [Theory]
    [InlineData(6)]
    [InlineData(-6)]
    public void BoundOutOfRangeRaisesBr(int index)
    {
        var h = CpuHarness.Real16();
        TestKit.InstallHaltingIvt(h);
        h.Memory.Write16(0x3000, unchecked((ushort)-5));
        h.Memory.Write16(0x3002, 5);
        h.Load(a => { a.nop(); a.bound(ax, __dword_ptr[0x3000]); a.hlt(); });
        h.Cpu.Regs[Cpu.EAX] = (ushort)index;
        h.Run();
        Assert.Equal(Vector.BR, TestKit.DeliveredVector(h));
        Assert.Equal((ushort)1, TestKit.PushedIp(h)); // #BR is a fault: IP of BOUND
    }

    [Fact]
    public void Bound32UsesSignedDwords()
    {
        var h = CpuHarness.Real16();
        TestKit.InstallHaltingIvt(h);
        h.Memory.Write32(0x3000, 0x80000000); // lower = int.MinValue
        h.Memory.Write32(0x3004, 0x7FFFFFFF); // upper = int.MaxValue
        h.Load(a => { a.bound(eax, __qword_ptr[0x3000]); a.hlt(); });
        h.Cpu.Regs[Cpu.EAX] = 0xFFFFFFFF; // -1: in range
        h.Run();
        Assert.Equal(-1, TestKit.DeliveredVector(h));
    }
}
