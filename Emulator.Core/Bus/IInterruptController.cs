namespace Emulator.Core.Bus;

/// <summary>What the CPU sees of the interrupt controller: the INTR line and the INTA cycle.</summary>
public interface IInterruptController
{
    /// <summary>True while an unmasked interrupt request is waiting (the INTR pin).</summary>
    bool InterruptPending { get; }

    /// <summary>The INTA cycle: returns the vector and moves the request into service.</summary>
    byte AcknowledgeInterrupt();
}

/// <summary>Where devices raise and lower their IRQ lines (the PIC pair implements it).</summary>
public interface IIrqSink
{
    void SetIrq(int irq, bool level);
}
