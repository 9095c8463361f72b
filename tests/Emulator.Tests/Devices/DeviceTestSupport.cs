using Emulator.Core.Bus;
using Emulator.Core.Machine;
using Emulator.Core.Timing;

namespace Emulator.Tests.Devices;

/// <summary>Records every IRQ line change with the virtual time it happened at.</summary>
internal sealed class FakeIrqSink : IIrqSink
{
    private readonly VirtualClock? _clock;
    private readonly bool[] _levels = new bool[16];

    public FakeIrqSink(VirtualClock? clock = null) => _clock = clock;

    /// <summary>(irq, virtual tick) of every rising edge.</summary>
    public List<(int Irq, ulong At)> RisingEdges { get; } = new();

    public bool Level(int irq) => _levels[irq];

    public int RisingEdgeCount(int irq) => RisingEdges.Count(e => e.Irq == irq);

    public List<ulong> RisingEdgeTimes(int irq) => RisingEdges.Where(e => e.Irq == irq).Select(e => e.At).ToList();

    public void SetIrq(int irq, bool level)
    {
        if (level && !_levels[irq]) RisingEdges.Add((irq, _clock?.Now ?? 0));
        _levels[irq] = level;
    }
}

internal sealed class FakeMachineControl : IMachineControl
{
    public List<MachineExit> Exits { get; } = new();
    public List<string> Resets { get; } = new();

    public void RequestExit(MachineExit exit) => Exits.Add(exit);

    public void RequestReset(string why) => Resets.Add(why);
}

internal static class ClockDriver
{
    /// <summary>Moves virtual time to <paramref name="target"/>, running each scheduled event at its own tick.</summary>
    public static void AdvanceTo(this VirtualClock clock, ulong target)
    {
        while (clock.NextEventAt <= target)
        {
            if (clock.NextEventAt > clock.Now) clock.Now = clock.NextEventAt;
            clock.RunDue();
        }
        clock.Now = target;
    }

    public static void AdvanceBy(this VirtualClock clock, ulong ticks) => clock.AdvanceTo(clock.Now + ticks);
}
