using Emulator.Core.Machine;
using Emulator.Core.Snapshots;
using Emulator.Tests.Support;

namespace Emulator.Tests.Snapshots;

/// <summary>
/// A hand-made or damaged snapshot section (the file's checksum only catches accidents) is either
/// refused with a <see cref="SnapshotFormatException"/> or loads into a machine that then runs without
/// any host exception: never an index out of range, a crash or a hang.
/// </summary>
public sealed class MalformedSnapshotTests
{
    [Theory]
    [InlineData("pc", 1)]
    [InlineData("xen", 2)]
    public void MutatedSectionsAreRefusedOrRunWithoutHostExceptions(string kind, int seed)
    {
        Machine machine = kind == "pc"
            ? TestMachines.Pc(GuestImages.ToyKernel, "pv=ops")
            : TestMachines.Xen(GuestImages.ToyKernel, "pv=ops").Machine;
        machine.Run(1_500_000);
        var good = MachineState.Capture(machine);
        var random = new Random(seed);
        int refused = 0, ran = 0;
        for (int i = 0; i < 400; i++)
        {
            var sections = good.Sections.Select(s => (s.Name, (byte[])s.Data.Clone())).ToList();
            int k = random.Next(sections.Count);
            var (name, data) = sections[k];
            switch (random.Next(4))
            {
                case 0: // flip bytes
                    for (int n = 1 + random.Next(4); n > 0 && data.Length > 0; n--) data[random.Next(data.Length)] ^= (byte)(1 + random.Next(255));
                    break;
                case 1: // a field set to an extreme value
                    if (data.Length >= 4) BitConverter.GetBytes(random.Next(2) == 0 ? uint.MaxValue : 0x80000000u).CopyTo(data, random.Next(data.Length - 3));
                    break;
                case 2: // truncated
                    data = data[..random.Next(data.Length + 1)];
                    break;
                default: // trailing bytes
                    data = data.Concat(new byte[1 + random.Next(8)]).ToArray();
                    break;
            }
            sections[k] = (name, data);
            try
            {
                new MachineState(good.Tick, sections).Restore(machine);
            }
            catch (SnapshotFormatException)
            {
                refused++;
                good.Restore(machine); // a refused load may have loaded the sections before it
                continue;
            }
            // Loaded: whatever it says, the machine runs without a host exception.
            machine.Run(20_000);
            ran++;
            good.Restore(machine);
        }
        Assert.True(refused > 50, $"only {refused} refused");
        Assert.True(ran > 50, $"only {ran} ran");
    }
}
