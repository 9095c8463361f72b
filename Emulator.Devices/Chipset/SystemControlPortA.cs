using Emulator.Core.Bus;
using Emulator.Core.Machine;
using Emulator.Core.Memory;

namespace Emulator.Devices;

/// <summary>
/// Port 0x92 ("system control port A", the PS/2 fast A20 and reset port): bit 1 = A20 gate,
/// bit 0 = fast reset (a 0→1 transition resets the CPU). Bit 1 reads the A20 gate, which the
/// 8042 also drives (the last writer wins, as in QEMU).
/// </summary>
public sealed class SystemControlPortA : IPortDevice, Emulator.Core.Snapshots.ISnapshotState
{
    public const ushort Port = 0x92;

    private readonly PhysicalMemory _memory;
    private readonly IMachineControl? _control;
    private byte _value;

    public string SnapshotSection => "port92";
    public void SaveState(Emulator.Core.Snapshots.SnapshotWriter w) => w.WriteByte(_value);
    public void LoadState(Emulator.Core.Snapshots.SnapshotReader r) => _value = r.ReadByte();

    public SystemControlPortA(PhysicalMemory memory, IMachineControl? control)
    {
        _memory = memory;
        _control = control;
    }

    public uint ReadPort(ushort port, int size) =>
        (uint)((_value & ~0x02) | (_memory.A20Enabled ? 0x02 : 0));

    public void WritePort(ushort port, int size, uint value)
    {
        byte old = _value;
        _value = (byte)value;
        _memory.A20Enabled = (value & 0x02) != 0;
        if ((value & 0x01) != 0 && (old & 0x01) == 0)
        {
            // The reset clears bit 0 again, so that the next 0→1 write resets once more.
            _value &= 0xFE;
            _control?.RequestReset("port 0x92 fast reset");
        }
    }
}
