using Emulator.Core.Bus;
using Emulator.Core.Timing;
using Serilog;

namespace Emulator.Devices;

/// <summary>
/// The Intel 8254 programmable interval timer at 0x40–0x43, clocked at 1.193182 MHz of virtual
/// time. Counts are computed from elapsed virtual time when read (no per-instruction work).
/// Channel 0's OUT drives IRQ0 through one scheduled clock event per output edge that matters
/// (one per period in modes 2 and 3). Channel 2's gate and OUT are reached through port 0x61
/// (<see cref="SystemControlPortB"/>); channel 1 (DRAM refresh) just counts.
/// </summary>
public sealed class Pit8254 : IPortDevice, Emulator.Core.Snapshots.ISnapshotState
{
    public const ushort FirstPort = 0x40, ControlPort = 0x43;
    public const long FrequencyHz = 1_193_182;
    public const int TimerIrq = 0;

    private readonly VirtualClock _clock;
    private readonly IIrqSink? _irq;
    private readonly ILogger _log;
    private readonly PitChannel[] _channels = { new(0, gate: true), new(1, gate: true), new(2, gate: false) };
    private readonly Action _irq0Callback;
    private VirtualClock.Handle? _irq0Event;
    private ulong _irq0EventPit;
    private bool _irq0Level;

    public Pit8254(VirtualClock clock, IIrqSink? irq, ILogger? log = null)
    {
        _clock = clock;
        _irq = irq;
        _log = log ?? Serilog.Log.Logger;
        _irq0Callback = OnIrq0Event;
    }

    public string SnapshotSection => "pit";

    public void SaveState(Emulator.Core.Snapshots.SnapshotWriter w)
    {
        foreach (var ch in _channels) ch.SaveState(w);
        w.WriteEvent(_irq0Event);
        w.WriteUInt64(_irq0EventPit);
        w.WriteBool(_irq0Level);
    }

    public void LoadState(Emulator.Core.Snapshots.SnapshotReader r)
    {
        foreach (var ch in _channels) ch.LoadState(r);
        _irq0Event = _clock.Restore(r.ReadEvent(), _irq0Callback);
        _irq0EventPit = r.ReadUInt64();
        _irq0Level = r.ReadBool();
    }

    /// <summary>PIT clock ticks elapsed at virtual time <paramref name="virtualTicks"/>.</summary>
    public static ulong PitTicksAt(ulong virtualTicks) =>
        (ulong)((UInt128)virtualTicks * (ulong)FrequencyHz / (ulong)VirtualClock.TicksPerSecond);

    /// <summary>The first virtual tick at which PIT tick <paramref name="pitTick"/> has been reached.</summary>
    public static ulong VirtualTickOf(ulong pitTick) =>
        (ulong)(((UInt128)pitTick * (ulong)VirtualClock.TicksPerSecond + (ulong)FrequencyHz - 1) / (ulong)FrequencyHz);

    private ulong PitNow => PitTicksAt(_clock.Now);

    /// <summary>The current count of channel <paramref name="channel"/> (decoded, not BCD).</summary>
    public int GetCount(int channel) => _channels[channel].Count(PitNow);

    /// <summary>The OUT pin of channel <paramref name="channel"/>.</summary>
    public bool GetOutput(int channel) => _channels[channel].Output(PitNow);

    public bool GetGate(int channel) => _channels[channel].Gate;

    /// <summary>Drives a channel's GATE input (only channel 2's is wired, to port 0x61 bit 0).</summary>
    public void SetGate(int channel, bool level)
    {
        _channels[channel].SetGate(level, PitNow);
        if (channel == 0) RescheduleIrq0();
    }

    public uint ReadPort(ushort port, int size)
    {
        int idx = port - FirstPort;
        if ((uint)idx < 3) return _channels[idx].ReadByte(PitNow);
        return 0xFF; // the control register is write-only
    }

    public void WritePort(ushort port, int size, uint value)
    {
        byte v = (byte)value;
        int idx = port - FirstPort;
        if ((uint)idx < 3)
        {
            if (_channels[idx].WriteByte(v, PitNow) && idx == 0)
            {
                _log.Debug("PIT channel 0: mode {Mode}, count {Count}", _channels[0].Mode, _channels[0].Reload);
                RescheduleIrq0();
            }
            return;
        }
        if (port == ControlPort) WriteControl(v);
    }

    private void WriteControl(byte v)
    {
        int select = v >> 6;
        int access = (v >> 4) & 3;
        ulong pitNow = PitNow;
        if (select == 3)
        {
            // Read-back: bit 5 = 0 latches counts, bit 4 = 0 latches status, bits 1–3 select channels 0–2.
            for (int c = 0; c < 3; c++)
            {
                if ((v & (2 << c)) == 0) continue;
                if ((v & 0x10) == 0) _channels[c].LatchStatus(pitNow);
                if ((v & 0x20) == 0) _channels[c].LatchCount(pitNow);
            }
            return;
        }
        var ch = _channels[select];
        if (access == 0) { ch.LatchCount(pitNow); return; }
        ch.Program(access, (v >> 1) & 7, (v & 1) != 0);
        if (select == 0) RescheduleIrq0();
    }

    private void SetIrq0(bool level)
    {
        _irq0Level = level;
        _irq?.SetIrq(TimerIrq, level);
    }

    /// <summary>Sets IRQ0 to channel 0's OUT now and schedules the next rising edge of OUT.</summary>
    private void RescheduleIrq0()
    {
        _irq0Event?.Cancel();
        _irq0Event = null;
        var ch = _channels[0];
        ulong pitNow = PitNow;
        bool outNow = ch.Output(pitNow);
        if (outNow != _irq0Level) SetIrq0(outNow);
        if (!ch.CountWritten || !ch.Running) return;
        ulong e = ch.Elapsed(pitNow), n = (ulong)ch.Reload;
        switch (ch.Mode)
        {
            case 0:
            case 4:
                if (e < n) ScheduleIrq0At(ch.LoadPit + n);
                break;
            case 2:
            case 3:
                ScheduleIrq0At(ch.LoadPit + (e / n + 1) * n);
                break;
        }
    }

    private void ScheduleIrq0At(ulong pitTick)
    {
        _irq0EventPit = pitTick;
        _irq0Event = _clock.ScheduleAt(VirtualTickOf(pitTick), _irq0Callback);
    }

    private void OnIrq0Event()
    {
        _irq0Event = null;
        var ch = _channels[0];
        // OUT rises here: mode 0 stays high; modes 2/3/4 had a low phase since the last edge, so
        // the line is pulsed low then high and the edge-triggered PIC sees a new request.
        if (ch.Mode == 0)
        {
            SetIrq0(true);
            return;
        }
        SetIrq0(false);
        SetIrq0(true);
        if (ch.Mode == 2 || ch.Mode == 3) ScheduleIrq0At(_irq0EventPit + (ulong)ch.Reload);
    }
}
