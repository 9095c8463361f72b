using Emulator.Core.Cpu;
using Emulator.Tests.Support;
using Iced.Intel;
using static Iced.Intel.AssemblerRegisters;
using Cpu = Emulator.Core.Cpu.Cpu;

namespace Emulator.Tests.CpuTests.DataMove;

public class ControlFlowTests
{
    private const uint Top = CpuHarness.StackTop;

    [Fact]
    public void JmpRelativeRegisterAndMemoryForms()
    {
        var h = CpuHarness.Flat32();
        var bytes = h.Load(a =>
        {
            var l1 = a.CreateLabel(); var l2 = a.CreateLabel(); var l3 = a.CreateLabel();
            a.jmp(l1);
            a.mov(eax, 0xBAD); a.hlt();
            a.Label(ref l1);
            a.jmp(ebx);
            a.hlt();
            a.Label(ref l2);
            a.jmp(__dword_ptr[CpuHarness.DataBase]);
            a.hlt();
            a.Label(ref l3);
            a.mov(ecx, 3);
            a.hlt();
        });
        // Layout: EB xx (2) | B8 imm32 (5) | F4 | FF E3 (2) | F4 | FF 25 m32 (6) | F4 | B9 imm32 | F4
        uint l2Addr = CpuHarness.CodeBase + 2 + 5 + 1 + 2 + 1;
        uint l3Addr = l2Addr + 6 + 1;
        Assert.Equal(0xFF, bytes[l2Addr - CpuHarness.CodeBase]);
        h.Cpu.Regs[Cpu.EBX] = l2Addr;
        h.Write32(CpuHarness.DataBase, l3Addr);
        h.Run();
        Assert.Equal(0u, h.Eax);
        Assert.Equal(3u, h.Ecx);
        Assert.Equal(l3Addr + 6, h.Cpu.Eip);
    }

    private static bool Reference(ConditionCode cc, uint f)
    {
        bool cf = (f & Cpu.FlagCF) != 0, zf = (f & Cpu.FlagZF) != 0, sf = (f & Cpu.FlagSF) != 0,
             of = (f & Cpu.FlagOF) != 0, pf = (f & Cpu.FlagPF) != 0;
        return cc switch
        {
            ConditionCode.o => of, ConditionCode.no => !of,
            ConditionCode.b => cf, ConditionCode.ae => !cf,
            ConditionCode.e => zf, ConditionCode.ne => !zf,
            ConditionCode.be => cf || zf, ConditionCode.a => !cf && !zf,
            ConditionCode.s => sf, ConditionCode.ns => !sf,
            ConditionCode.p => pf, ConditionCode.np => !pf,
            ConditionCode.l => sf != of, ConditionCode.ge => sf == of,
            ConditionCode.le => zf || sf != of, ConditionCode.g => !zf && sf == of,
            _ => throw new ArgumentOutOfRangeException(nameof(cc)),
        };
    }

    public static IEnumerable<object[]> FlagCombinations()
    {
        uint[] bits = { Cpu.FlagCF, Cpu.FlagZF, Cpu.FlagSF, Cpu.FlagOF, Cpu.FlagPF };
        for (int m = 0; m < 32; m++)
        {
            uint f = 0;
            for (int b = 0; b < 5; b++) if ((m & (1 << b)) != 0) f |= bits[b];
            yield return new object[] { f };
        }
    }

    [Theory]
    [MemberData(nameof(FlagCombinations))]
    public void EveryJccFollowsItsConditionForEveryFlagCombination(uint flags)
    {
        // Jcc opcode 0x70 + cc with cc in the SDM order o,no,b,ae,e,ne,be,a,s,ns,p,np,l,ge,le,g.
        ConditionCode[] order =
        {
            ConditionCode.o, ConditionCode.no, ConditionCode.b, ConditionCode.ae, ConditionCode.e, ConditionCode.ne,
            ConditionCode.be, ConditionCode.a, ConditionCode.s, ConditionCode.ns, ConditionCode.p, ConditionCode.np,
            ConditionCode.l, ConditionCode.ge, ConditionCode.le, ConditionCode.g,
        };
        var h = CpuHarness.Flat32(1);
        for (int cc = 0; cc < 16; cc++)
        {
            foreach (bool near in new[] { false, true })
            {
                h.Cpu.Halted = false;
                // short: 7x 01 F4 F4 ; near: 0F 8x 01 00 00 00 F4 F4. Taken lands on the second HLT.
                byte[] code = near
                    ? new byte[] { 0x0F, (byte)(0x80 + cc), 1, 0, 0, 0, 0xF4, 0xF4 }
                    : new byte[] { (byte)(0x70 + cc), 1, 0xF4, 0xF4 };
                h.LoadBytes(code);
                h.Cpu.SetEflags(0x2 | flags);
                h.Run();
                uint expectedEip = CpuHarness.CodeBase + (uint)code.Length - (Reference(order[cc], flags) ? 0u : 1u);
                Assert.Equal(expectedEip, h.Cpu.Eip);
            }
        }
    }

    [Fact]
    public void JmpRel16In32BitCodeTruncatesTheTargetTo16Bits()
    {
        var h = CpuHarness.Flat32();
        // 66 E9 disp16 at CodeBase: next IP = CodeBase + 4; target = (CodeBase + 4 + 0x100) & 0xFFFF = 0x104.
        h.LoadBytes(new byte[] { 0x66, 0xE9, 0x00, 0x01 });
        h.Memory.Write8(0x104, 0xF4);
        h.Run();
        Assert.Equal(0x105u, h.Cpu.Eip);
    }

    [Fact]
    public void NearJumpBeyondTheCsLimitRaisesGp()
    {
        var h = CpuHarness.Real16();
        TestKit.InstallHaltingIvt(h);
        // 66 E9 rel32 in real mode: target 0x20000 is beyond the 64 KiB CS limit.
        uint rel = 0x20000u - 6;
        h.LoadBytes(new byte[] { 0x66, 0xE9, (byte)rel, (byte)(rel >> 8), (byte)(rel >> 16), (byte)(rel >> 24) });
        h.Run();
        Assert.Equal(Vector.GP, TestKit.DeliveredVector(h));
        Assert.Equal((ushort)0, TestKit.PushedIp(h));
    }

    [Fact]
    public void CallAndRetNearWithImmediateRelease()
    {
        var h = CpuHarness.Flat32();
        uint retAddr = 0;
        h.Load(a =>
        {
            var f = a.CreateLabel(); var g = a.CreateLabel();
            a.push(0x55);              // argument: 2 bytes (6A 55)
            a.call(f);                 // 5 bytes at +2, returns to +7
            a.call(ebx);               // FF D3 at +7, returns to +9
            a.hlt();
            a.Label(ref f);
            a.mov(eax, __dword_ptr[esp]);  // return address
            a.ret(4);                  // releases the argument too
            a.Label(ref g);
            a.mov(ecx, 7);
            a.ret();
        });
        // g follows f: mov eax,[esp] (3) + ret 4 (3), f at +10.
        uint fAddr = CpuHarness.CodeBase + 10;
        h.Cpu.Regs[Cpu.EBX] = fAddr + 6;
        retAddr = CpuHarness.CodeBase + 7;
        h.Run();
        Assert.Equal(retAddr, h.Eax);
        Assert.Equal(7u, h.Ecx);
        Assert.Equal(Top, h.Esp);
        Assert.Equal(CpuHarness.CodeBase + 10, h.Cpu.Eip);
    }

    [Fact]
    public void CallAndRetWith16BitOperandSizeInRealMode()
    {
        var h = CpuHarness.Real16();
        h.Load(a =>
        {
            var f = a.CreateLabel();
            a.call(f);          // E8 rel16 (3 bytes)
            a.hlt();
            a.Label(ref f);
            a.mov(ax, __word_ptr[bp]);   // BP points at the pushed return address (SS is BP's default segment)
            a.ret(2);
        });
        h.Cpu.Regs[Cpu.ESP] = 0xFFF0;
        h.Cpu.Regs[Cpu.EBP] = 0xFFEE; // where the return address lands
        h.Memory.Write16(0xFFF0, 0x1111); // a word argument released by ret 2
        h.Run();
        Assert.Equal(3u, h.Eax & 0xFFFF);   // return IP pushed as 16 bits
        Assert.Equal(0xFFF2u, h.Esp);
        Assert.Equal(4u, h.Cpu.Eip);
    }

    [Fact]
    public void RetToATargetBeyondTheCsLimitFaultsAndKeepsSp()
    {
        var h = CpuHarness.Real16();
        TestKit.InstallHaltingIvt(h);
        // 66 C3: retd pops 4 bytes; 0x00012345 is beyond the 64 KiB limit.
        h.Memory.Write32(0x8000, 0x00012345);
        h.Cpu.Regs[Cpu.ESP] = 0x8000;
        h.LoadBytes(new byte[] { 0x66, 0xC3 });
        h.Run();
        Assert.Equal(Vector.GP, TestKit.DeliveredVector(h));
        Assert.Equal(0x8000u - 6, h.Esp);
    }

    [Fact]
    public void JcxzAndJecxzTestTheirCounterWidth()
    {
        var h = CpuHarness.Flat32();
        h.Load(a =>
        {
            var t1 = a.CreateLabel(); var t2 = a.CreateLabel();
            a.jecxz(t1);      // ECX = 0x10000: not taken
            a.mov(eax, 1);
            a.Label(ref t1);
            a.jcxz(t2);       // 67 E3: CX = 0: taken
            a.mov(ebx, 1);
            a.Label(ref t2);
            a.hlt();
        });
        h.Cpu.Regs[Cpu.ECX] = 0x10000;
        h.Run();
        Assert.Equal(1u, h.Eax);
        Assert.Equal(0u, h.Ebx);
    }

    [Fact]
    public void LoopCountsDownEcx()
    {
        var h = CpuHarness.Flat32();
        h.Load(a =>
        {
            var top = a.CreateLabel();
            a.Label(ref top);
            a.xchg(eax, edx);   // toggles, counts iterations via EBX below
            a.lea(ebx, __[ebx + 1]);
            a.loop(top);
            a.hlt();
        });
        h.Cpu.Regs[Cpu.ECX] = 5;
        h.Run();
        Assert.Equal(5u, h.Ebx);
        Assert.Equal(0u, h.Ecx);
    }

    [Fact]
    public void LoopWith16BitAddressSizeUsesCxAndKeepsTheUpperHalf()
    {
        var h = CpuHarness.Real16();
        h.Load(a =>
        {
            var top = a.CreateLabel();
            a.Label(ref top);
            a.lea(bx, __[bx + 1]);
            a.loop(top);
            a.hlt();
        });
        h.Cpu.Regs[Cpu.ECX] = 0xABCD0003;
        h.Run();
        Assert.Equal(3u, h.Ebx);
        Assert.Equal(0xABCD0000u, h.Ecx);
    }

    [Fact]
    public void LoopWithCxZeroRuns65536Times()
    {
        var h = CpuHarness.Real16();
        h.Load(a =>
        {
            var top = a.CreateLabel();
            a.Label(ref top);
            a.loop(top);
            a.hlt();
        });
        h.Cpu.Regs[Cpu.ECX] = 0x00070000; // CX = 0: decrements to 0xFFFF first
        int steps = h.Run(200_000);
        Assert.Equal(65536 + 1, steps);
        Assert.Equal(0x00070000u, h.Ecx);
    }

    [Theory]
    // LOOPE continues while ZF = 1, LOOPNE while ZF = 0; both stop when the count reaches 0.
    [InlineData(true, true, 3u)]
    [InlineData(true, false, 1u)]
    [InlineData(false, false, 3u)]
    [InlineData(false, true, 1u)]
    public void LoopeAndLoopneAlsoTestZf(bool loope, bool zf, uint expectedIterations)
    {
        var h = CpuHarness.Flat32();
        h.Load(a =>
        {
            var top = a.CreateLabel();
            a.Label(ref top);
            a.lea(ebx, __[ebx + 1]);
            if (loope) a.loope(top); else a.loopne(top);
            a.hlt();
        });
        h.Cpu.Regs[Cpu.ECX] = 3;
        h.Cpu.SetEflags(0x2 | (zf ? Cpu.FlagZF : 0));
        h.Run();
        Assert.Equal(expectedIterations, h.Ebx);
        Assert.Equal(3u - expectedIterations, h.Ecx);
    }
}
