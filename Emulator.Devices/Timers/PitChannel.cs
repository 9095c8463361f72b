namespace Emulator.Devices;

/// <summary>
/// One counter of the 8254. Nothing runs per clock: the counter remembers the PIT tick at which
/// it started counting and derives its count and OUT level from the ticks elapsed since then.
/// </summary>
internal sealed class PitChannel
{
    public readonly int Index;

    /// <summary>Counter mode 0–5 (modes 6 and 7 are aliases of 2 and 3).</summary>
    public int Mode;
    /// <summary>Read/write access: 1 = low byte, 2 = high byte, 3 = low then high.</summary>
    public int Access = 3;
    public bool Bcd;
    /// <summary>The count in counting units (1..65536 binary, 1..10000 BCD; 0 written means the maximum).</summary>
    public int Reload = 0x10000;
    public bool CountWritten;
    public bool Gate;
    /// <summary>Counting is in progress (gate allows it, and for modes 1/5 a trigger happened).</summary>
    public bool Running;
    public bool Triggered;
    /// <summary>The PIT tick at which counting (re)started.</summary>
    public ulong LoadPit;
    /// <summary>Elapsed ticks held while counting is stopped (gate low).</summary>
    public ulong FrozenElapsed;

    private bool _writeHighNext;
    private byte _writeLow;
    private bool _readHighNext;
    private bool _countLatched;
    private ushort _latchedCount;
    private bool _latchReadHigh;
    private bool _statusLatched;
    private byte _latchedStatus;

    public PitChannel(int index, bool gate)
    {
        Index = index;
        Gate = gate;
    }

    public void SaveState(Emulator.Core.Snapshots.SnapshotWriter w)
    {
        w.WriteInt32(Mode); w.WriteInt32(Access); w.WriteBool(Bcd); w.WriteInt32(Reload);
        w.WriteBool(CountWritten); w.WriteBool(Gate); w.WriteBool(Running); w.WriteBool(Triggered);
        w.WriteUInt64(LoadPit); w.WriteUInt64(FrozenElapsed);
        w.WriteBool(_writeHighNext); w.WriteByte(_writeLow); w.WriteBool(_readHighNext);
        w.WriteBool(_countLatched); w.WriteUInt16(_latchedCount); w.WriteBool(_latchReadHigh);
        w.WriteBool(_statusLatched); w.WriteByte(_latchedStatus);
    }

    public void LoadState(Emulator.Core.Snapshots.SnapshotReader r)
    {
        Mode = r.ReadInt32(0, 5); Access = r.ReadInt32(1, 3); Bcd = r.ReadBool(); Reload = r.ReadInt32(1, 0x10000);
        CountWritten = r.ReadBool(); Gate = r.ReadBool(); Running = r.ReadBool(); Triggered = r.ReadBool();
        LoadPit = r.ReadUInt64(); FrozenElapsed = r.ReadUInt64();
        _writeHighNext = r.ReadBool(); _writeLow = r.ReadByte(); _readHighNext = r.ReadBool();
        _countLatched = r.ReadBool(); _latchedCount = r.ReadUInt16(); _latchReadHigh = r.ReadBool();
        _statusLatched = r.ReadBool(); _latchedStatus = r.ReadByte();
    }

    private int Modulus => Bcd ? 10000 : 0x10000;

    public ulong Elapsed(ulong pitNow)
    {
        if (!CountWritten) return 0;
        return Running ? pitNow - LoadPit : FrozenElapsed;
    }

    /// <summary>The counting element's value (as a number, before BCD encoding).</summary>
    public int Count(ulong pitNow)
    {
        if (!CountWritten) return 0;
        int n = Reload, mod = Modulus;
        ulong e = Elapsed(pitNow);
        switch (Mode)
        {
            case 2:
                return (n - (int)(e % (ulong)n)) % mod;
            case 3:
                {
                    // Mode 3 decrements by two; for an odd count the high half lasts one clock longer.
                    int p = (int)(e % (ulong)n);
                    int firstHalf = (n + 1) / 2;
                    int even = n & ~1;
                    int q = p < firstHalf ? p : p - firstHalf;
                    return Math.Max(0, even - 2 * q) % mod;
                }
            case 1:
            case 5:
                if (!Triggered) return n % mod;
                goto default;
            default:
                {
                    int done = (int)(e % (ulong)mod);
                    return ((n - done) % mod + mod) % mod;
                }
        }
    }

    /// <summary>The OUT pin.</summary>
    public bool Output(ulong pitNow)
    {
        if (!CountWritten) return Mode != 0;
        int n = Reload;
        ulong e = Elapsed(pitNow);
        switch (Mode)
        {
            case 0: return e >= (ulong)n;
            case 1: return !Triggered || e >= (ulong)n;
            case 2: return !Gate || e % (ulong)n != (ulong)(n - 1);
            case 3: return !Gate || e % (ulong)n < (ulong)((n + 1) / 2);
            case 4: return e != (ulong)n;
            case 5: return !Triggered || e != (ulong)n;
            default: return true;
        }
    }

    /// <summary>A control word addressed to this counter (not a latch command).</summary>
    public void Program(int access, int mode, bool bcd)
    {
        Access = access;
        Mode = mode > 5 ? mode - 4 : mode;
        Bcd = bcd;
        CountWritten = false;
        Running = false;
        Triggered = false;
        FrozenElapsed = 0;
        _writeHighNext = false;
        _readHighNext = false;
        _countLatched = false;
        _statusLatched = false;
    }

    /// <summary>A byte written to the counter's data port; returns true when a complete count was loaded.</summary>
    public bool WriteByte(byte value, ulong pitNow)
    {
        int raw;
        switch (Access)
        {
            case 1: raw = value; break;
            case 2: raw = value << 8; break;
            default:
                if (!_writeHighNext) { _writeLow = value; _writeHighNext = true; return false; }
                _writeHighNext = false;
                raw = _writeLow | (value << 8);
                break;
        }
        Load(raw, pitNow);
        return true;
    }

    private void Load(int raw, ulong pitNow)
    {
        int n = Bcd ? FromBcd(raw) : raw;
        if (n == 0) n = Modulus;
        Reload = n;
        CountWritten = true;
        FrozenElapsed = 0;
        LoadPit = pitNow;
        // A new count restarts counting at once (QEMU does the same; the 8254 would let modes 2
        // and 3 finish the current period first).
        if (Mode == 1 || Mode == 5) { Running = false; Triggered = false; }
        else Running = Gate;
    }

    public void SetGate(bool level, ulong pitNow)
    {
        if (level == Gate) return;
        Gate = level;
        if (!CountWritten) return;
        switch (Mode)
        {
            case 0:
            case 4:
                // Gate low suspends counting; gate high resumes it.
                if (!level) { FrozenElapsed = Elapsed(pitNow); Running = false; }
                else { LoadPit = pitNow - FrozenElapsed; Running = true; }
                break;
            case 1:
            case 5:
                if (level) { Triggered = true; Running = true; LoadPit = pitNow; FrozenElapsed = 0; }
                break;
            default:
                // Modes 2/3: gate low stops counting and forces OUT high; a rising edge reloads.
                if (!level) { FrozenElapsed = Elapsed(pitNow); Running = false; }
                else { LoadPit = pitNow; FrozenElapsed = 0; Running = true; }
                break;
        }
    }

    public void LatchCount(ulong pitNow)
    {
        if (_countLatched) return; // a second latch before the first is read is ignored
        _countLatched = true;
        _latchReadHigh = false;
        _latchedCount = Encode(Count(pitNow));
    }

    public void LatchStatus(ulong pitNow)
    {
        if (_statusLatched) return;
        _statusLatched = true;
        bool nullCount = !CountWritten || (Running && pitNow == LoadPit);
        _latchedStatus = (byte)((Output(pitNow) ? 0x80 : 0) | (nullCount ? 0x40 : 0) | (Access << 4) | (Mode << 1) | (Bcd ? 1 : 0));
    }

    public byte ReadByte(ulong pitNow)
    {
        if (_statusLatched)
        {
            _statusLatched = false;
            return _latchedStatus;
        }
        ushort value;
        bool high;
        if (_countLatched)
        {
            value = _latchedCount;
            if (Access == 3)
            {
                high = _latchReadHigh;
                _latchReadHigh = !_latchReadHigh;
                if (high) _countLatched = false;
            }
            else
            {
                high = Access == 2;
                _countLatched = false;
            }
        }
        else
        {
            value = Encode(Count(pitNow));
            if (Access == 3) { high = _readHighNext; _readHighNext = !_readHighNext; }
            else high = Access == 2;
        }
        return high ? (byte)(value >> 8) : (byte)value;
    }

    private ushort Encode(int count) => Bcd ? (ushort)ToBcd(count) : (ushort)count;

    private static int FromBcd(int raw) =>
        ((raw >> 12) & 0xF) * 1000 + ((raw >> 8) & 0xF) * 100 + ((raw >> 4) & 0xF) * 10 + (raw & 0xF);

    private static int ToBcd(int n) =>
        ((n / 1000 % 10) << 12) | ((n / 100 % 10) << 8) | ((n / 10 % 10) << 4) | (n % 10);
}
