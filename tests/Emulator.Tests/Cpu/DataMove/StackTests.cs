using Emulator.Core.Cpu;
using Emulator.Tests.Support;
using static Iced.Intel.AssemblerRegisters;
using Cpu = Emulator.Core.Cpu.Cpu;

namespace Emulator.Tests.CpuTests.DataMove;

public class StackTests
{
    private const uint Top = CpuHarness.StackTop;
    private const uint D = CpuHarness.DataBase;

    [Fact]
    public void PushAndPopRegistersImmediatesAndMemory()
    {
        var h = CpuHarness.Flat32();
        h.Write32(D, 0xA5A5A5A5);
        h.Load(a =>
        {
            a.push(eax);                    // Top-4
            a.push(-2);                     // pushd imm8, sign-extended: Top-8
            a.push(__dword_ptr[D]);         // Top-12
            a.push(bx);                     // 16-bit push: Top-14
            a.pop(cx);
            a.pop(__dword_ptr[D + 4]);
            a.pop(edx);
            a.pop(esi);
            a.hlt();
        });
        h.Cpu.Regs[Cpu.EAX] = 0x01020304;
        h.Cpu.Regs[Cpu.EBX] = 0x0000BEEF;
        h.Cpu.Regs[Cpu.ECX] = 0x77770000;
        h.Step(4);
        Assert.Equal(Top - 14, h.Esp);
        Assert.Equal(0x01020304u, h.Read32(Top - 4));
        Assert.Equal(0xFFFFFFFEu, h.Read32(Top - 8));
        Assert.Equal(0xA5A5A5A5u, h.Read32(Top - 12));
        Assert.Equal((ushort)0xBEEF, h.Memory.Read16(Top - 14));
        h.Run();
        Assert.Equal(Top, h.Esp);
        Assert.Equal(0x7777BEEFu, h.Ecx);
        Assert.Equal(0xA5A5A5A5u, h.Read32(D + 4));
        Assert.Equal(0xFFFFFFFEu, h.Edx);
        Assert.Equal(0x01020304u, h.Esi);
    }

    [Fact]
    public void PushEspPushesTheValueBeforeTheDecrement()
    {
        var h = CpuHarness.Flat32();
        h.Load(a => { a.push(esp); a.hlt(); });
        h.Run();
        Assert.Equal(Top, h.Read32(Top - 4));
        Assert.Equal(Top - 4, h.Esp);
    }

    [Fact]
    public void PopEspLoadsThePoppedValue()
    {
        var h = CpuHarness.Flat32();
        h.Write32(Top - 4, 0x00012340);
        h.Cpu.Regs[Cpu.ESP] = Top - 4;
        h.Load(a => { a.pop(esp); a.hlt(); });
        h.Run();
        Assert.Equal(0x00012340u, h.Esp);
    }

    [Fact]
    public void PopIntoMemoryAddressedByEspUsesTheIncrementedEsp()
    {
        var h = CpuHarness.Flat32();
        h.Cpu.Regs[Cpu.ESP] = Top - 8;
        h.Write32(Top - 8, 0xDDCCBBAA);
        h.Write32(Top - 4, 0);
        h.Write32(Top, 0);
        // pop dword [esp]: the address is computed with ESP after the pop (Top - 4), not before (Top - 8).
        h.Load(a => { a.pop(__dword_ptr[esp]); a.hlt(); });
        h.Run();
        Assert.Equal(Top - 4, h.Esp);
        Assert.Equal(0xDDCCBBAAu, h.Read32(Top - 4));
    }

    [Fact]
    public void PushSegmentRegisterWith32BitOperandWritesOnly16Bits()
    {
        var h = CpuHarness.Flat32();
        h.Write32(Top - 4, 0xAAAAAAAA);
        h.Load(a => { a.push(ds); a.hlt(); });
        h.Run();
        Assert.Equal(Top - 4, h.Esp);
        Assert.Equal(0xAAAA0010u, h.Read32(Top - 4));
    }

    [Fact]
    public void PopSegmentRegistersInRealModeAndPopSsSetsTheShadow()
    {
        var h = CpuHarness.Real16();
        h.Memory.Write16(0xFFF0 - 4, 0x1234);
        h.Memory.Write16(0xFFF0 - 2, 0x0000);
        h.Cpu.Regs[Cpu.ESP] = 0xFFF0 - 4;
        h.Load(a => { a.pop(es); a.pop(ss); a.nop(); a.hlt(); });
        h.Step(1);
        Assert.Equal(0x12340u, h.Cpu.Segs[Cpu.ES].Base);
        Assert.False(h.Cpu.InterruptShadow);
        h.Step(1);
        Assert.True(h.Cpu.InterruptShadow);
        Assert.Equal(0xFFF0u, h.Esp);
    }

    [Fact]
    public void Pushad32LayoutAndPopadSkipsEsp()
    {
        var h = CpuHarness.Flat32();
        h.Load(a => { a.pushad(); a.hlt(); });
        uint[] values = { 0x10, 0x11, 0x12, 0x13, 0 /* esp */, 0x15, 0x16, 0x17 };
        for (int r = 0; r < 8; r++) if (r != Cpu.ESP) h.Cpu.Regs[r] = values[r];
        h.Run();
        Assert.Equal(Top - 32, h.Esp);
        // EAX at the highest address, EDI at the lowest; the ESP slot holds ESP before PUSHAD.
        uint[] expected = { 0x17, 0x16, 0x15, Top, 0x13, 0x12, 0x11, 0x10 };
        for (int k = 0; k < 8; k++) Assert.Equal(expected[k], h.Read32(Top - 32 + (uint)(4 * k)));

        // POPAD: overwrite the ESP slot with garbage; it must be ignored.
        h.Write32(Top - 32 + 12, 0xDEAD0000);
        for (int r = 0; r < 8; r++) if (r != Cpu.ESP) h.Cpu.Regs[r] = 0;
        h.Cpu.Halted = false;
        h.Load(a => { a.popad(); a.hlt(); });
        h.Run();
        Assert.Equal(Top, h.Esp);
        for (int r = 0; r < 8; r++) if (r != Cpu.ESP) Assert.Equal(values[r], h.Cpu.Regs[r]);
    }

    [Fact]
    public void Pusha16LayoutInRealModeAndPopaKeepsUpperHalves()
    {
        var h = CpuHarness.Real16();
        h.Load(a => { a.pusha(); a.popa(); a.hlt(); });
        for (int r = 0; r < 8; r++) if (r != Cpu.ESP) h.Cpu.Regs[r] = 0xABCD0000u | (uint)(0x100 + r);
        h.Step(1);
        Assert.Equal(0xFFF0u - 16, h.Esp);
        ushort[] expected = { 0x107, 0x106, 0x105, 0xFFF0, 0x103, 0x102, 0x101, 0x100 };
        for (int k = 0; k < 8; k++) Assert.Equal(expected[k], h.Memory.Read16(0xFFF0 - 16 + (uint)(2 * k)));
        for (int r = 0; r < 8; r++) if (r != Cpu.ESP) h.Cpu.Regs[r] = 0x99990000;
        h.Run();
        Assert.Equal(0xFFF0u, h.Esp);
        for (int r = 0; r < 8; r++) if (r != Cpu.ESP) Assert.Equal(0x99990000u | (uint)(0x100 + r), h.Cpu.Regs[r]);
    }

    [Fact]
    public void PopaThatRunsOffTheStackSegmentCommitsNothing()
    {
        var h = CpuHarness.Real16();
        TestKit.InstallHaltingIvt(h);
        // SP wraps at 64 KiB, so only an access straddling the limit faults: with SP = 0xFFF7 the fifth
        // word (at 0xFFFF) crosses it and raises #SS after four slots were read.
        h.Cpu.Regs[Cpu.ESP] = 0xFFF7;
        h.Load(a => { a.nop(); a.popa(); a.hlt(); });
        for (int r = 0; r < 8; r++) if (r != Cpu.ESP) h.Cpu.Regs[r] = 0x5000u + (uint)r;
        h.Run();
        Assert.Equal(Vector.SS, TestKit.DeliveredVector(h));
        Assert.Equal((ushort)1, TestKit.PushedIp(h));
        Assert.Equal(0xFFF7u - 6, h.Esp); // the exception frame is pushed below the unchanged SP
        for (int r = 0; r < 8; r++) if (r != Cpu.ESP) Assert.Equal(0x5000u + (uint)r, h.Cpu.Regs[r]);
    }

    [Fact]
    public void PopAcrossTheRealModeStackLimitFaultsAndLeavesSpAndRegister()
    {
        var h = CpuHarness.Real16();
        TestKit.InstallHaltingIvt(h);
        h.Cpu.Regs[Cpu.ESP] = 0xFFFF;
        h.Cpu.Regs[Cpu.EAX] = 0x4444;
        h.Load(a => { a.pop(ax); a.hlt(); });
        h.Run();
        Assert.Equal(Vector.SS, TestKit.DeliveredVector(h));
        Assert.Equal(0xFFFFu - 6, h.Esp);
        Assert.Equal(0x4444u, h.Eax);
    }

    [Fact]
    public void PushWithSpOneInRealModeShutsDownAndLeavesSp()
    {
        // SDM PUSH: with SP = 1 in real mode the push violates the limit (#SS), the delivery faults
        // the same way (#DF), and so does the #DF delivery: the processor shuts down.
        var h = CpuHarness.Real16();
        TestKit.InstallHaltingIvt(h);
        h.Cpu.Regs[Cpu.ESP] = 1;
        h.Load(a => { a.push(ax); a.hlt(); });
        h.Step(1);
        Assert.True(h.Cpu.TripleFaulted);
        Assert.Equal(1u, h.Esp);
        Assert.Equal(0u, h.Cpu.Eip);
    }

    [Fact]
    public void PushBelowASmallStackLimitFaultsAndLeavesEspUnchanged()
    {
        var h = CpuHarness.Flat32();
        // GDT slot 0x28: writable data, base 0, byte-granular limit 0xFFF, 32-bit.
        ulong desc = 0x0FFFul | (0x93ul << 40) | (0x40ul << 48);
        h.Memory.Write64(CpuHarness.GdtBase + 0x28, desc);
        h.Cpu.Segs[Cpu.SS].LoadDescriptor(0x28, desc);
        h.Cpu.Regs[Cpu.ESP] = 0x1002; // push writes at 0xFFE..0x1001, beyond the limit
        h.Cpu.Regs[Cpu.EAX] = 0x12345678;
        h.Load(a => { a.push(eax); a.hlt(); });
        h.Step(1);
        Assert.Equal(0x1002u, h.Esp);
        Assert.Equal(CpuHarness.CodeBase, h.Cpu.Eip);
        Assert.Equal(0u, h.Read32(0xFFE));
        // #SS(0) with an empty IDT: protected-mode delivery cannot succeed and the CPU shuts down.
        Assert.True(h.Cpu.TripleFaulted);
    }

    [Fact]
    public void PushfdClearsVmAndRfInTheImage()
    {
        var h = CpuHarness.Flat32();
        h.Load(a => { a.pushfd(); a.pushf(); a.hlt(); });
        uint flags = 0x2 | Cpu.FlagCF | Cpu.FlagZF | Cpu.FlagRF | Cpu.FlagAC | (2u << 12);
        h.Cpu.SetEflags(flags);
        h.Run();
        Assert.Equal(flags & ~Cpu.FlagRF, h.Read32(Top - 4));
        Assert.Equal((ushort)(flags & 0xFFFF), h.Memory.Read16(Top - 6));
    }

    [Fact]
    public void PopfInRealModeWritesAllFlagsIncludingIoplAndIf()
    {
        var h = CpuHarness.Real16();
        h.Load(a => { a.popfd(); a.hlt(); });
        h.Cpu.Regs[Cpu.ESP] = 0x8000;
        // All ones except TF (a set TF would trap after the next instruction, the HLT).
        uint image = ~Cpu.FlagTF;
        h.Memory.Write32(0x8000, image);
        h.Cpu.SetEflags(0x2);
        h.Run();
        // Writable by POPFD at CPL 0: CF PF AF ZF SF TF IF DF OF IOPL NT AC ID; never VM, VIF, VIP; RF cleared.
        uint writable = Cpu.FlagCF | Cpu.FlagPF | Cpu.FlagAF | Cpu.FlagZF | Cpu.FlagSF | Cpu.FlagIF |
                        Cpu.FlagDF | Cpu.FlagOF | Cpu.FlagIOPL | Cpu.FlagNT | Cpu.FlagAC | Cpu.FlagID;
        Assert.Equal(writable | 0x2, h.Flags);
    }

    [Fact]
    public void Popf16OnlyReplacesTheLowHalf()
    {
        var h = CpuHarness.Flat32();
        h.Load(a => { a.popf(); a.hlt(); });
        h.Cpu.Regs[Cpu.ESP] = Top - 2;
        h.Memory.Write16(Top - 2, (ushort)(Cpu.FlagCF | Cpu.FlagDF));
        h.Cpu.SetEflags(0x2 | Cpu.FlagAC | Cpu.FlagZF);
        h.Run();
        Assert.Equal(0x2 | Cpu.FlagAC | Cpu.FlagCF | Cpu.FlagDF, h.Flags);
    }

    [Theory]
    // CPL 3, IOPL 0: IF and IOPL unchanged.
    [InlineData(0, false)]
    // CPL 3, IOPL 3: IF may change, IOPL still unchanged (only CPL 0 changes IOPL).
    [InlineData(3, true)]
    public void PopfAtRing3FollowsIopl(int iopl, bool ifChanges)
    {
        var h = CpuHarness.Flat32();
        h.Load(a => { a.popfd(); a.nop(); a.hlt(); });
        TestKit.EnterRing3(h);
        h.Cpu.Regs[Cpu.ESP] = Top - 4;
        uint before = 0x2 | ((uint)iopl << 12); // IF clear
        h.Cpu.SetEflags(before);
        // The popped image flips IF, sets IOPL to the other extreme, sets CF, DF, and VM.
        uint image = Cpu.FlagIF | ((uint)(3 - iopl) << 12) | Cpu.FlagCF | Cpu.FlagDF | Cpu.FlagVM;
        h.Write32(Top - 4, image);
        h.Step(1);
        uint f = h.Flags;
        Assert.Equal((uint)iopl, (f >> 12) & 3);
        Assert.Equal(ifChanges, (f & Cpu.FlagIF) != 0);
        Assert.True((f & Cpu.FlagCF) != 0);
        Assert.True((f & Cpu.FlagDF) != 0);
        Assert.True((f & Cpu.FlagVM) == 0);
        Assert.Equal(Top, h.Esp);
    }

    [Fact]
    public void EnterWithoutNestingBuildsAFrameAndLeaveUndoesIt()
    {
        var h = CpuHarness.Flat32();
        h.Load(a => { a.enter(0x20, 0); a.hlt(); });
        h.Cpu.Regs[Cpu.EBP] = 0x0BADBEEF;
        h.Run();
        Assert.Equal(0x0BADBEEFu, h.Read32(Top - 4));
        Assert.Equal(Top - 4, h.Ebp);
        Assert.Equal(Top - 4 - 0x20, h.Esp);

        h.Cpu.Halted = false;
        h.Load(a => { a.leave(); a.hlt(); });
        h.Run();
        Assert.Equal(Top, h.Esp);
        Assert.Equal(0x0BADBEEFu, h.Ebp);
    }

    [Fact]
    public void EnterWithNestingLevelsCopiesTheDisplay()
    {
        var h = CpuHarness.Flat32();
        // An outer frame at EBP = Top-0x40 whose display holds two frame pointers below it.
        uint outerBp = Top - 0x40;
        h.Write32(outerBp - 4, 0x1111_0000);
        h.Write32(outerBp - 8, 0x2222_0000);
        h.Cpu.Regs[Cpu.EBP] = outerBp;
        h.Cpu.Regs[Cpu.ESP] = Top - 0x80;
        h.Load(a => { a.enter(8, 3); a.hlt(); });
        h.Run();
        uint sp0 = Top - 0x80;
        uint frameTemp = sp0 - 4;
        // SDM ENTER, level 3: push EBP; push [EBP-4]; push [EBP-8]; push FrameTemp; ESP -= 8.
        Assert.Equal(outerBp, h.Read32(sp0 - 4));
        Assert.Equal(0x1111_0000u, h.Read32(sp0 - 8));
        Assert.Equal(0x2222_0000u, h.Read32(sp0 - 12));
        Assert.Equal(frameTemp, h.Read32(sp0 - 16));
        Assert.Equal(frameTemp, h.Ebp);
        Assert.Equal(sp0 - 16 - 8, h.Esp);
    }

    [Fact]
    public void EnterLevelOnePushesOnlyTheNewFramePointer()
    {
        var h = CpuHarness.Real16();
        h.Load(a => { a.enter(4, 1); a.hlt(); });
        h.Cpu.Regs[Cpu.EBP] = 0x7777_1234;
        h.Run();
        Assert.Equal((ushort)0x1234, h.Memory.Read16(0xFFF0 - 2));
        Assert.Equal((ushort)(0xFFF0 - 2), h.Memory.Read16(0xFFF0 - 4));
        Assert.Equal(0x7777_0000u | (0xFFF0 - 2), h.Ebp); // 16-bit stack: only BP changes
        Assert.Equal(0xFFF0u - 4 - 4, h.Esp);
    }

    /// <summary>Found by `emu fuzz diff`: with a 32-bit operand on a 16-bit stack, EBP ← FrameTemp = ESP, all 32 bits (SDM ENTER).</summary>
    [Fact]
    public void Enter32OnA16BitStackSetsAllOfEbpFromEsp()
    {
        var h = CpuHarness.Real16();
        h.Load(a => { a.AddInstruction(Iced.Intel.Instruction.Create(Iced.Intel.Code.Enterd_imm16_imm8, 4, 0)); a.hlt(); });
        h.Cpu.Regs[Cpu.EBP] = 0x7777_1234;
        h.Run();
        Assert.Equal(0x7777_1234u, h.Read32(0xFFF0 - 4));
        Assert.Equal(0xFFF0u - 4, h.Ebp);
        Assert.Equal(0xFFF0u - 4 - 4, h.Esp);
    }

    /// <summary>The converse: a 16-bit operand on a 32-bit stack writes only BP ← SP (SDM ENTER: BP ← FrameTemp[15:0]).</summary>
    [Fact]
    public void Enter16OnA32BitStackWritesOnlyBp()
    {
        var h = CpuHarness.Flat32();
        h.Load(a => { a.AddInstruction(Iced.Intel.Instruction.Create(Iced.Intel.Code.Enterw_imm16_imm8, 2, 0)); a.hlt(); });
        h.Cpu.Regs[Cpu.EBP] = 0x0BAD_BEEF;
        h.Run();
        Assert.Equal((ushort)0xBEEF, h.Memory.Read16(Top - 2));
        Assert.Equal(0x0BAD_0000u | ((Top - 2) & 0xFFFF), h.Ebp);
        Assert.Equal(Top - 2 - 2, h.Esp);
    }

    [Fact]
    public void Leave16InRealModeUsesBpAndPopsAWord()
    {
        var h = CpuHarness.Real16();
        h.Memory.Write16(0x8000, 0x4321);
        h.Cpu.Regs[Cpu.EBP] = 0xAAAA_8000;
        h.Load(a => { a.leave(); a.hlt(); });
        h.Run();
        Assert.Equal(0x8002u, h.Esp);
        Assert.Equal(0xAAAA_4321u, h.Ebp);
    }
}
