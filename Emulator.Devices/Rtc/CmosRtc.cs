using Emulator.Core.Bus;
using Emulator.Core.Timing;
using Serilog;

namespace Emulator.Devices;

/// <summary>
/// The Motorola MC146818 real-time clock with its 128 bytes of CMOS RAM (index port 0x70, bit 7
/// = NMI disable; data port 0x71), IRQ8. The time is a configurable base date (default
/// 2000-01-01 00:00:00, never the host clock) advanced by virtual time, so every run sees the
/// same dates. Time registers are computed when read; nothing runs per instruction. Periodic,
/// update-ended and alarm interrupts use scheduled clock events only while enabled; PF and UF
/// read through register C are also derived from elapsed time when their interrupts are off.
/// </summary>
public sealed class CmosRtc : IPortDevice, Emulator.Core.Snapshots.ISnapshotState
{
    public const ushort IndexPort = 0x70, DataPort = 0x71;
    public const int RtcIrq = 8;
    public static readonly DateTime DefaultBaseTime = new(2000, 1, 1, 0, 0, 0);

    public const int RegSeconds = 0x00, RegSecondsAlarm = 0x01, RegMinutes = 0x02, RegMinutesAlarm = 0x03,
        RegHours = 0x04, RegHoursAlarm = 0x05, RegDayOfWeek = 0x06, RegDayOfMonth = 0x07, RegMonth = 0x08,
        RegYear = 0x09, RegA = 0x0A, RegB = 0x0B, RegC = 0x0C, RegD = 0x0D, RegCentury = 0x32;

    public const byte AUip = 0x80;
    public const byte BSet = 0x80, BPie = 0x40, BAie = 0x20, BUie = 0x10, BBinary = 0x04, B24Hour = 0x02;
    public const byte CIrqf = 0x80, CPf = 0x40, CAf = 0x20, CUf = 0x10;

    /// <summary>UIP is set for the last 244 µs of every second (the MC146818's update warning time).</summary>
    public const ulong UipTicks = 244_000 / (1_000_000_000 / VirtualClock.TicksPerSecond);

    private const ulong Tps = VirtualClock.TicksPerSecond;

    private readonly VirtualClock _clock;
    private readonly IIrqSink? _irq;
    private readonly ILogger _log;
    private readonly byte[] _cmos = new byte[128];
    private byte _index;

    /// <summary>The time at virtual tick <see cref="_baseTicks"/> (whole seconds).</summary>
    private DateTime _baseTime;
    private ulong _baseTicks;
    /// <summary>Flags set by interrupt events, not yet read through register C.</summary>
    private byte _eventFlags;
    private ulong _lastCReadTicks;
    private ulong _lastCSecond;
    private bool _irqLevel;
    private VirtualClock.Handle? _periodicEvent, _updateEvent;
    private ulong _periodicIndex;
    private readonly Action _periodicCallback, _updateCallback;

    public CmosRtc(VirtualClock clock, IIrqSink? irq, uint ramBytes, DateTime? baseTime = null, ILogger? log = null)
    {
        _clock = clock;
        _irq = irq;
        _log = log ?? Serilog.Log.Logger;
        _baseTime = TruncateToSecond(baseTime ?? DefaultBaseTime);
        _baseTicks = clock.Now;
        _lastCReadTicks = clock.Now;
        _periodicCallback = OnPeriodic;
        _updateCallback = OnUpdate;
        _cmos[RegA] = 0x26; // 32.768 kHz time base, 1024 Hz periodic rate
        _cmos[RegB] = B24Hour;
        _cmos[RegD] = 0x80;
        SetMemorySize(ramBytes);
    }

    public string SnapshotSection => "rtc";

    public void SaveState(Emulator.Core.Snapshots.SnapshotWriter w)
    {
        w.WriteBytes(_cmos);
        w.WriteByte(_index);
        w.WriteBool(NmiDisabled);
        w.WriteInt64(_baseTime.Ticks);
        w.WriteUInt64(_baseTicks);
        w.WriteByte(_eventFlags);
        w.WriteUInt64(_lastCReadTicks);
        w.WriteUInt64(_lastCSecond);
        w.WriteBool(_irqLevel);
        w.WriteEvent(_periodicEvent);
        w.WriteEvent(_updateEvent);
        w.WriteUInt64(_periodicIndex);
    }

    public void LoadState(Emulator.Core.Snapshots.SnapshotReader r)
    {
        r.ReadBytes(_cmos);
        _index = r.ReadByte();
        if (_index > 0x7F) throw new Emulator.Core.Snapshots.SnapshotFormatException("snapshot section 'rtc' has a CMOS index beyond 127");
        NmiDisabled = r.ReadBool();
        long baseTime = r.ReadInt64();
        if (baseTime < DateTime.MinValue.Ticks || baseTime > DateTime.MaxValue.Ticks)
            throw new Emulator.Core.Snapshots.SnapshotFormatException("snapshot section 'rtc' has an impossible date");
        _baseTime = new DateTime(baseTime, DateTimeKind.Unspecified);
        _baseTicks = r.ReadUInt64();
        _eventFlags = r.ReadByte();
        _lastCReadTicks = r.ReadUInt64();
        _lastCSecond = r.ReadUInt64();
        _irqLevel = r.ReadBool();
        _periodicEvent = _clock.Restore(r.ReadEvent(), _periodicCallback);
        _updateEvent = _clock.Restore(r.ReadEvent(), _updateCallback);
        _periodicIndex = r.ReadUInt64();
    }

    /// <summary>True when the last index write had bit 7 set (NMI masked).</summary>
    public bool NmiDisabled { get; private set; }

    /// <summary>The RTC's current date and time (whole seconds).</summary>
    public DateTime CurrentTime => (_cmos[RegB] & BSet) != 0 ? ParseRegisters() : RunningTime();

    /// <summary>Direct CMOS RAM access for firmware-less loaders and tests (no side effects).</summary>
    public byte this[int index]
    {
        get => _cmos[index & 0x7F];
        set => _cmos[index & 0x7F] = value;
    }

    private void SetMemorySize(uint ramBytes)
    {
        const uint MiB = 1024 * 1024;
        // 0x15/0x16: base memory in KiB; 0x17/0x18 and 0x30/0x31: KiB above 1 MiB (16-bit, capped);
        // 0x34/0x35: memory above 16 MiB in 64 KiB units (the AMI/Bochs convention SeaBIOS reads).
        SetWord(0x15, 640);
        uint extKiB = ramBytes > MiB ? (ramBytes - MiB) / 1024 : 0;
        ushort ext = (ushort)Math.Min(extKiB, 0xFFFFu);
        SetWord(0x17, ext);
        SetWord(0x30, ext);
        uint above16 = ramBytes > 16 * MiB ? (ramBytes - 16 * MiB) / (64 * 1024) : 0;
        SetWord(0x34, (ushort)Math.Min(above16, 0xFFFFu));
        _cmos[RegCentury] = ToBcd(_baseTime.Year / 100);
        // Standard checksum over 0x10–0x2D at 0x2E (high) / 0x2F (low).
        int sum = 0;
        for (int i = 0x10; i <= 0x2D; i++) sum += _cmos[i];
        _cmos[0x2E] = (byte)(sum >> 8);
        _cmos[0x2F] = (byte)sum;
    }

    private void SetWord(int index, ushort value)
    {
        _cmos[index] = (byte)value;
        _cmos[index + 1] = (byte)(value >> 8);
    }

    public uint ReadPort(ushort port, int size)
    {
        if (port == IndexPort) return 0xFF; // the index register is write-only
        return ReadRegister(_index);
    }

    public void WritePort(ushort port, int size, uint value)
    {
        if (port == IndexPort)
        {
            _index = (byte)(value & 0x7F);
            NmiDisabled = (value & 0x80) != 0;
            return;
        }
        WriteRegister(_index, (byte)value);
    }

    private bool SetMode => (_cmos[RegB] & BSet) != 0;
    private bool Binary => (_cmos[RegB] & BBinary) != 0;

    public byte ReadRegister(int index)
    {
        switch (index)
        {
            case RegSeconds: case RegMinutes: case RegHours: case RegDayOfWeek:
            case RegDayOfMonth: case RegMonth: case RegYear: case RegCentury:
                SnapshotTime();
                return _cmos[index];
            case RegA:
                return (byte)((_cmos[RegA] & 0x7F) | (UpdateInProgress() ? AUip : 0));
            case RegC:
                return ReadRegisterC();
            case RegD:
                return 0x80; // VRT: the battery is fine
            default:
                return _cmos[index & 0x7F];
        }
    }

    public void WriteRegister(int index, byte value)
    {
        switch (index)
        {
            case RegSeconds: case RegMinutes: case RegHours: case RegDayOfWeek:
            case RegDayOfMonth: case RegMonth: case RegYear: case RegCentury:
                if (!SetMode) SnapshotTime();
                _cmos[index] = value;
                if (!SetMode) Rebase();
                RescheduleUpdate();
                break;
            case RegSecondsAlarm: case RegMinutesAlarm: case RegHoursAlarm:
                _cmos[index] = value;
                break;
            case RegA:
                _cmos[RegA] = (byte)(value & 0x7F);
                ReschedulePeriodic();
                break;
            case RegB:
                {
                    byte old = _cmos[RegB];
                    bool setting = (value & BSet) != 0, wasSet = (old & BSet) != 0;
                    if (setting && !wasSet) SnapshotTime(); // freeze the registers in the old format
                    if (setting) value &= unchecked((byte)~BUie); // SET clears UIE (MC146818 data sheet)
                    _cmos[RegB] = value;
                    if (!setting && wasSet) Rebase();
                    ReschedulePeriodic();
                    RescheduleUpdate();
                    break;
                }
            case RegC:
            case RegD:
                break; // read-only
            default:
                _cmos[index & 0x7F] = value;
                break;
        }
    }

    // ---- Time -----------------------------------------------------------------------------

    private static DateTime TruncateToSecond(DateTime t) => new(t.Ticks - t.Ticks % TimeSpan.TicksPerSecond, DateTimeKind.Unspecified);

    private ulong SecondIndex(ulong now) => (now - _baseTicks) / Tps;

    private DateTime RunningTime() => _baseTime.AddSeconds(SecondIndex(_clock.Now));

    private bool UpdateInProgress()
    {
        if (SetMode) return false; // SET inhibits updates
        ulong sub = (_clock.Now - _baseTicks) % Tps;
        return sub >= Tps - UipTicks;
    }

    private byte Enc(int v) => Binary ? (byte)v : ToBcd(v);

    private int Dec(byte b) => Binary ? b : (b >> 4) * 10 + (b & 0x0F);

    private static byte ToBcd(int v) => (byte)(((v / 10 % 10) << 4) | (v % 10));

    /// <summary>Writes the running time into the time registers in the current format (not while SET).</summary>
    private void SnapshotTime()
    {
        if (SetMode) return;
        var t = RunningTime();
        _cmos[RegSeconds] = Enc(t.Second);
        _cmos[RegMinutes] = Enc(t.Minute);
        _cmos[RegHours] = EncodeHours(t.Hour);
        _cmos[RegDayOfWeek] = Enc((int)t.DayOfWeek + 1); // Sunday = 1
        _cmos[RegDayOfMonth] = Enc(t.Day);
        _cmos[RegMonth] = Enc(t.Month);
        _cmos[RegYear] = Enc(t.Year % 100);
        _cmos[RegCentury] = Enc(t.Year / 100);
    }

    private byte EncodeHours(int hour)
    {
        if ((_cmos[RegB] & B24Hour) != 0) return Enc(hour);
        int h12 = hour % 12 == 0 ? 12 : hour % 12;
        return (byte)(Enc(h12) | (hour >= 12 ? 0x80 : 0));
    }

    private int DecodeHours(byte b)
    {
        if ((_cmos[RegB] & B24Hour) != 0) return Dec(b);
        int h = Dec((byte)(b & 0x7F)) % 12;
        return (b & 0x80) != 0 ? h + 12 : h;
    }

    /// <summary>The date the time registers hold; out-of-range fields are clamped (and logged).</summary>
    private DateTime ParseRegisters()
    {
        int year = Dec(_cmos[RegCentury]) * 100 + Dec(_cmos[RegYear]);
        int month = Dec(_cmos[RegMonth]), day = Dec(_cmos[RegDayOfMonth]);
        int hour = DecodeHours(_cmos[RegHours]), minute = Dec(_cmos[RegMinutes]), second = Dec(_cmos[RegSeconds]);
        int cy = Math.Clamp(year, 1, 9999), cm = Math.Clamp(month, 1, 12);
        int cd = Math.Clamp(day, 1, DateTime.DaysInMonth(cy, cm));
        int ch = Math.Clamp(hour, 0, 23), cmi = Math.Clamp(minute, 0, 59), cs = Math.Clamp(second, 0, 59);
        if (cy != year || cm != month || cd != day || ch != hour || cmi != minute || cs != second)
            _log.Debug("RTC: guest set an invalid time {Y}-{M}-{D} {H}:{Mi}:{S}; clamped", year, month, day, hour, minute, second);
        return new DateTime(cy, cm, cd, ch, cmi, cs);
    }

    /// <summary>Restarts the clock from the time registers; the new second starts now.</summary>
    private void Rebase()
    {
        _baseTime = ParseRegisters();
        _baseTicks = _clock.Now;
        _lastCSecond = 0;
    }

    // ---- Register C and interrupts ---------------------------------------------------------

    private int PeriodicRateHz()
    {
        int rs = _cmos[RegA] & 0x0F;
        if (rs == 0) return 0;
        return rs <= 2 ? 65536 >> (rs + 7) : 65536 >> rs; // RS 1, 2 repeat 256 and 128 Hz (data sheet table)
    }

    private static ulong PeriodIndex(ulong ticks, int rate) => (ulong)((UInt128)ticks * (ulong)rate / Tps);

    private static ulong TickOfPeriod(ulong k, int rate) => (ulong)(((UInt128)k * Tps + (ulong)rate - 1) / (ulong)rate);

    private byte ReadRegisterC()
    {
        ulong now = _clock.Now;
        byte flags = _eventFlags;
        int rate = PeriodicRateHz();
        if (rate != 0 && PeriodIndex(now, rate) > PeriodIndex(_lastCReadTicks, rate)) flags |= CPf;
        if (!SetMode)
        {
            ulong sec = SecondIndex(now);
            if (sec > _lastCSecond) flags |= CUf;
            _lastCSecond = sec;
        }
        byte b = _cmos[RegB];
        if (((flags & CPf) != 0 && (b & BPie) != 0) || ((flags & CAf) != 0 && (b & BAie) != 0) || ((flags & CUf) != 0 && (b & BUie) != 0))
            flags |= CIrqf;
        _eventFlags = 0;
        _lastCReadTicks = now;
        SetIrqLevel(false);
        return flags;
    }

    private void SetIrqLevel(bool level)
    {
        if (level == _irqLevel) return;
        _irqLevel = level;
        _irq?.SetIrq(RtcIrq, level);
    }

    private void RaiseInterrupt(byte flag)
    {
        _eventFlags |= (byte)(flag | CIrqf);
        SetIrqLevel(true);
    }

    private void ReschedulePeriodic()
    {
        _periodicEvent?.Cancel();
        _periodicEvent = null;
        int rate = PeriodicRateHz();
        if (rate == 0 || (_cmos[RegB] & BPie) == 0) return;
        _periodicIndex = PeriodIndex(_clock.Now, rate) + 1;
        _periodicEvent = _clock.ScheduleAt(TickOfPeriod(_periodicIndex, rate), _periodicCallback);
    }

    private void OnPeriodic()
    {
        int rate = PeriodicRateHz();
        RaiseInterrupt(CPf);
        _periodicIndex++;
        _periodicEvent = _clock.ScheduleAt(TickOfPeriod(_periodicIndex, rate), _periodicCallback);
    }

    private void RescheduleUpdate()
    {
        _updateEvent?.Cancel();
        _updateEvent = null;
        if (SetMode || (_cmos[RegB] & (BUie | BAie)) == 0) return;
        ulong next = _baseTicks + (SecondIndex(_clock.Now) + 1) * Tps;
        _updateEvent = _clock.ScheduleAt(next, _updateCallback);
    }

    /// <summary>The end of an update cycle: UF, and AF when the alarm matches (0xC0–0xFF = don't care).</summary>
    private void OnUpdate()
    {
        _updateEvent = null;
        byte b = _cmos[RegB];
        SnapshotTime();
        byte flags = CUf;
        if (AlarmMatches(RegSecondsAlarm, RegSeconds) && AlarmMatches(RegMinutesAlarm, RegMinutes) && AlarmMatches(RegHoursAlarm, RegHours))
            flags |= CAf;
        bool irq = ((b & BUie) != 0) || ((flags & CAf) != 0 && (b & BAie) != 0);
        if (irq) RaiseInterrupt(flags);
        else _eventFlags |= flags;
        _lastCSecond = SecondIndex(_clock.Now);
        RescheduleUpdate();
    }

    private bool AlarmMatches(int alarmReg, int timeReg) => _cmos[alarmReg] >= 0xC0 || _cmos[alarmReg] == _cmos[timeReg];
}
