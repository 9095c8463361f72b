using Emulator.Devices;

namespace Emulator.Tests.Devices;

public class Pic8259Tests
{
    private const byte MasterBase = 0x20, SlaveBase = 0x28;

    /// <summary>The standard PC initialisation: ICW1 0x11 (edge, cascade, ICW4), ICW2 base, ICW3 wiring, ICW4 8086 mode.</summary>
    private static Pic8259 Initialised(byte icw4 = 0x01)
    {
        var pic = new Pic8259();
        pic.WritePort(0x20, 1, 0x11);
        pic.WritePort(0x21, 1, MasterBase);
        pic.WritePort(0x21, 1, 0x04);
        pic.WritePort(0x21, 1, icw4);
        pic.WritePort(0xA0, 1, 0x11);
        pic.WritePort(0xA1, 1, SlaveBase);
        pic.WritePort(0xA1, 1, 0x02);
        pic.WritePort(0xA1, 1, icw4);
        return pic;
    }

    private static void Eoi(Pic8259 pic, ushort port = 0x20) => pic.WritePort(port, 1, 0x20);

    [Fact]
    public void InitialisationClearsMaskAndSetsVectorBases()
    {
        var pic = new Pic8259();
        pic.WritePort(0x21, 1, 0xFF);
        pic = Initialised();
        Assert.Equal(0u, pic.ReadPort(0x21, 1));
        Assert.Equal(MasterBase, pic.MasterVectorBase);
        Assert.Equal(SlaveBase, pic.SlaveVectorBase);
        Assert.False(pic.InterruptPending);
    }

    [Fact]
    public void LowerIrqNumberHasPriority()
    {
        var pic = Initialised();
        pic.SetIrq(3, true);
        pic.SetIrq(1, true);
        Assert.True(pic.InterruptPending);
        Assert.Equal(MasterBase + 1, pic.AcknowledgeInterrupt());
        // IRQ1 in service blocks the lower-priority IRQ3 until EOI.
        Assert.False(pic.InterruptPending);
        Eoi(pic);
        Assert.True(pic.InterruptPending);
        Assert.Equal(MasterBase + 3, pic.AcknowledgeInterrupt());
        Eoi(pic);
        Assert.False(pic.InterruptPending);
    }

    [Fact]
    public void HigherPriorityRequestNestsOverInServiceLevel()
    {
        var pic = Initialised();
        pic.SetIrq(4, true);
        Assert.Equal(MasterBase + 4, pic.AcknowledgeInterrupt());
        pic.SetIrq(6, true);
        Assert.False(pic.InterruptPending); // lower priority than IRQ4 in service
        pic.SetIrq(3, true);
        Assert.True(pic.InterruptPending);  // IRQ3 outranks IRQ4
        Assert.Equal(MasterBase + 3, pic.AcknowledgeInterrupt());
        Assert.Equal(0b0001_1000, pic.MasterIsr);
    }

    [Fact]
    public void MaskedRequestStaysInIrrButIsNotDelivered()
    {
        var pic = Initialised();
        pic.WritePort(0x21, 1, 0x02); // mask IRQ1
        pic.SetIrq(1, true);
        Assert.False(pic.InterruptPending);
        Assert.Equal(0x02u, pic.ReadPort(0x21, 1));
        pic.WritePort(0x20, 1, 0x0A); // OCW3: read IRR
        Assert.Equal(0x02u, pic.ReadPort(0x20, 1));
        pic.SetIrq(5, true);
        Assert.Equal(MasterBase + 5, pic.AcknowledgeInterrupt());
        pic.WritePort(0x21, 1, 0x00); // unmask: IRQ1 outranks IRQ5 in service
        Assert.True(pic.InterruptPending);
        Assert.Equal(MasterBase + 1, pic.AcknowledgeInterrupt());
    }

    [Fact]
    public void IrrAndIsrReadsFollowOcw3Select()
    {
        var pic = Initialised();
        pic.SetIrq(0, true);
        pic.SetIrq(6, true);
        pic.WritePort(0x20, 1, 0x0A);
        Assert.Equal(0x41u, pic.ReadPort(0x20, 1));
        pic.AcknowledgeInterrupt();
        Assert.Equal(0x40u, pic.ReadPort(0x20, 1)); // IRR bit 0 moved to ISR
        pic.WritePort(0x20, 1, 0x0B);
        Assert.Equal(0x01u, pic.ReadPort(0x20, 1));
        Assert.Equal(0x01u, pic.ReadPort(0x20, 1)); // the selection sticks
    }

    [Fact]
    public void NonSpecificEoiClearsHighestPriorityInServiceBit()
    {
        var pic = Initialised();
        pic.SetIrq(5, true);
        pic.AcknowledgeInterrupt();
        pic.SetIrq(1, true);
        pic.AcknowledgeInterrupt();
        Assert.Equal(0b0010_0010, pic.MasterIsr);
        Eoi(pic);
        Assert.Equal(0b0010_0000, pic.MasterIsr);
    }

    [Fact]
    public void SpecificEoiClearsTheNamedLevel()
    {
        var pic = Initialised();
        pic.SetIrq(5, true);
        pic.AcknowledgeInterrupt();
        pic.SetIrq(1, true);
        pic.AcknowledgeInterrupt();
        pic.WritePort(0x20, 1, 0x60 | 5); // specific EOI for IRQ5 (OCW2 011 L2-L0)
        Assert.Equal(0b0000_0010, pic.MasterIsr);
    }

    [Fact]
    public void EdgeTriggeredInputNeedsANewRisingEdge()
    {
        var pic = Initialised();
        pic.SetIrq(3, true);
        pic.AcknowledgeInterrupt();
        Eoi(pic);
        pic.SetIrq(3, true); // still high: no new edge
        Assert.False(pic.InterruptPending);
        pic.SetIrq(3, false);
        pic.SetIrq(3, true);
        Assert.True(pic.InterruptPending);
    }

    [Fact]
    public void CascadedIrqIsDeliveredThroughIrq2()
    {
        var pic = Initialised();
        pic.SetIrq(10, true);
        Assert.True(pic.InterruptPending);
        Assert.Equal(SlaveBase + 2, pic.AcknowledgeInterrupt());
        Assert.Equal(0x04, pic.MasterIsr);
        Assert.Equal(0x04, pic.SlaveIsr);
        // IRQ3 has lower priority than IRQ2 (which holds IRQ10): blocked.
        pic.SetIrq(3, true);
        Assert.False(pic.InterruptPending);
        Eoi(pic, 0xA0);
        Eoi(pic, 0x20);
        Assert.Equal(0, pic.MasterIsr);
        Assert.Equal(0, pic.SlaveIsr);
        Assert.Equal(MasterBase + 3, pic.AcknowledgeInterrupt());
    }

    [Fact]
    public void SlavePriorityAndMaskApply()
    {
        var pic = Initialised();
        pic.WritePort(0xA1, 1, 0x01); // mask IRQ8
        pic.SetIrq(8, true);
        Assert.False(pic.InterruptPending);
        pic.SetIrq(14, true);
        pic.SetIrq(12, true);
        Assert.Equal(SlaveBase + 4, pic.AcknowledgeInterrupt()); // IRQ12 before IRQ14
        Assert.Equal(0x01u, pic.ReadPort(0xA1, 1));
    }

    [Fact]
    public void RequestThatVanishesBeforeIntaGivesSpuriousIrq7()
    {
        var pic = Initialised();
        pic.SetIrq(3, true);
        Assert.True(pic.InterruptPending);
        pic.SetIrq(3, false);
        Assert.False(pic.InterruptPending);
        Assert.Equal(MasterBase + 7, pic.AcknowledgeInterrupt());
        Assert.Equal(0, pic.MasterIsr); // a spurious IRQ7 sets no ISR bit
    }

    [Fact]
    public void SlaveRequestThatVanishesGivesSpuriousIrq15WithMasterIrq2InService()
    {
        var pic = Initialised();
        pic.SetIrq(11, true);
        pic.SetIrq(11, false);
        Assert.True(pic.InterruptPending); // the master latched the cascade edge
        Assert.Equal(SlaveBase + 7, pic.AcknowledgeInterrupt());
        Assert.Equal(0x04, pic.MasterIsr);
        Assert.Equal(0, pic.SlaveIsr);
    }

    [Fact]
    public void AutoEoiLeavesIsrClear()
    {
        var pic = Initialised(icw4: 0x03);
        pic.SetIrq(4, true);
        Assert.Equal(MasterBase + 4, pic.AcknowledgeInterrupt());
        Assert.Equal(0, pic.MasterIsr);
        pic.SetIrq(6, true);
        Assert.True(pic.InterruptPending);
    }

    [Fact]
    public void RotateOnNonSpecificEoiMakesServicedLevelLowest()
    {
        var pic = Initialised();
        pic.SetIrq(1, true);
        pic.AcknowledgeInterrupt();
        pic.WritePort(0x20, 1, 0xA0); // rotate on non-specific EOI: IRQ1 becomes lowest, IRQ2 highest
        pic.SetIrq(1, false);
        pic.SetIrq(1, true);
        pic.SetIrq(3, true);
        Assert.Equal(MasterBase + 3, pic.AcknowledgeInterrupt());
    }

    [Fact]
    public void PollCommandReturnsAndAcknowledgesHighestRequest()
    {
        var pic = Initialised();
        pic.SetIrq(5, true);
        pic.WritePort(0x20, 1, 0x0C); // OCW3 poll
        Assert.Equal(0x85u, pic.ReadPort(0x20, 1));
        Assert.Equal(0x20, pic.MasterIsr);
        pic.WritePort(0x20, 1, 0x0C);
        Assert.Equal(0x00u, pic.ReadPort(0x20, 1));
    }

    [Fact]
    public void SpecialMaskModeLetsLowerPrioritiesThrough()
    {
        var pic = Initialised();
        pic.SetIrq(1, true);
        pic.AcknowledgeInterrupt();
        pic.SetIrq(4, true);
        Assert.False(pic.InterruptPending);
        pic.WritePort(0x21, 1, 0x02);  // mask IRQ1 (in service)
        pic.WritePort(0x20, 1, 0x68);  // OCW3: set special mask mode
        Assert.True(pic.InterruptPending);
        Assert.Equal(MasterBase + 4, pic.AcknowledgeInterrupt());
    }
}
