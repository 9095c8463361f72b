namespace Emulator.Devices;

/// <summary>
/// One Intel 8259A programmable interrupt controller (the PC has a master and a slave; see
/// <see cref="Pic8259"/>). Registers and the initialisation sequence follow the 8259A data sheet:
/// ICW1 (command port, bit 4 = 1), ICW2 (vector base), ICW3 (cascade), ICW4 (8086 mode, auto-EOI,
/// special fully nested); then OCW1 (mask, data port), OCW2 (EOI / rotation) and OCW3 (read
/// select, poll, special mask) on the command port.
/// </summary>
internal sealed class Pic8259Chip
{
    public readonly bool IsMaster;

    public byte Irr, Isr, Imr;
    public byte VectorBase;
    /// <summary>The IRQ with the highest priority (rotation moves it; 0 after initialisation).</summary>
    public int PriorityBase;
    public bool AutoEoi, RotateOnAutoEoi, SpecialMask, SpecialFullyNested, ReadIsr, PollPending;
    public bool LevelTriggered;
    public bool Single;
    /// <summary>The 8086/8088 mode bit of ICW4 (8080 mode is not emulated; vectors are always 8086-style).</summary>
    public bool Mode8086;

    /// <summary>0 = initialised; 2, 3, 4 = the ICW expected next on the data port.</summary>
    private int _initStep;
    private bool _icw4Needed;
    /// <summary>The level currently applied to each input pin (for edge detection).</summary>
    private byte _lines;

    public Pic8259Chip(bool isMaster) => IsMaster = isMaster;

    public void SaveState(Emulator.Core.Snapshots.SnapshotWriter w)
    {
        w.WriteByte(Irr); w.WriteByte(Isr); w.WriteByte(Imr); w.WriteByte(VectorBase);
        w.WriteInt32(PriorityBase);
        w.WriteBool(AutoEoi); w.WriteBool(RotateOnAutoEoi); w.WriteBool(SpecialMask); w.WriteBool(SpecialFullyNested);
        w.WriteBool(ReadIsr); w.WriteBool(PollPending); w.WriteBool(LevelTriggered); w.WriteBool(Single); w.WriteBool(Mode8086);
        w.WriteInt32(_initStep); w.WriteBool(_icw4Needed); w.WriteByte(_lines);
    }

    public void LoadState(Emulator.Core.Snapshots.SnapshotReader r)
    {
        Irr = r.ReadByte(); Isr = r.ReadByte(); Imr = r.ReadByte(); VectorBase = r.ReadByte();
        PriorityBase = r.ReadInt32(0, 7);
        AutoEoi = r.ReadBool(); RotateOnAutoEoi = r.ReadBool(); SpecialMask = r.ReadBool(); SpecialFullyNested = r.ReadBool();
        ReadIsr = r.ReadBool(); PollPending = r.ReadBool(); LevelTriggered = r.ReadBool(); Single = r.ReadBool(); Mode8086 = r.ReadBool();
        _initStep = r.ReadInt32(0, 4); _icw4Needed = r.ReadBool(); _lines = r.ReadByte();
    }

    /// <summary>True while the chip is in the middle of its ICW sequence.</summary>
    public bool Initialising => _initStep != 0;

    /// <summary>
    /// Drives input pin <paramref name="line"/>. Edge mode: a rising edge sets IRR; a falling edge
    /// clears a request that has not been acknowledged yet when <paramref name="clearOnFall"/> (the
    /// request vanished: an INTA then finds nothing and answers with the spurious IR7 vector).
    /// Level mode: IRR follows the pin.
    /// </summary>
    public void SetInput(int line, bool level, bool clearOnFall)
    {
        byte mask = (byte)(1 << line);
        if (LevelTriggered)
        {
            if (level) Irr |= mask; else Irr &= (byte)~mask;
        }
        else if (level)
        {
            if ((_lines & mask) == 0) Irr |= mask;
        }
        else if (clearOnFall)
        {
            Irr &= (byte)~mask;
        }
        _lines = level ? (byte)(_lines | mask) : (byte)(_lines & ~mask);
    }

    /// <summary>Priority rank (0 = highest) of the highest-priority bit set in <paramref name="mask"/>, or 8 when none.</summary>
    private int Rank(byte mask)
    {
        if (mask == 0) return 8;
        int r = 0;
        while ((mask & (1 << ((r + PriorityBase) & 7))) == 0) r++;
        return r;
    }

    /// <summary>
    /// The IRQ this chip would present on INT now, or -1: the highest-priority unmasked request
    /// that outranks every level in service (fully nested mode). Special mask mode lets masked
    /// in-service levels stop blocking; special fully nested mode lets the master take a new
    /// request on the cascade line while the cascade line is in service.
    /// </summary>
    public int HighestPending()
    {
        int rank = Rank((byte)(Irr & ~Imr));
        if (rank == 8) return -1;
        byte inService = Isr;
        if (SpecialMask) inService &= (byte)~Imr;
        if (IsMaster && SpecialFullyNested) inService &= unchecked((byte)~0x04);
        if (rank < Rank(inService)) return (rank + PriorityBase) & 7;
        return -1;
    }

    /// <summary>The INTA cycle for <paramref name="irq"/>: moves it from IRR to ISR (unless auto-EOI).</summary>
    public void Acknowledge(int irq)
    {
        byte mask = (byte)(1 << irq);
        if (AutoEoi)
        {
            if (RotateOnAutoEoi) PriorityBase = (irq + 1) & 7;
        }
        else
        {
            Isr |= mask;
        }
        if (!LevelTriggered) Irr &= (byte)~mask;
    }

    public void WriteCommand(byte value)
    {
        if ((value & 0x10) != 0) { WriteIcw1(value); return; }
        if ((value & 0x08) != 0) { WriteOcw3(value); return; }
        WriteOcw2(value);
    }

    private void WriteIcw1(byte value)
    {
        // Data sheet: ICW1 clears IMR and ISR, gives IR0 the highest priority, clears special
        // mask mode, selects IRR for status reads, and resets the edge-sense latches (IRR).
        Irr = Isr = Imr = 0;
        PriorityBase = 0;
        SpecialMask = ReadIsr = PollPending = false;
        AutoEoi = RotateOnAutoEoi = SpecialFullyNested = false;
        Mode8086 = false;
        LevelTriggered = (value & 0x08) != 0;
        Single = (value & 0x02) != 0;
        _icw4Needed = (value & 0x01) != 0;
        _initStep = 2;
    }

    private void WriteOcw2(byte value)
    {
        int level = value & 7;
        switch (value >> 5)
        {
            case 0b001: NonSpecificEoi(rotate: false); break;
            case 0b101: NonSpecificEoi(rotate: true); break;
            case 0b011: Isr &= (byte)~(1 << level); break;
            case 0b111: Isr &= (byte)~(1 << level); PriorityBase = (level + 1) & 7; break;
            case 0b100: RotateOnAutoEoi = true; break;
            case 0b000: RotateOnAutoEoi = false; break;
            case 0b110: PriorityBase = (level + 1) & 7; break; // set priority: `level` becomes lowest
            default: break; // 0b010: no operation
        }
    }

    private void NonSpecificEoi(bool rotate)
    {
        int rank = Rank(Isr);
        if (rank == 8) return;
        int irq = (rank + PriorityBase) & 7;
        Isr &= (byte)~(1 << irq);
        if (rotate) PriorityBase = (irq + 1) & 7;
    }

    private void WriteOcw3(byte value)
    {
        if ((value & 0x40) != 0) SpecialMask = (value & 0x20) != 0; // ESMM gates SMM
        if ((value & 0x04) != 0) PollPending = true;
        if ((value & 0x02) != 0) ReadIsr = (value & 0x01) != 0;     // RR gates RIS
    }

    public void WriteData(byte value)
    {
        switch (_initStep)
        {
            case 2:
                VectorBase = (byte)(value & 0xF8);
                _initStep = Single ? (_icw4Needed ? 4 : 0) : 3;
                break;
            case 3:
                // ICW3: the master's slave bitmap or the slave's ID; the PC wiring is fixed (IRQ2).
                _initStep = _icw4Needed ? 4 : 0;
                break;
            case 4:
                Mode8086 = (value & 0x01) != 0;
                AutoEoi = (value & 0x02) != 0;
                SpecialFullyNested = (value & 0x10) != 0;
                _initStep = 0;
                break;
            default:
                Imr = value; // OCW1
                break;
        }
    }

    /// <summary>Command-port read: the poll word after an OCW3 poll command, else IRR or ISR.</summary>
    public byte ReadCommand()
    {
        if (PollPending)
        {
            PollPending = false;
            int irq = HighestPending();
            if (irq < 0) return 0;
            Acknowledge(irq); // a poll read acts as an INTA (data sheet, "Poll command")
            return (byte)(0x80 | irq);
        }
        return ReadIsr ? Isr : Irr;
    }

    public byte ReadData() => Imr;
}
