namespace Emulator.Core.Bus;

/// <summary>A device mapped into physical memory. Offsets are relative to the region start.</summary>
public interface IMmioDevice
{
    uint ReadMmio(uint offset, int size);
    void WriteMmio(uint offset, int size, uint value);
}
