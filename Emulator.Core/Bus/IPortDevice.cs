namespace Emulator.Core.Bus;

/// <summary>A device that answers I/O port reads and writes. Size is 1, 2 or 4 bytes.</summary>
public interface IPortDevice
{
    uint ReadPort(ushort port, int size);
    void WritePort(ushort port, int size, uint value);
}
