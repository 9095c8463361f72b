using Emulator.Core.Cpu;
using Emulator.Tests.Support;
using static Emulator.Tests.CpuTests.ProtectedMode.PmSetup;
using Cpu = Emulator.Core.Cpu.Cpu;

namespace Emulator.Tests.CpuTests.ProtectedMode;

/// <summary>Double fault and shutdown (SDM Vol. 3 §6.15 "Interrupt 8", Tables 6-4 and 6-5).</summary>
public class DoubleFaultTests
{
    [Fact]
    public void GeneralProtectionThroughNotPresentGateBecomesDoubleFault()
    {
        var h = CpuHarness.Flat32();
        InstallHaltHandlers(h);
        SetIdt(h, Vector.GP, Gate(Code0, Handler(Vector.GP), IntGate32, 0, present: false));
        h.Load(a => { a.nop(); a.jmp(0, 0); }); // #GP(0), then #NP while delivering it: contributory twice
        h.Run();
        Assert.Equal(Handler(Vector.DF) + 1, h.Cpu.Eip);
        Assert.Equal(CpuHarness.StackTop - 16, h.Esp);
        Assert.Equal(0u, Stack(h, h.Esp, 0));                       // #DF error code is always 0
        Assert.Equal(CpuHarness.CodeBase + 1, Stack(h, h.Esp, 1));  // the instruction that faulted first
        Assert.Equal(CpuStopReason.None, h.Cpu.StopReason);
    }

    [Fact]
    public void FaultWhileDeliveringDoubleFaultShutsTheCpuDown()
    {
        var h = CpuHarness.Flat32();
        InstallHaltHandlers(h);
        SetIdt(h, Vector.GP, Gate(Code0, Handler(Vector.GP), IntGate32, 0, present: false));
        SetIdt(h, Vector.DF, Gate(Code0, Handler(Vector.DF), IntGate32, 0, present: false));
        h.Load(a => a.jmp(0, 0));
        h.Run();
        Assert.Equal(CpuStopReason.TripleFault, h.Cpu.StopReason);
        Assert.True(h.Cpu.TripleFaulted);
        Assert.False(h.Cpu.Faulted);
    }

    [Fact]
    public void EmptyIdtTripleFaultsOnTheFirstException()
    {
        var h = CpuHarness.Flat32();
        h.Cpu.IdtrLimit = 0; // every vector is beyond the limit: #GP, then #GP again -> #DF -> shutdown
        h.Load(a => a.ud2());
        Assert.Equal(CpuStopReason.TripleFault, h.Cpu.Run(1000));
    }

    [Fact]
    public void BenignFirstExceptionIsHandledSerially()
    {
        // #UD through a gate whose code selector is null: #GP(EXT) is delivered instead, not #DF.
        var h = CpuHarness.Flat32();
        InstallHaltHandlers(h);
        SetIdt(h, Vector.UD, Gate(0, Handler(Vector.UD), IntGate32, 0));
        h.Load(a => a.ud2());
        h.Run();
        Assert.Equal(Handler(Vector.GP) + 1, h.Cpu.Eip);
        Assert.Equal(1u, Stack(h, h.Esp, 0));
    }

    [Theory]
    [InlineData(Vector.GP, Vector.NP, true)]
    [InlineData(Vector.DE, Vector.TS, true)]
    [InlineData(Vector.SS, Vector.GP, true)]
    [InlineData(Vector.PF, Vector.PF, true)]
    [InlineData(Vector.PF, Vector.GP, true)]
    [InlineData(Vector.GP, Vector.PF, false)]
    [InlineData(Vector.UD, Vector.GP, false)]
    [InlineData(Vector.BP, Vector.NP, false)]
    [InlineData(Vector.PF, Vector.UD, false)]
    public void DoubleFaultClassesFollowTable65(byte first, byte second, bool doubleFault) =>
        Assert.Equal(doubleFault, Cpu.CausesDoubleFault(first, second));
}
