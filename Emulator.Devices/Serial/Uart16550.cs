using System.Collections.Concurrent;
using Emulator.Core.Bus;
using Emulator.Core.Timing;
using Serilog;

namespace Emulator.Devices;

/// <summary>
/// A National Semiconductor 16550A UART (COM1 is at 0x3F8, IRQ4). Transmission is instant: a
/// byte written to THR goes to the output sink at once and THR/TSR are empty again, so THRE and
/// TEMT always read 1 and the THRE interrupt is raised right after each write when enabled.
/// <para>
/// Host input arrives through the thread-safe <see cref="EnqueueInput(byte)"/> and is moved into
/// the receive FIFO on the CPU thread when the guest reads RBR, LSR or IIR, and by a periodic
/// virtual-time poll while receive interrupts are enabled. The moment a host byte becomes
/// visible therefore depends on host timing: host input is NOT yet deterministic (a later
/// issue records input with its instruction count for replay).
/// </para>
/// </summary>
public sealed class Uart16550 : IPortDevice, Emulator.Core.Snapshots.ISnapshotState
{
    public const ushort Com1Base = 0x3F8;
    public const int Com1Irq = 4;
    public const int FifoSize = 16;
    /// <summary>How often host input is polled while receive interrupts are enabled (1 ms of virtual time).</summary>
    public const ulong InputPollTicks = VirtualClock.TicksPerSecond / 1000;

    // Register offsets.
    private const int RegData = 0, RegIer = 1, RegIir = 2, RegLcr = 3, RegMcr = 4, RegLsr = 5, RegMsr = 6, RegScr = 7;

    public const byte LsrDataReady = 0x01, LsrOverrun = 0x02, LsrThrEmpty = 0x20, LsrTransmitterEmpty = 0x40;
    public const byte IerRxData = 0x01, IerThrEmpty = 0x02, IerLineStatus = 0x04, IerModemStatus = 0x08;
    public const byte McrDtr = 0x01, McrRts = 0x02, McrOut1 = 0x04, McrOut2 = 0x08, McrLoop = 0x10;

    private readonly ushort _base;
    private readonly int _irqLine;
    private readonly IIrqSink? _irq;
    private readonly VirtualClock _clock;
    private readonly Action<byte>? _output;
    private readonly ILogger _log;
    private readonly ConcurrentQueue<byte> _hostInput = new();

    private readonly byte[] _rx = new byte[FifoSize];
    private int _rxHead, _rxCount;
    private ushort _divisor = 12; // 9600 baud at 1.8432 MHz / 16
    private byte _ier, _lcr, _mcr, _scr, _fcr;
    private byte _lineErrors; // LSR bits 1–4, cleared by reading LSR
    private byte _msr;
    private bool _thrInterrupt;
    private bool _irqLevel;
    private VirtualClock.Handle? _poll;
    private readonly Action _pollCallback;

    public Uart16550(ushort basePort, int irqLine, IIrqSink? irq, VirtualClock clock, Action<byte>? output, ILogger? log = null)
    {
        _base = basePort;
        _irqLine = irqLine;
        _irq = irq;
        _clock = clock;
        _output = output;
        _log = log ?? Serilog.Log.Logger;
        _pollCallback = OnPoll;
        _msr = ModemStatusLines();
    }

    public ushort BasePort => _base;
    public ushort Divisor => _divisor;
    public byte LineControl => _lcr;
    public byte ModemControl => _mcr;
    public bool FifoEnabled => (_fcr & 1) != 0;
    public bool IrqLevel => _irqLevel;

    /// <summary>Queues a byte typed on the host (any thread).</summary>
    public void EnqueueInput(byte value) => _hostInput.Enqueue(value);

    /// <summary>Queues bytes typed on the host (any thread).</summary>
    public void EnqueueInput(ReadOnlySpan<byte> data)
    {
        foreach (byte b in data) _hostInput.Enqueue(b);
    }

    private bool Loopback => (_mcr & McrLoop) != 0;
    private bool Dlab => (_lcr & 0x80) != 0;
    private int RxCapacity => FifoEnabled ? FifoSize : 1;

    private int RxTrigger => (_fcr >> 6) switch { 0 => 1, 1 => 4, 2 => 8, _ => 14 };

    public uint ReadPort(ushort port, int size)
    {
        byte v;
        switch (port - _base)
        {
            case RegData:
                if (Dlab) { v = (byte)_divisor; break; }
                v = ReadRbr();
                break;
            case RegIer:
                v = Dlab ? (byte)(_divisor >> 8) : _ier;
                break;
            case RegIir:
                v = ReadIir();
                break;
            case RegLcr: v = _lcr; break;
            case RegMcr: v = _mcr; break;
            case RegLsr:
                PullHostInput();
                v = Lsr();
                _lineErrors = 0;
                UpdateIrq();
                break;
            case RegMsr:
                v = _msr;
                _msr &= 0xF0; // reading MSR clears the delta bits
                UpdateIrq();
                break;
            case RegScr: v = _scr; break;
            default: v = 0xFF; break;
        }
        return v;
    }

    public void WritePort(ushort port, int size, uint value)
    {
        byte v = (byte)value;
        switch (port - _base)
        {
            case RegData:
                if (Dlab) { _divisor = (ushort)((_divisor & 0xFF00) | v); break; }
                Transmit(v);
                break;
            case RegIer:
                if (Dlab) { _divisor = (ushort)((_divisor & 0x00FF) | (v << 8)); break; }
                {
                    byte old = _ier;
                    _ier = (byte)(v & 0x0F);
                    // Enabling ETBEI while THR is empty raises the THRE interrupt (16550A data sheet).
                    if ((_ier & IerThrEmpty) != 0 && (old & IerThrEmpty) == 0) _thrInterrupt = true;
                    UpdateIrq();
                    UpdatePoll();
                }
                break;
            case RegIir:
                WriteFcr(v);
                break;
            case RegLcr:
                if ((_lcr & 0x80) != 0 && (v & 0x80) == 0 && _divisor != 0)
                    _log.Debug("UART 0x{Base:X3}: divisor {Divisor} ({Baud} baud), LCR 0x{Lcr:X2}", _base, _divisor, 115200 / _divisor, v);
                _lcr = v;
                break;
            case RegMcr:
                _mcr = (byte)(v & 0x1F);
                SetModemStatusLines(ModemStatusLines());
                UpdateIrq();
                UpdatePoll();
                break;
            case RegLsr:
            case RegMsr:
                break; // factory test registers on some parts; ignore
            case RegScr:
                _scr = v;
                break;
        }
    }

    private byte ReadRbr()
    {
        PullHostInput();
        byte v = 0;
        if (_rxCount > 0)
        {
            v = _rx[_rxHead];
            _rxHead = (_rxHead + 1) % FifoSize;
            _rxCount--;
            PullHostInput();
        }
        UpdateIrq();
        return v;
    }

    private byte ReadIir()
    {
        PullHostInput();
        byte id = InterruptId();
        // Reading IIR while THRE is the reported source clears that interrupt.
        if (id == 0x02) _thrInterrupt = false;
        UpdateIrq();
        return (byte)(id | (FifoEnabled ? 0xC0 : 0));
    }

    private void WriteFcr(byte v)
    {
        bool wasEnabled = FifoEnabled;
        _fcr = (byte)(v & 0xC9);
        if (FifoEnabled != wasEnabled || (v & 0x02) != 0) ClearRx();
        // Bit 2 resets the transmit FIFO, which is always empty here.
        PullHostInput();
        UpdateIrq();
    }

    private void ClearRx()
    {
        _rxHead = 0;
        _rxCount = 0;
    }

    private void Transmit(byte v)
    {
        _thrInterrupt = false;
        UpdateIrq(); // writing THR clears the THRE interrupt...
        if (Loopback) Receive(v);
        else _output?.Invoke(v);
        // ...and the instant transmission empties THR again, raising it anew (a fresh edge).
        if ((_ier & IerThrEmpty) != 0) _thrInterrupt = true;
        UpdateIrq();
    }

    /// <summary>A byte arriving on the serial input (or looped back). A full FIFO overruns.</summary>
    private void Receive(byte v)
    {
        if (_rxCount >= RxCapacity)
        {
            _lineErrors |= LsrOverrun;
            if (!FifoEnabled) _rx[_rxHead] = v; // the 16450 holding register is overwritten
            return;
        }
        _rx[(_rxHead + _rxCount) % FifoSize] = v;
        _rxCount++;
    }

    /// <summary>Moves queued host bytes into the receive FIFO while it has room (host bytes are never overrun).</summary>
    private void PullHostInput()
    {
        if (Loopback) return; // loopback disconnects the serial input
        while (_rxCount < RxCapacity && _hostInput.TryDequeue(out byte b)) Receive(b);
    }

    private byte Lsr()
    {
        byte v = (byte)(LsrThrEmpty | LsrTransmitterEmpty | _lineErrors);
        if (_rxCount > 0) v |= LsrDataReady;
        return v;
    }

    /// <summary>IIR bits 0–3 for the highest-priority pending source (1 = none).</summary>
    private byte InterruptId()
    {
        if ((_ier & IerLineStatus) != 0 && (_lineErrors & 0x1E) != 0) return 0x06;
        if ((_ier & IerRxData) != 0 && _rxCount > 0)
            // Below the trigger level the 16550A reports a character timeout after four character
            // times; with no modelled line timing it is reported at once.
            return !FifoEnabled || _rxCount >= RxTrigger ? (byte)0x04 : (byte)0x0C;
        if ((_ier & IerThrEmpty) != 0 && _thrInterrupt) return 0x02;
        if ((_ier & IerModemStatus) != 0 && (_msr & 0x0F) != 0) return 0x00;
        return 0x01;
    }

    /// <summary>The IRQ pin: an interrupt is pending and OUT2 enables the PC's IRQ driver.</summary>
    private void UpdateIrq()
    {
        bool level = (InterruptId() & 1) == 0 && (_mcr & McrOut2) != 0;
        if (level == _irqLevel) return;
        _irqLevel = level;
        _irq?.SetIrq(_irqLine, level);
    }

    /// <summary>MSR bits 4–7 (CTS, DSR, RI, DCD): loopback maps RTS, DTR, OUT1, OUT2; else a connected terminal.</summary>
    private byte ModemStatusLines()
    {
        if (!Loopback) return 0xB0; // DCD, DSR, CTS asserted; no ring
        int v = 0;
        if ((_mcr & McrRts) != 0) v |= 0x10;
        if ((_mcr & McrDtr) != 0) v |= 0x20;
        if ((_mcr & McrOut1) != 0) v |= 0x40;
        if ((_mcr & McrOut2) != 0) v |= 0x80;
        return (byte)v;
    }

    private void SetModemStatusLines(byte lines)
    {
        byte old = (byte)(_msr & 0xF0);
        byte changed = (byte)(old ^ lines);
        byte delta = (byte)(_msr & 0x0F);
        if ((changed & 0x10) != 0) delta |= 0x01;                          // DCTS
        if ((changed & 0x20) != 0) delta |= 0x02;                          // DDSR
        if ((old & 0x40) != 0 && (lines & 0x40) == 0) delta |= 0x04;       // TERI: RI trailing edge
        if ((changed & 0x80) != 0) delta |= 0x08;                          // DDCD
        _msr = (byte)(lines | delta);
    }

    public string SnapshotSection => $"uart@{_base:x}";

    /// <summary>Registers, the receive FIFO and the input poll; bytes the host typed but the guest has not received yet stay with the host.</summary>
    public void SaveState(Emulator.Core.Snapshots.SnapshotWriter w)
    {
        w.WriteBytes(_rx);
        w.WriteInt32(_rxHead); w.WriteInt32(_rxCount);
        w.WriteUInt16(_divisor);
        w.WriteByte(_ier); w.WriteByte(_lcr); w.WriteByte(_mcr); w.WriteByte(_scr); w.WriteByte(_fcr);
        w.WriteByte(_lineErrors); w.WriteByte(_msr);
        w.WriteBool(_thrInterrupt); w.WriteBool(_irqLevel);
        w.WriteEvent(_poll);
    }

    public void LoadState(Emulator.Core.Snapshots.SnapshotReader r)
    {
        r.ReadBytes(_rx);
        _rxHead = r.ReadInt32(0, FifoSize - 1); _rxCount = r.ReadInt32(0, FifoSize);
        _divisor = r.ReadUInt16();
        _ier = r.ReadByte(); _lcr = r.ReadByte(); _mcr = r.ReadByte(); _scr = r.ReadByte(); _fcr = r.ReadByte();
        _lineErrors = r.ReadByte(); _msr = r.ReadByte();
        _thrInterrupt = r.ReadBool(); _irqLevel = r.ReadBool();
        _poll = _clock.Restore(r.ReadEvent(), _pollCallback);
    }

    /// <summary>Keeps a host-input poll armed while the guest waits for receive interrupts.</summary>
    private void UpdatePoll()
    {
        bool wanted = (_ier & IerRxData) != 0 && (_mcr & McrOut2) != 0 && !Loopback;
        if (wanted && _poll == null) _poll = _clock.ScheduleIn(InputPollTicks, _pollCallback);
        else if (!wanted && _poll != null) { _poll.Cancel(); _poll = null; }
    }

    private void OnPoll()
    {
        _poll = null;
        PullHostInput();
        UpdateIrq();
        UpdatePoll();
    }
}
