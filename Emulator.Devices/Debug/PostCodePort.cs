using Emulator.Core.Bus;
using Serilog;

namespace Emulator.Devices;

/// <summary>The POST diagnostic port 0x80: writes are logged at debug level; reads return the last value.</summary>
public sealed class PostCodePort : IPortDevice, Emulator.Core.Snapshots.ISnapshotState
{
    public const ushort Port = 0x80;

    private readonly ILogger _log;

    public PostCodePort(ILogger? log = null) => _log = log ?? Serilog.Log.Logger;

    public byte LastValue { get; private set; }

    public string SnapshotSection => "post";
    public void SaveState(Emulator.Core.Snapshots.SnapshotWriter w) => w.WriteByte(LastValue);
    public void LoadState(Emulator.Core.Snapshots.SnapshotReader r) => LastValue = r.ReadByte();

    public uint ReadPort(ushort port, int size) => LastValue;

    public void WritePort(ushort port, int size, uint value)
    {
        LastValue = (byte)value;
        _log.Debug("POST code 0x{Code:X2}", LastValue);
    }
}
