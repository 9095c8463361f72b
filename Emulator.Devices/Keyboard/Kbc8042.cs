using Emulator.Core.Bus;
using Emulator.Core.Input;
using Emulator.Core.Machine;
using Emulator.Core.Memory;
using Serilog;

namespace Emulator.Devices;

/// <summary>
/// The Intel 8042 keyboard controller (data port 0x60, status/command port 0x64) with a PS/2
/// keyboard behind it that answers the usual commands (reset, identify, LEDs, scan-code set,
/// enable/disable scanning) and types the host's keys (<see cref="KeyEvent"/>, fed by the
/// deterministic input log). The keyboard sends set 2 (or set 1 after F0 01); with the command
/// byte's translation bit on (the default) the controller hands the CPU set 1, as PCs do. A key
/// byte raises IRQ1 when the command byte's keyboard interrupt bit is on; while the keyboard
/// interface is disabled (command byte bit 4, command 0xAD) the keyboard holds its bytes (up to
/// <see cref="KeyboardBufferSize"/>) until it is enabled again. The output port's bit 1 is the A20
/// gate (<see cref="PhysicalMemory.A20Enabled"/>) and bit 0 the CPU reset line.
/// <para>
/// The controller starts in the state a PC BIOS leaves it in (self-test passed: system flag
/// set; command byte 0x45: keyboard interrupt on, translation on, mouse off), since no
/// firmware runs before the guest.
/// </para>
/// </summary>
public sealed class Kbc8042 : IPortDevice, Emulator.Core.Snapshots.ISnapshotState
{
    public const ushort DataPort = 0x60, StatusPort = 0x64;
    public const int KeyboardIrq = 1, MouseIrq = 12;

    public const byte StatusOutputFull = 0x01, StatusInputFull = 0x02, StatusSystem = 0x04, StatusCommand = 0x08,
        StatusUnlocked = 0x10, StatusAuxOutputFull = 0x20;
    /// <summary>Key bytes the keyboard holds while its interface is disabled; bytes waiting in the controller's output queue.</summary>
    public const int KeyboardBufferSize = 16, OutputQueueLimit = 64;

    public const byte CmdKeyboardInterrupt = 0x01, CmdMouseInterrupt = 0x02, CmdSystem = 0x04,
        CmdKeyboardDisabled = 0x10, CmdMouseDisabled = 0x20, CmdTranslate = 0x40;

    private readonly PhysicalMemory _memory;
    private readonly IMachineControl? _control;
    private readonly IIrqSink? _irq;
    private readonly ILogger _log;

    /// <summary>Bytes waiting for the guest; the head is in the output buffer. Aux bytes come from the mouse.</summary>
    private readonly Queue<(byte Value, bool Aux)> _output = new();
    private byte _lastOutput;
    private byte _commandByte = CmdKeyboardInterrupt | CmdSystem | CmdTranslate | CmdMouseDisabled;
    private bool _lastWriteWasCommand;
    /// <summary>The controller command whose parameter byte the next data-port write supplies (0 = none).</summary>
    private byte _pendingCommand;
    /// <summary>The keyboard command whose parameter byte the next keyboard write supplies (0 = none).</summary>
    private byte _pendingKeyboardCommand;
    private bool _keyboardScanning = true;
    private byte _scanCodeSet = 2;
    private bool _irq1Level, _irq12Level;
    /// <summary>Key bytes (in the keyboard's scan code set) held while the keyboard interface is disabled.</summary>
    private readonly Queue<byte> _keyboardHeld = new();
    /// <summary>Translation saw F0 (a set-2 break prefix): the next code gets bit 7.</summary>
    private bool _translateBreak;

    public Kbc8042(PhysicalMemory memory, IMachineControl? control, IIrqSink? irq, ILogger? log = null)
    {
        _memory = memory;
        _control = control;
        _irq = irq;
        _log = log ?? Serilog.Log.Logger;
    }

    public string SnapshotSection => "kbc";

    public void SaveState(Emulator.Core.Snapshots.SnapshotWriter w)
    {
        w.WriteInt32(_output.Count);
        foreach (var (value, aux) in _output) { w.WriteByte(value); w.WriteBool(aux); }
        w.WriteByte(_lastOutput);
        w.WriteByte(_commandByte);
        w.WriteBool(_lastWriteWasCommand);
        w.WriteByte(_pendingCommand);
        w.WriteByte(_pendingKeyboardCommand);
        w.WriteBool(_keyboardScanning);
        w.WriteByte(_scanCodeSet);
        w.WriteBool(_irq1Level);
        w.WriteBool(_irq12Level);
        w.WriteBytes(_keyboardHeld.ToArray());
        w.WriteBool(_translateBreak);
    }

    public void LoadState(Emulator.Core.Snapshots.SnapshotReader r)
    {
        _output.Clear();
        int n = r.ReadInt32(0, 4096);
        for (int i = 0; i < n; i++) _output.Enqueue((r.ReadByte(), r.ReadBool()));
        _lastOutput = r.ReadByte();
        _commandByte = r.ReadByte();
        _lastWriteWasCommand = r.ReadBool();
        _pendingCommand = r.ReadByte();
        _pendingKeyboardCommand = r.ReadByte();
        _keyboardScanning = r.ReadBool();
        _scanCodeSet = r.ReadByte();
        _irq1Level = r.ReadBool();
        _irq12Level = r.ReadBool();
        var held = r.ReadBytes();
        if (held.Length > KeyboardBufferSize)
            throw new Emulator.Core.Snapshots.SnapshotFormatException($"the snapshot's keyboard holds {held.Length} bytes (at most {KeyboardBufferSize})");
        _keyboardHeld.Clear();
        foreach (byte b in held) _keyboardHeld.Enqueue(b);
        _translateBreak = r.ReadBool();
    }

    public byte CommandByte => _commandByte;
    public bool KeyboardEnabled => (_commandByte & CmdKeyboardDisabled) == 0;
    public bool KeyboardScanning => _keyboardScanning;
    public bool OutputBufferFull => _output.Count > 0;
    public byte ScanCodeSet => _scanCodeSet;
    public bool Translating => (_commandByte & CmdTranslate) != 0;

    /// <summary>
    /// A key went down or up on the host (through the input log, on the CPU thread). Dropped while
    /// the keyboard does not scan (command F5).
    /// </summary>
    public void KeyEvent(KeyInput key)
    {
        if (!_keyboardScanning || !KeyInput.IsValidScanCode(key.ScanCode)) return;
        if (_scanCodeSet == 1)
        {
            if (key.Extended) KeyboardSend(0xE0);
            KeyboardSend((byte)(key.Code | (key.Pressed ? 0 : 0x80)));
            return;
        }
        byte code = ScanCodeSet2.FromSet1Code(key.Code, key.Extended);
        if (code == 0)
        {
            _log.Debug("8042: the key with set-1 code 0x{Code:X4} has no set-2 code; ignored", key.ScanCode);
            return;
        }
        if (key.Extended) KeyboardSend(0xE0);
        if (!key.Pressed) KeyboardSend(0xF0);
        KeyboardSend(code);
    }

    /// <summary>One byte from the keyboard to the controller: held while the interface is disabled, else translated and queued.</summary>
    private void KeyboardSend(byte value)
    {
        if (!KeyboardEnabled)
        {
            if (_keyboardHeld.Count < KeyboardBufferSize) _keyboardHeld.Enqueue(value);
            return;
        }
        if (_scanCodeSet != 1 && Translating)
        {
            if (value == 0xF0) { _translateBreak = true; return; }
            if (value is not (0xE0 or 0xE1))
            {
                value = (byte)(ScanCodeSet2.ToSet1Code(value) | (_translateBreak ? 0x80 : 0));
                _translateBreak = false;
            }
        }
        if (_output.Count >= OutputQueueLimit) return; // the guest is not reading: the key is lost
        _output.Enqueue((value, false));
        UpdateIrq();
    }

    /// <summary>The keyboard interface was enabled: the bytes the keyboard held go out.</summary>
    private void ReleaseHeldKeys()
    {
        while (KeyboardEnabled && _keyboardHeld.Count > 0) KeyboardSend(_keyboardHeld.Dequeue());
    }

    public uint ReadPort(ushort port, int size) => port == DataPort ? ReadData() : ReadStatus();

    public void WritePort(ushort port, int size, uint value)
    {
        if (port == DataPort) WriteData((byte)value);
        else WriteCommand((byte)value);
    }

    private byte ReadStatus()
    {
        int s = StatusUnlocked;
        if (_output.Count > 0)
        {
            s |= StatusOutputFull;
            if (_output.Peek().Aux) s |= StatusAuxOutputFull;
        }
        if ((_commandByte & CmdSystem) != 0) s |= StatusSystem;
        if (_lastWriteWasCommand) s |= StatusCommand;
        return (byte)s; // the input buffer is consumed instantly: IBF always reads 0
    }

    private byte ReadData()
    {
        if (_output.Count > 0)
        {
            _lastOutput = _output.Dequeue().Value;
            // Reading empties the output buffer: the IRQ line drops, and the next byte (if any)
            // raises it again, a fresh edge for the edge-triggered PIC.
            if (_irq1Level) { _irq1Level = false; _irq?.SetIrq(KeyboardIrq, false); }
            if (_irq12Level) { _irq12Level = false; _irq?.SetIrq(MouseIrq, false); }
        }
        UpdateIrq();
        return _lastOutput; // an empty buffer reads the last byte again
    }

    /// <summary>A byte from the controller itself (command replies) into the output buffer.</summary>
    private void Reply(byte value, bool aux = false)
    {
        if (_output.Count >= OutputQueueLimit) return; // a guest that never reads cannot grow the queue
        _output.Enqueue((value, aux));
        UpdateIrq();
    }

    /// <summary>IRQ1/IRQ12 follow "output buffer full" for the head byte's source, gated by the command byte.</summary>
    private void UpdateIrq()
    {
        bool kbd = false, aux = false;
        if (_output.Count > 0)
        {
            if (_output.Peek().Aux) aux = (_commandByte & CmdMouseInterrupt) != 0;
            else kbd = (_commandByte & CmdKeyboardInterrupt) != 0;
        }
        if (kbd != _irq1Level) { _irq1Level = kbd; _irq?.SetIrq(KeyboardIrq, kbd); }
        if (aux != _irq12Level) { _irq12Level = aux; _irq?.SetIrq(MouseIrq, aux); }
    }

    /// <summary>The output port: bit 0 reset (1 = running), bit 1 A20, bit 4 OBF (IRQ1), bit 5 aux OBF, bits 2–3, 6–7 ones.</summary>
    private byte OutputPort()
    {
        int v = 0xCD | (_memory.A20Enabled ? 0x02 : 0);
        if (_output.Count > 0) v |= _output.Peek().Aux ? 0x20 : 0x10;
        return (byte)v;
    }

    private void WriteOutputPort(byte value)
    {
        _memory.A20Enabled = (value & 0x02) != 0;
        if ((value & 0x01) == 0) _control?.RequestReset("8042 output port write cleared the reset line");
    }

    private void WriteCommand(byte cmd)
    {
        _lastWriteWasCommand = true;
        _pendingCommand = 0;
        switch (cmd)
        {
            case 0x20: Reply(_commandByte); break;
            case 0x60: case 0xD1: case 0xD2: case 0xD3: case 0xD4:
                _pendingCommand = cmd;
                break;
            case 0xA7: _commandByte |= CmdMouseDisabled; break;
            case 0xA8: _commandByte = (byte)(_commandByte & ~CmdMouseDisabled); break;
            case 0xA9: Reply(0x00); break; // mouse interface test: OK
            case 0xAA:
                _commandByte |= CmdSystem;
                Reply(0x55); // controller self-test passed
                break;
            case 0xAB: Reply(0x00); break; // keyboard interface test: OK
            case 0xAD: _commandByte |= CmdKeyboardDisabled; break;
            case 0xAE:
                _commandByte = (byte)(_commandByte & ~CmdKeyboardDisabled);
                ReleaseHeldKeys();
                break;
            case 0xC0: Reply(0x80); break; // input port: keyboard not inhibited
            case 0xD0: Reply(OutputPort()); break;
            case 0xDD: _memory.A20Enabled = false; break;
            case 0xDF: _memory.A20Enabled = true; break;
            default:
                if (cmd >= 0xF0)
                {
                    // Pulse output port bits 0–3 low for those clear in the command: bit 0 is reset.
                    if ((cmd & 0x01) == 0) _control?.RequestReset($"8042 command 0x{cmd:X2} pulsed the reset line");
                    break;
                }
                _log.Debug("8042: unsupported controller command 0x{Cmd:X2} ignored", cmd);
                break;
        }
    }

    private void WriteData(byte value)
    {
        _lastWriteWasCommand = false;
        byte cmd = _pendingCommand;
        _pendingCommand = 0;
        switch (cmd)
        {
            case 0x60:
                _commandByte = value;
                UpdateIrq();
                ReleaseHeldKeys();
                break;
            case 0xD1: WriteOutputPort(value); break;
            case 0xD2: Reply(value); break;             // as if the keyboard sent it
            case 0xD3: Reply(value, aux: true); break;  // as if the mouse sent it
            case 0xD4: break;                           // to the mouse: no mouse is attached
            default:
                // Writing data to the keyboard re-enables its interface (as the 8042 does).
                _commandByte = (byte)(_commandByte & ~CmdKeyboardDisabled);
                KeyboardWrite(value);
                ReleaseHeldKeys();
                break;
        }
    }

    /// <summary>The PS/2 keyboard's command set (subset): every byte is acknowledged with 0xFA.</summary>
    private void KeyboardWrite(byte value)
    {
        if (_pendingKeyboardCommand != 0)
        {
            byte pending = _pendingKeyboardCommand;
            _pendingKeyboardCommand = 0;
            Reply(0xFA);
            if (pending == 0xF0)
            {
                if (value == 0) Reply(_scanCodeSet);
                else if (value <= 3) _scanCodeSet = value;
            }
            return;
        }
        switch (value)
        {
            case 0xED: case 0xF3: case 0xF0:
                _pendingKeyboardCommand = value; // LEDs, typematic rate, scan-code set: a parameter follows
                Reply(0xFA);
                break;
            case 0xEE: Reply(0xEE); break; // echo
            case 0xF2: Reply(0xFA); Reply(0xAB); Reply(0x83); break; // identify: MF2 keyboard
            case 0xF4: _keyboardScanning = true; Reply(0xFA); break;
            case 0xF5: _keyboardScanning = false; Reply(0xFA); break;
            case 0xF6: _keyboardScanning = true; _scanCodeSet = 2; _keyboardHeld.Clear(); Reply(0xFA); break;
            case 0xFF: _keyboardScanning = true; _scanCodeSet = 2; _keyboardHeld.Clear(); Reply(0xFA); Reply(0xAA); break; // reset + BAT passed
            default: Reply(0xFA); break;
        }
    }
}
