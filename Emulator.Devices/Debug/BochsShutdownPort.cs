using Emulator.Core.Bus;
using Emulator.Core.Machine;

namespace Emulator.Devices;

/// <summary>
/// The Bochs APM shutdown port 0x8900: writing the bytes of "Shutdown" in sequence powers the
/// machine off (<see cref="MachineExit.PowerOff"/>). Any other byte restarts the match.
/// </summary>
public sealed class BochsShutdownPort : IPortDevice, Emulator.Core.Snapshots.ISnapshotState
{
    public const ushort Port = 0x8900;
    private const string Magic = "Shutdown";

    private readonly IMachineControl _control;
    private int _matched;

    public string SnapshotSection => "bochs-shutdown";
    public void SaveState(Emulator.Core.Snapshots.SnapshotWriter w) => w.WriteInt32(_matched);
    public void LoadState(Emulator.Core.Snapshots.SnapshotReader r) => _matched = r.ReadInt32(0, Magic.Length - 1);

    public BochsShutdownPort(IMachineControl control) => _control = control;

    public uint ReadPort(ushort port, int size) => 0xFF;

    public void WritePort(ushort port, int size, uint value)
    {
        byte b = (byte)value;
        if (b == Magic[_matched]) _matched++;
        else _matched = b == Magic[0] ? 1 : 0;
        if (_matched == Magic.Length)
        {
            _matched = 0;
            _control.RequestExit(MachineExit.PowerOff("the guest wrote \"Shutdown\" to port 0x8900"));
        }
    }
}
