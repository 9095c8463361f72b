namespace Emulator.Core.Snapshots;

/// <summary>
/// Everything of a machine but its RAM contents, at an instruction boundary: one named section per
/// <see cref="ISnapshotState"/> the machine registered (clock, memory, CPU, devices, hypervisor).
/// RAM travels separately: by dirty pages in <see cref="MachineTimeline"/>, whole in <see cref="SnapshotFile"/>.
/// </summary>
public sealed class MachineState
{
    public MachineState(ulong tick, IReadOnlyList<(string Name, byte[] Data)> sections)
    {
        Tick = tick;
        Sections = sections;
    }

    /// <summary>Virtual time when it was captured.</summary>
    public ulong Tick { get; }

    public IReadOnlyList<(string Name, byte[] Data)> Sections { get; }

    /// <param name="previous">An earlier capture of the same machine: its section sizes size the buffers.</param>
    public static MachineState Capture(Machine.Machine machine, MachineState? previous = null)
    {
        var sections = new List<(string, byte[])>(machine.SnapshotStates.Count);
        foreach (var owner in machine.SnapshotStates)
        {
            int hint = previous != null && sections.Count < previous.Sections.Count && previous.Sections[sections.Count].Name == owner.SnapshotSection
                ? previous.Sections[sections.Count].Data.Length
                : 0;
            var w = new SnapshotWriter(hint);
            owner.SaveState(w);
            sections.Add((owner.SnapshotSection, w.ToArray()));
        }
        return new MachineState(machine.Clock.Now, sections);
    }

    /// <summary>
    /// A description of which sections this state has, compared with a machine's before loading:
    /// a snapshot of a PC does not load into a Xen machine.
    /// </summary>
    public string Layout => string.Join(",", Sections.Select(s => s.Name));

    /// <summary>
    /// Loads every section into the machine's owner of the same name, in the machine's order.
    /// A missing or extra section, or a section of another layout, throws <see cref="SnapshotFormatException"/>;
    /// the layout is checked before anything is loaded.
    /// </summary>
    public void Restore(Machine.Machine machine)
    {
        var byName = new Dictionary<string, byte[]>();
        foreach (var (name, data) in Sections)
            if (!byName.TryAdd(name, data))
                throw new SnapshotFormatException($"the snapshot has two sections named '{name}'");
        string expected = string.Join(",", machine.SnapshotStates.Select(s => s.SnapshotSection));
        if (byName.Count != machine.SnapshotStates.Count || machine.SnapshotStates.Any(s => !byName.ContainsKey(s.SnapshotSection)))
            throw new SnapshotFormatException(
                $"the snapshot is of another machine: it has the parts [{Layout}], this machine [{expected}] (check -machine and the devices)");
        foreach (var owner in machine.SnapshotStates)
        {
            var r = new SnapshotReader(owner.SnapshotSection, byName[owner.SnapshotSection]);
            owner.LoadState(r);
            r.ExpectEnd();
        }
    }
}
