using Emulator.Core.Bus;
using Emulator.Core.Timing;

namespace Emulator.Devices;

/// <summary>
/// Port 0x61 (the AT's "port B"): bit 0 = PIT channel 2 gate, bit 1 = speaker data enable,
/// bits 2–3 stored; reads add bit 4 = refresh request toggle (flips every 15.085 µs of virtual
/// time, the DRAM refresh period some code busy-waits on) and bit 5 = PIT channel 2 OUT.
/// </summary>
public sealed class SystemControlPortB : IPortDevice, Emulator.Core.Snapshots.ISnapshotState
{
    public const ushort Port = 0x61;
    /// <summary>Refresh request period in virtual nanoseconds (18 PIT clocks).</summary>
    public const ulong RefreshToggleNanoseconds = 15_085;

    private readonly Pit8254 _pit;
    private readonly VirtualClock _clock;
    private byte _value;

    public string SnapshotSection => "port61";
    public void SaveState(Emulator.Core.Snapshots.SnapshotWriter w) => w.WriteByte(_value);
    public void LoadState(Emulator.Core.Snapshots.SnapshotReader r) => _value = r.ReadByte();

    public SystemControlPortB(Pit8254 pit, VirtualClock clock)
    {
        _pit = pit;
        _clock = clock;
    }

    public bool SpeakerEnabled => (_value & 0x02) != 0;

    public uint ReadPort(ushort port, int size)
    {
        int refresh = (int)(_clock.Nanoseconds / RefreshToggleNanoseconds) & 1;
        return (uint)((_value & 0x0F) | (refresh << 4) | (_pit.GetOutput(2) ? 0x20 : 0));
    }

    public void WritePort(ushort port, int size, uint value)
    {
        _value = (byte)(value & 0x0F);
        _pit.SetGate(2, (value & 1) != 0);
    }
}
