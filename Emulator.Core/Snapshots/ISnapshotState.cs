namespace Emulator.Core.Snapshots;

/// <summary>
/// A part of the machine whose state a snapshot carries (the CPU, the clock, each device, the
/// hypervisor). <see cref="SaveState"/> writes every field that can influence what the guest sees
/// later; <see cref="LoadState"/> reads the same fields back in the same order and re-creates
/// whatever derives from them (scheduled clock events, cached translations). Guest RAM is not part
/// of any section: <see cref="MachineState"/> carries it separately, by pages.
/// </summary>
public interface ISnapshotState
{
    /// <summary>The section's name in a snapshot: unique within a machine and stable across versions.</summary>
    string SnapshotSection { get; }

    void SaveState(SnapshotWriter writer);

    /// <summary>Restores the state; a malformed section throws <see cref="SnapshotFormatException"/>.</summary>
    void LoadState(SnapshotReader reader);
}
