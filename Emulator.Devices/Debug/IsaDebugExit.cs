using Emulator.Core.Bus;
using Emulator.Core.Machine;

namespace Emulator.Devices;

/// <summary>
/// QEMU's isa-debug-exit at port 0xF4: writing value v (1, 2 or 4 bytes) ends the run with exit
/// status (v &lt;&lt; 1) | 1 (<see cref="MachineExit.DebugExit"/>). Reads return 0 as in QEMU.
/// </summary>
public sealed class IsaDebugExit : IPortDevice
{
    public const ushort Port = 0xF4;

    private readonly IMachineControl _control;

    public IsaDebugExit(IMachineControl control) => _control = control;

    public uint ReadPort(ushort port, int size) => 0;

    public void WritePort(ushort port, int size, uint value)
    {
        uint v = size switch { 1 => value & 0xFF, 2 => value & 0xFFFF, _ => value };
        _control.RequestExit(MachineExit.DebugExit(v));
    }
}
