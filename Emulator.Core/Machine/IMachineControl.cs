namespace Emulator.Core.Machine;

/// <summary>What devices may ask of the machine: end the run, or reset the CPU.</summary>
public interface IMachineControl
{
    /// <summary>Ends the run after the current instruction with this outcome.</summary>
    void RequestExit(MachineExit exit);

    /// <summary>A system reset (8042 command 0xFE, port 0x92 bit 0, triple fault without -no-reboot).</summary>
    void RequestReset(string why);
}
