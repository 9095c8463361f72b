using Emulator.Core.Cpu;
using Emulator.Tests.Support;
using static Iced.Intel.AssemblerRegisters;
using static Emulator.Tests.CpuTests.ProtectedMode.PmSetup;
using Cpu = Emulator.Core.Cpu.Cpu;

namespace Emulator.Tests.CpuTests.ProtectedMode;

/// <summary>Exception and interrupt delivery through the IDT at the same privilege level (SDM Vol. 3 §6.12).</summary>
public class ExceptionDeliveryTests
{
    private static CpuHarness Setup(int gateType = IntGate32)
    {
        var h = CpuHarness.Flat32();
        InstallHaltHandlers(h, gateType);
        return h;
    }

    [Fact]
    public void UndefinedOpcodePushesTheFaultingEipWithoutErrorCode()
    {
        var h = Setup();
        h.Load(a => { a.nop(); a.ud2(); });
        h.Cpu.SetEflags(0x202 | Cpu.FlagCF);
        h.Run();
        Assert.Equal(Handler(Vector.UD) + 1, h.Cpu.Eip);
        // Same privilege: EIP, CS, EFLAGS only (SDM Figure 6-4).
        Assert.Equal(CpuHarness.StackTop - 12, h.Esp);
        Assert.Equal(CpuHarness.CodeBase + 1, Stack(h, h.Esp, 0));
        Assert.Equal(0x08u, Stack(h, h.Esp, 1));
        Assert.Equal(0x203u, Stack(h, h.Esp, 2));
        // An interrupt gate clears IF.
        Assert.False(h.Cpu.FlagSet(Cpu.FlagIF));
    }

    [Fact]
    public void GeneralProtectionFaultPushesErrorCodeAndPointsAtTheFaultingInstruction()
    {
        var h = Setup();
        // A far JMP to the null selector: #GP(0) (SDM "JMP").
        h.Load(a => { a.nop(); a.jmp(0, 0x1234); a.hlt(); });
        h.Run();
        Assert.Equal(Handler(Vector.GP) + 1, h.Cpu.Eip);
        Assert.Equal(CpuHarness.StackTop - 16, h.Esp);
        Assert.Equal(0u, Stack(h, h.Esp, 0));                       // error code
        Assert.Equal(CpuHarness.CodeBase + 1, Stack(h, h.Esp, 1));  // the JMP itself
        Assert.Equal(0x08u, Stack(h, h.Esp, 2));
    }

    [Fact]
    public void Int3AndIntoPushTheAddressAfterTheInstruction()
    {
        var h = Setup();
        h.Load(a => { a.int3(); a.hlt(); });
        h.Run();
        Assert.Equal(Handler(Vector.BP) + 1, h.Cpu.Eip);
        Assert.Equal(CpuHarness.CodeBase + 1, Stack(h, h.Esp, 0));

        var h2 = Setup();
        h2.Load(a => { a.into(); a.nop(); a.into(); a.hlt(); });
        // First INTO with OF clear does nothing; set OF before the second.
        h2.Step(2);
        Assert.Equal(CpuHarness.CodeBase + 2, h2.Cpu.Eip);
        h2.Cpu.SetFlag(Cpu.FlagOF, true);
        h2.Run();
        Assert.Equal(Handler(Vector.OF) + 1, h2.Cpu.Eip);
        Assert.Equal(CpuHarness.CodeBase + 3, Stack(h2, h2.Esp, 0));
    }

    [Fact]
    public void IntNThroughTrapGateKeepsIfAndClearsTf()
    {
        var h = Setup(TrapGate32);
        h.Load(a => { a.@int(0x40); a.hlt(); });
        h.Cpu.SetEflags(0x202);
        h.Run();
        Assert.Equal(Handler(0x40) + 1, h.Cpu.Eip);
        Assert.True(h.Cpu.FlagSet(Cpu.FlagIF));
        Assert.Equal(CpuHarness.CodeBase + 2, Stack(h, h.Esp, 0));
        Assert.Equal(0x202u, Stack(h, h.Esp, 2));
    }

    [Fact]
    public void SixteenBitGatePushesWordsAndTruncatesTheTarget()
    {
        var h = Setup();
        // 16-bit interrupt gate: offset bits 31-16 are not used (the gate has only 16 of them).
        h.Memory.Write8(0x5000, 0xF4);
        SetIdt(h, 0x41, Gate(Code0, 0xABCD5000, IntGate16, 0));
        h.Load(a => { a.@int(0x41); a.hlt(); });
        h.Cpu.SetEflags(0x246);
        h.Run();
        Assert.Equal(0x5001u, h.Cpu.Eip);
        Assert.Equal(CpuHarness.StackTop - 6, h.Esp);
        Assert.Equal((ushort)((CpuHarness.CodeBase + 2) & 0xFFFF), h.Memory.Read16(h.Esp));
        Assert.Equal((ushort)0x08, h.Memory.Read16(h.Esp + 2));
        Assert.Equal((ushort)0x246, h.Memory.Read16(h.Esp + 4));
    }

    [Fact]
    public void IretdReturnsToTheInterruptedCodeAndRestoresFlags()
    {
        var h = CpuHarness.Flat32();
        // Handler for 0x40: IRETD.
        h.Memory.Write8(0x5000, 0xCF);
        SetIdt(h, 0x40, Gate(Code0, 0x5000, IntGate32, 0));
        h.Load(a => { a.@int(0x40); a.hlt(); });
        h.Cpu.SetEflags(0x202 | Cpu.FlagZF);
        h.Run();
        Assert.Equal(CpuHarness.CodeBase + 3, h.Cpu.Eip);
        Assert.Equal(CpuHarness.StackTop, h.Esp);
        Assert.True(h.Cpu.FlagSet(Cpu.FlagIF));
        Assert.True(h.Cpu.GetZF());
    }

    [Fact]
    public void VectorBeyondIdtLimitIsGeneralProtectionWithIdtErrorCode()
    {
        var h = Setup();
        h.Cpu.IdtrLimit = 0x50 * 8 - 1;
        h.Load(a => { a.@int(0x60); a.hlt(); });
        h.Run();
        Assert.Equal(Handler(Vector.GP) + 1, h.Cpu.Eip);
        // IDT bit (1) set, EXT clear for INT n (SDM §6.13).
        Assert.Equal(0x60u * 8 + 2, Stack(h, h.Esp, 0));
        Assert.Equal(CpuHarness.CodeBase, Stack(h, h.Esp, 1));
    }

    [Fact]
    public void NotPresentGateForAnExceptionIsNotPresentFaultWithExtBit()
    {
        var h = Setup();
        SetIdt(h, Vector.UD, Gate(Code0, Handler(Vector.UD), IntGate32, 0, present: false));
        h.Load(a => a.ud2());
        h.Run();
        Assert.Equal(Handler(Vector.NP) + 1, h.Cpu.Eip);
        // #UD is benign, so #NP is delivered serially; the error code has IDT and EXT set.
        Assert.Equal(6u * 8 + 2 + 1, Stack(h, h.Esp, 0));
        Assert.Equal(CpuHarness.CodeBase, Stack(h, h.Esp, 1));
    }

    /// <summary>One pending vector, acknowledged once.</summary>
    private sealed class OneShotPic(byte vector) : Emulator.Core.Bus.IInterruptController
    {
        private bool _pending = true;
        public bool InterruptPending => _pending;
        public byte AcknowledgeInterrupt() { _pending = false; return vector; }
    }

    [Fact]
    public void ExternalInterruptPushesTheNextInstructionAndClearsIf()
    {
        var h = Setup();
        h.Load(a => { a.nop(); a.hlt(); });
        h.Cpu.InterruptController = new OneShotPic(0x30);
        h.Cpu.SetEflags(0x202);
        h.Run();
        Assert.Equal(Handler(0x30) + 1, h.Cpu.Eip);
        Assert.Equal(CpuHarness.CodeBase, Stack(h, h.Esp, 0));
        Assert.Equal(0x202u, Stack(h, h.Esp, 2));
        Assert.False(h.Cpu.FlagSet(Cpu.FlagIF));
    }

    [Fact]
    public void ExternalInterruptThroughNotPresentGateSetsExtInTheErrorCode()
    {
        var h = Setup();
        SetIdt(h, 0x30, Gate(Code0, Handler(0x30), IntGate32, 0, present: false));
        h.Load(a => { a.nop(); a.hlt(); });
        h.Cpu.InterruptController = new OneShotPic(0x30);
        h.Cpu.SetEflags(0x202);
        h.Run();
        Assert.Equal(Handler(Vector.NP) + 1, h.Cpu.Eip);
        Assert.Equal(0x30u * 8 + 2 + 1, Stack(h, h.Esp, 0));
        Assert.Equal(CpuHarness.CodeBase, Stack(h, h.Esp, 1));
    }
}
