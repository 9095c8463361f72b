using Emulator.Core.Bus;
using Serilog;

namespace Emulator.Devices;

/// <summary>
/// The PC's cascaded 8259A pair: master at 0x20/0x21 (IRQ 0–7), slave at 0xA0/0xA1 (IRQ 8–15)
/// whose INT output drives the master's IR2. It is the CPU's interrupt controller (INTR/INTA)
/// and the sink devices raise their IRQ lines on.
/// <para>
/// Spurious interrupts: a request that goes away (line lowered) before the INTA cycle leaves
/// nothing to acknowledge, so the chip answers with its IR7 vector without setting ISR (IRQ7 on
/// the master). The master's IR2 latch is set by a rising edge of the slave's output and is not
/// cleared when that output falls, so a slave request that vanishes gives the spurious IRQ15
/// vector with the master's ISR bit 2 set, as on real hardware.
/// </para>
/// </summary>
public sealed class Pic8259 : IPortDevice, IInterruptController, IIrqSink, Emulator.Core.Snapshots.ISnapshotState
{
    public const ushort MasterCommandPort = 0x20, MasterDataPort = 0x21;
    public const ushort SlaveCommandPort = 0xA0, SlaveDataPort = 0xA1;
    public const int CascadeIrq = 2;

    private readonly Pic8259Chip _master = new(isMaster: true);
    private readonly Pic8259Chip _slave = new(isMaster: false);
    private readonly ILogger _log;
    private bool _slaveOutput;
    private bool _pending;

    public Pic8259(ILogger? log = null)
    {
        _log = log ?? Serilog.Log.Logger;
        // Power-on vector bases as the PC BIOS leaves them (0x08 and 0x70) so that a guest that
        // never initialises the PICs still gets sensible vectors; any ICW sequence replaces them.
        _master.VectorBase = 0x08;
        _slave.VectorBase = 0x70;
        _master.Mode8086 = _slave.Mode8086 = true;
    }

    /// <summary>The INTR line. Cached: recomputed on every state change, read every instruction.</summary>
    public bool InterruptPending => _pending;

    public string SnapshotSection => "pic";

    public void SaveState(Emulator.Core.Snapshots.SnapshotWriter w)
    {
        _master.SaveState(w);
        _slave.SaveState(w);
        w.WriteBool(_slaveOutput);
        w.WriteBool(_pending);
    }

    public void LoadState(Emulator.Core.Snapshots.SnapshotReader r)
    {
        _master.LoadState(r);
        _slave.LoadState(r);
        _slaveOutput = r.ReadBool();
        _pending = r.ReadBool();
    }

    public byte MasterIrr => _master.Irr;
    public byte MasterIsr => _master.Isr;
    public byte MasterImr => _master.Imr;
    public byte SlaveIrr => _slave.Irr;
    public byte SlaveIsr => _slave.Isr;
    public byte SlaveImr => _slave.Imr;
    public byte MasterVectorBase => _master.VectorBase;
    public byte SlaveVectorBase => _slave.VectorBase;

    public void SetIrq(int irq, bool level)
    {
        if ((uint)irq < 8)
        {
            if (irq == CascadeIrq) return; // IR2 is wired to the slave on a PC
            _master.SetInput(irq, level, clearOnFall: true);
        }
        else if ((uint)irq < 16)
        {
            _slave.SetInput(irq - 8, level, clearOnFall: true);
        }
        else
        {
            return;
        }
        Update();
    }

    public byte AcknowledgeInterrupt()
    {
        byte vector;
        int irq = _master.HighestPending();
        if (irq < 0)
        {
            vector = (byte)(_master.VectorBase | 7); // spurious IRQ7: ISR untouched
        }
        else
        {
            _master.Acknowledge(irq);
            if (irq == CascadeIrq && !_master.Single)
            {
                int slaveIrq = _slave.HighestPending();
                if (slaveIrq < 0)
                {
                    vector = (byte)(_slave.VectorBase | 7); // spurious IRQ15
                }
                else
                {
                    _slave.Acknowledge(slaveIrq);
                    vector = (byte)(_slave.VectorBase | slaveIrq);
                }
            }
            else
            {
                vector = (byte)(_master.VectorBase | irq);
            }
        }
        Update();
        return vector;
    }

    public uint ReadPort(ushort port, int size)
    {
        byte v = port switch
        {
            MasterCommandPort => _master.ReadCommand(),
            MasterDataPort => _master.ReadData(),
            SlaveCommandPort => _slave.ReadCommand(),
            SlaveDataPort => _slave.ReadData(),
            _ => 0xFF,
        };
        Update(); // a poll read acknowledges
        return v;
    }

    public void WritePort(ushort port, int size, uint value)
    {
        byte v = (byte)value;
        switch (port)
        {
            case MasterCommandPort: _master.WriteCommand(v); break;
            case MasterDataPort: WriteData(_master, v, "master"); break;
            case SlaveCommandPort: _slave.WriteCommand(v); break;
            case SlaveDataPort: WriteData(_slave, v, "slave"); break;
        }
        Update();
    }

    private void WriteData(Pic8259Chip chip, byte value, string which)
    {
        bool wasInit = chip.Initialising;
        chip.WriteData(value);
        if (wasInit && !chip.Initialising)
        {
            if (!chip.Mode8086) _log.Warning("8259A {Which}: 8080/8085 mode requested; vectors are delivered in 8086 mode", which);
            _log.Debug("8259A {Which} initialised: vector base 0x{Base:X2}, auto-EOI {Aeoi}, level-triggered {Level}",
                which, chip.VectorBase, chip.AutoEoi, chip.LevelTriggered);
        }
    }

    /// <summary>Propagates the slave's INT output to the master's IR2 and recomputes INTR.</summary>
    private void Update()
    {
        bool slaveOut = _slave.HighestPending() >= 0;
        if (slaveOut != _slaveOutput)
        {
            _slaveOutput = slaveOut;
            _master.SetInput(CascadeIrq, slaveOut, clearOnFall: false);
        }
        _pending = _master.HighestPending() >= 0;
    }
}
