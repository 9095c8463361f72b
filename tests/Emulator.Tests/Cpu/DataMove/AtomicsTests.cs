using Emulator.Core.Cpu;
using Emulator.Tests.Support;
using static Iced.Intel.AssemblerRegisters;
using Cpu = Emulator.Core.Cpu.Cpu;

namespace Emulator.Tests.CpuTests.DataMove;

public class AtomicsTests
{
    private const uint D = CpuHarness.DataBase;

    [Theory]
    [InlineData(0x7FFFFFFFu, 1u)]
    [InlineData(0xFFFFFFFFu, 1u)]
    [InlineData(0x0000000Fu, 0x00000001u)]
    [InlineData(0x80000000u, 0x80000000u)]
    public void XaddOnMemoryExchangesAndAdds(uint mem, uint reg)
    {
        var h = CpuHarness.Flat32();
        h.Write32(D, mem);
        h.Load(a => { a.@lock.xadd(__dword_ptr[D], ebx); a.hlt(); });
        h.Cpu.Regs[Cpu.EBX] = reg;
        h.Run();
        Assert.Equal(unchecked(mem + reg), h.Read32(D));
        Assert.Equal(mem, h.Ebx);
        Assert.Equal(TestKit.AddFlags(32, mem, reg), h.Flags & TestKit.ArithMask);
    }

    [Fact]
    public void XaddByteRegisters()
    {
        var h = CpuHarness.Flat32();
        h.Load(a => { a.xadd(al, bl); a.hlt(); });
        h.Cpu.Regs[Cpu.EAX] = 0x123456F0; h.Cpu.Regs[Cpu.EBX] = 0xABCDEF20;
        h.Run();
        Assert.Equal(0x12345610u, h.Eax);
        Assert.Equal(0xABCDEFF0u, h.Ebx);
        Assert.Equal(TestKit.AddFlags(8, 0xF0, 0x20), h.Flags & TestKit.ArithMask);
    }

    [Fact]
    public void XaddWithTheSameRegisterLeavesTheSum()
    {
        var h = CpuHarness.Flat32();
        h.Load(a => { a.xadd(ecx, ecx); a.hlt(); });
        h.Cpu.Regs[Cpu.ECX] = 21;
        h.Run();
        Assert.Equal(42u, h.Ecx);
    }

    [Fact]
    public void CmpxchgEqualStoresTheSource()
    {
        var h = CpuHarness.Flat32();
        h.Write32(D, 0x1000);
        h.Load(a => { a.@lock.cmpxchg(__dword_ptr[D], ecx); a.hlt(); });
        h.Cpu.Regs[Cpu.EAX] = 0x1000; h.Cpu.Regs[Cpu.ECX] = 0x2000;
        h.Run();
        Assert.Equal(0x2000u, h.Read32(D));
        Assert.Equal(0x1000u, h.Eax);
        Assert.Equal(TestKit.SubFlags(32, 0x1000, 0x1000), h.Flags & TestKit.ArithMask);
    }

    [Fact]
    public void CmpxchgNotEqualLoadsTheAccumulator()
    {
        var h = CpuHarness.Flat32();
        h.Memory.Write16(D, 0x9000);
        h.Load(a => { a.cmpxchg(__word_ptr[D], cx); a.hlt(); });
        h.Cpu.Regs[Cpu.EAX] = 0xFFFF1000; h.Cpu.Regs[Cpu.ECX] = 0x2000;
        h.Run();
        Assert.Equal((ushort)0x9000, h.Memory.Read16(D));
        Assert.Equal(0xFFFF9000u, h.Eax);
        Assert.Equal(TestKit.SubFlags(16, 0x1000, 0x9000), h.Flags & TestKit.ArithMask);
    }

    [Fact]
    public void CmpxchgByteRegister()
    {
        var h = CpuHarness.Flat32();
        h.Load(a => { a.cmpxchg(bl, cl); a.hlt(); });
        h.Cpu.Regs[Cpu.EAX] = 0x44; h.Cpu.Regs[Cpu.EBX] = 0x44; h.Cpu.Regs[Cpu.ECX] = 0x99;
        h.Run();
        Assert.Equal(0x99u, h.Ebx);
        Assert.True((h.Flags & Cpu.FlagZF) != 0);
    }

    [Fact]
    public void Cmpxchg8bEqualStoresEcxEbxAndOnlyZfChanges()
    {
        var h = CpuHarness.Flat32();
        h.Memory.Write64(D, 0x11111111_22222222);
        h.Load(a => { a.@lock.cmpxchg8b(__qword_ptr[D]); a.hlt(); });
        h.Cpu.Regs[Cpu.EDX] = 0x11111111; h.Cpu.Regs[Cpu.EAX] = 0x22222222;
        h.Cpu.Regs[Cpu.ECX] = 0x33333333; h.Cpu.Regs[Cpu.EBX] = 0x44444444;
        h.Cpu.SetEflags(0x2 | Cpu.FlagCF | Cpu.FlagSF);
        h.Run();
        Assert.Equal(0x33333333_44444444ul, h.Memory.Read64(D));
        Assert.Equal(0x2 | Cpu.FlagCF | Cpu.FlagSF | Cpu.FlagZF, h.Flags);
        Assert.Equal(0x22222222u, h.Eax);
        Assert.Equal(0x11111111u, h.Edx);
    }

    [Fact]
    public void Cmpxchg8bNotEqualLoadsEdxEax()
    {
        var h = CpuHarness.Flat32();
        h.Memory.Write64(D, 0xAAAAAAAA_BBBBBBBB);
        h.Load(a => { a.cmpxchg8b(__qword_ptr[D]); a.hlt(); });
        h.Cpu.Regs[Cpu.EDX] = 1; h.Cpu.Regs[Cpu.EAX] = 2;
        h.Cpu.Regs[Cpu.ECX] = 3; h.Cpu.Regs[Cpu.EBX] = 4;
        h.Cpu.SetEflags(0x2 | Cpu.FlagZF);
        h.Run();
        Assert.Equal(0xAAAAAAAA_BBBBBBBBul, h.Memory.Read64(D));
        Assert.Equal(0xBBBBBBBBu, h.Eax);
        Assert.Equal(0xAAAAAAAAu, h.Edx);
        Assert.Equal(0x2u, h.Flags);
    }

    [Fact]
    public void Cmpxchg8bWithARegisterOperandIsInvalid()
    {
        var h = CpuHarness.Real16();
        TestKit.InstallHaltingIvt(h);
        h.LoadBytes(new byte[] { 0x0F, 0xC7, 0xC8, 0xF4 }); // 0F C7 /1 with mod = 11
        h.Run();
        Assert.Equal(Vector.UD, TestKit.DeliveredVector(h));
    }

    [Theory]
    [InlineData(new byte[] { 0xF0, 0x0F, 0xC1, 0xD8, 0xF4 })] // lock xadd ax, bx
    [InlineData(new byte[] { 0xF0, 0x0F, 0xB1, 0xD8, 0xF4 })] // lock cmpxchg ax, bx
    [InlineData(new byte[] { 0xF0, 0x87, 0xD8, 0xF4 })]       // lock xchg ax, bx
    public void LockWithARegisterDestinationIsInvalid(byte[] code)
    {
        var h = CpuHarness.Real16();
        TestKit.InstallHaltingIvt(h);
        h.Cpu.Regs[Cpu.EAX] = 5; h.Cpu.Regs[Cpu.EBX] = 7;
        h.LoadBytes(code);
        h.Run();
        Assert.Equal(Vector.UD, TestKit.DeliveredVector(h));
        Assert.Equal(5u, h.Eax);
        Assert.Equal(7u, h.Ebx);
    }
}
