using Emulator.Core.Bus;

namespace Emulator.Devices;

/// <summary>
/// The Bochs/QEMU debug console ("port E9 hack"): bytes written go straight to a sink; reads
/// return 0xE9 so that a guest can detect the port.
/// </summary>
public sealed class DebugConsole : IPortDevice
{
    public const ushort Port = 0xE9;

    private readonly Action<byte>? _sink;

    public DebugConsole(Action<byte>? sink) => _sink = sink;

    public uint ReadPort(ushort port, int size) => Port;

    public void WritePort(ushort port, int size, uint value) => _sink?.Invoke((byte)value);
}
