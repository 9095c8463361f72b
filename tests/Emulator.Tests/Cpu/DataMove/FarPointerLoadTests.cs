using Emulator.Tests.Support;
using static Iced.Intel.AssemblerRegisters;
using Cpu = Emulator.Core.Cpu.Cpu;

namespace Emulator.Tests.CpuTests.DataMove;

public class FarPointerLoadTests
{
    [Fact]
    public void LdsLesLfsLgsLoadOffsetAndSegmentInRealMode()
    {
        var h = CpuHarness.Real16();
        // Far pointers: offset (16) then selector (16), and a 32-bit-offset pointer for LGS.
        h.Memory.Write16(0x3000, 0x1111); h.Memory.Write16(0x3002, 0x0100);
        h.Memory.Write16(0x3004, 0x2222); h.Memory.Write16(0x3006, 0x0200);
        h.Memory.Write16(0x3008, 0x3333); h.Memory.Write16(0x300A, 0x0300);
        h.Memory.Write32(0x3010, 0x44445555); h.Memory.Write16(0x3014, 0x0400);
        h.Load(a =>
        {
            a.les(bx, __dword_ptr[0x3004]);
            a.lfs(cx, __dword_ptr[0x3008]);
            a.lgs(edx, __fword_ptr[0x3010]);
            a.lds(si, __dword_ptr[0x3000]);   // last: DS is the default segment of the others
            a.hlt();
        });
        h.Cpu.Regs[Cpu.EBX] = 0xFFFF0000;
        h.Run();
        Assert.Equal((ushort)0x0100, h.Cpu.Segs[Cpu.DS].Selector);
        Assert.Equal(0x1000u, h.Cpu.Segs[Cpu.DS].Base);
        Assert.Equal(0x1111u, h.Esi);
        Assert.Equal((ushort)0x0200, h.Cpu.Segs[Cpu.ES].Selector);
        Assert.Equal(0xFFFF2222u, h.Ebx);
        Assert.Equal(0x3000u, h.Cpu.Segs[Cpu.FS].Base);
        Assert.Equal(0x3333u, h.Ecx);
        Assert.Equal(0x4000u, h.Cpu.Segs[Cpu.GS].Base);
        Assert.Equal(0x44445555u, h.Edx);
    }

    [Fact]
    public void LssLoadsTheStackWithoutAnInterruptShadow()
    {
        var h = CpuHarness.Real16();
        h.Memory.Write16(0x3000, 0x0800); h.Memory.Write16(0x3002, 0x0500);
        h.Load(a => { a.lss(sp, __dword_ptr[0x3000]); a.hlt(); });
        h.Step(1);
        Assert.Equal(0x5000u, h.Cpu.Segs[Cpu.SS].Base);
        Assert.Equal(0x0800u, h.Esp & 0xFFFF);
        // SDM: only MOV SS and POP SS inhibit interrupts for the next instruction.
        Assert.False(h.Cpu.InterruptShadow);
    }
}
