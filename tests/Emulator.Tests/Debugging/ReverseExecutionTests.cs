using Emulator.Core.Debugging;
using Emulator.Core.Machine;
using Emulator.Core.Snapshots;
using Emulator.Tests.Support;
using CpuCore = Emulator.Core.Cpu.Cpu;

namespace Emulator.Tests.Debugging;

/// <summary>
/// Reverse step and reverse continue on real guests: checkpoints plus deterministic re-execution
/// must land on exactly the earlier machine state, across checkpoint intervals, HLT idling and
/// interrupts, without printing the console twice.
/// </summary>
public sealed class ReverseExecutionTests
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(30);

    /// <summary>What the guest can see of the CPU at a boundary, and when.</summary>
    private static string StateOf(Machine m)
    {
        var c = m.Cpu;
        return $"t={m.Clock.Now} eip={c.Eip:x8} fl={c.Eflags:x8} cs={c.Segs[CpuCore.CS].Selector:x4} ss={c.Segs[CpuCore.SS].Selector:x4} " +
               $"cr3={c.Cr3:x8} halted={c.Halted} regs={string.Join(",", c.Regs.Select(r => r.ToString("x8")))}";
    }

    private sealed class Session : IDisposable
    {
        public readonly Machine Machine;
        public readonly DebugEngine Engine;
        public readonly MemoryStream Console = new();
        private readonly Thread _thread;
        public MachineExit? Exit;

        public Session(Machine machine, Emulator.Core.Hypervisor.XenHypervisor? hv, ulong interval)
        {
            Machine = machine;
            Engine = new DebugEngine(machine.Cpu, hv) { EndRun = machine.Interrupt };
            machine.EnableTimeline(interval);
            Engine.RequestPause();
            _thread = new Thread(() => Exit = Machine.Run()) { IsBackground = true };
            _thread.Start();
            Next();
        }

        /// <summary>Waits for the stop that follows the last command.</summary>
        public DebugStop Next()
        {
            long seen = _stops;
            var stop = Engine.WaitForStopAfter(seen, Wait) ?? throw new TimeoutException("the machine did not stop");
            _stops = Engine.StopCount;
            return stop;
        }

        private long _stops;

        public DebugStop Do(Action<DebugEngine> command)
        {
            command(Engine);
            return Next();
        }

        public MachineExit Finish()
        {
            Assert.True(_thread.Join(Wait), "the run did not end");
            return Exit!.Value;
        }

        public void Dispose()
        {
            Engine.Kill();
            _thread.Join(Wait);
        }
    }

    // Intervals below and above DebugEngine.ReverseStepWindow: every boundary checked from the
    // checkpoint, or full speed up to the window before the target.
    [Theory]
    [InlineData(20_000UL)]
    [InlineData(400_000UL)]
    public void ReverseStepLandsOnEachEarlierBoundaryWithTheSameState(ulong interval)
    {
        var (machine, hv) = TestMachines.Xen(GuestImages.ToyKernel, "pv=ops");
        using var s = new Session(machine, hv, interval);
        // Run well past several checkpoints, into the kernel's hypercalls.
        for (int i = 0; i < 40; i++) s.Do(e => e.RunUntil(RunUntilEvent.Hypercall));
        Assert.True(machine.Timeline!.Count >= 2, $"only {machine.Timeline.Count} checkpoints");

        var forward = new List<string> { StateOf(machine) };
        for (int i = 0; i < 25; i++)
        {
            s.Do(e => e.Step());
            forward.Add(StateOf(machine));
        }
        for (int i = forward.Count - 2; i >= 0; i--)
        {
            var stop = s.Do(e => e.ReverseStep());
            Assert.Equal(StopKind.Step, stop.Kind);
            Assert.Equal("reverse step", stop.Detail);
            Assert.Equal(forward[i], StateOf(machine));
        }
        // And forward again: the same boundaries.
        for (int i = 1; i < forward.Count; i++)
        {
            s.Do(e => e.Step());
            Assert.Equal(forward[i], StateOf(machine));
        }
    }

    [Theory]
    [InlineData(50_000UL)]
    [InlineData(3_000_000UL)]
    public void ReverseStepFromAnInterruptHandlerGoesBackAcrossTheIdleHalt(ulong interval)
    {
        var machine = TestMachines.Pc(GuestImages.ToyKernel, "pv=ops");
        using var s = new Session(machine, null, interval);
        DebugStop stop = default!;
        // The kernel idles in HLT between timer interrupts; stop at a handler entered from there.
        for (int i = 0; i < 200; i++)
        {
            s.Do(e => e.RunUntil(RunUntilEvent.Interrupt));
            stop = s.Do(e => e.ReverseStep());
            s.Do(e => e.Step());
            if (machine.Clock.Now - stop.Tick > 1) break; // time jumped between the two boundaries: an idle HLT
        }
        Assert.True(machine.Clock.Now - stop.Tick > 1, "no interrupt out of HLT was found");
        string atHandler = StateOf(machine);
        var back = s.Do(e => e.ReverseStep());
        Assert.Equal(stop.Tick, back.Tick);
        s.Do(e => e.Step());
        Assert.Equal(atHandler, StateOf(machine));
    }

    [Fact]
    public void ReverseContinueGoesBackToTheLatestBreakpointHitThenToTheStartOfTheHistory()
    {
        var machine = TestMachines.Pc(GuestImages.Loop, "n=3000");
        using var s = new Session(machine, null, interval: 5_000);
        // A breakpoint in the loop body: find one by stepping until an address repeats.
        var seen = new Dictionary<uint, int>();
        s.Do(e => e.RunUntil(RunUntilEvent.PortAccess)); // past the console banner into the workload's setup
        uint loopAddress = 0;
        for (int i = 0; i < 5000 && loopAddress == 0; i++)
        {
            s.Do(e => e.Step());
            uint eip = s.Engine.LinearEip();
            if (seen.TryGetValue(eip, out int n) && n >= 2) loopAddress = eip;
            seen[eip] = n + 1;
        }
        Assert.NotEqual(0u, loopAddress);
        s.Engine.AddBreakpoint(loopAddress);
        var hits = new List<(ulong Tick, string State)>();
        for (int i = 0; i < 4; i++)
        {
            var hit = s.Do(e => e.Continue());
            Assert.Equal(StopKind.Breakpoint, hit.Kind);
            hits.Add((hit.Tick, StateOf(machine)));
        }
        for (int i = hits.Count - 2; i >= 0; i--)
        {
            var back = s.Do(e => e.ReverseContinue());
            Assert.Equal(StopKind.Breakpoint, back.Kind);
            Assert.StartsWith("reverse: breakpoint at", back.Detail);
            Assert.Equal(hits[i].Tick, back.Tick);
            Assert.Equal(hits[i].State, StateOf(machine));
        }
        s.Engine.RemoveBreakpoint(loopAddress);
        var start = s.Do(e => e.ReverseContinue());
        Assert.Contains("start of the recorded history", start.Detail);
        Assert.Equal(machine.Timeline!.Start, start.Tick);
    }

    [Fact]
    public void GoingBackAndForthPrintsTheConsoleOnceAndEndsLikeAStraightRun()
    {
        (Machine Machine, MemoryStream Console) Build(bool muted)
        {
            var console = new MemoryStream();
            var m = new Machine(32u << 20, Serilog.Core.Logger.None);
            Emulator.Devices.PcPlatform.Attach(m, new Emulator.Devices.PcPlatformOptions
            {
                SerialOutput = muted ? ReexecutionMutedStream.Wrap(console, m) : console,
                Logger = Serilog.Core.Logger.None,
            });
            Emulator.Core.Loading.MultibootLoader.Prepare(m.Memory, GuestImages.Loop, "n=2000", log: Serilog.Core.Logger.None).Install(m.Memory, m.Cpu);
            return (m, console);
        }

        var (straight, straightConsole) = Build(muted: false);
        var straightExit = straight.Run();

        var (machine, console) = Build(muted: true);
        MachineExit exit;
        using (var s = new Session(machine, null, interval: 3_000))
        {
            for (int i = 0; i < 40; i++) s.Do(e => e.RunUntil(RunUntilEvent.PortAccess)); // the banner is printed by OUTs
            for (int i = 0; i < 30; i++) s.Do(e => e.ReverseStep());
            for (int i = 0; i < 3; i++) s.Do(e => e.ReverseContinue());
            Assert.True(machine.Reexecuting);
            s.Engine.Detach();
            exit = s.Finish();
        }
        Assert.Equal(straightExit, exit);
        Assert.Equal(straight.Clock.Now, machine.Clock.Now);
        Assert.Equal(System.Text.Encoding.ASCII.GetString(straightConsole.ToArray()), System.Text.Encoding.ASCII.GetString(console.ToArray()));
    }

    [Fact]
    public void TheHistoryStaysWithinItsCheckpointAndPageBudgetsAndStillGoesBack()
    {
        var machine = TestMachines.Pc(GuestImages.Loop, "n=200000");
        var timeline = new MachineTimeline(machine, interval: 10_000, maxCheckpoints: 8, maxBytes: 3 * 4096);
        for (int i = 0; i < 60; i++)
        {
            machine.Run(10_000);
            timeline.Take();
            Assert.True(timeline.Count <= 8);
            Assert.True(timeline.HeldBytes <= 3 * 4096 || timeline.Count == 2, $"{timeline.HeldBytes} bytes in {timeline.Count} checkpoints");
        }
        Assert.True(timeline.Start > 0, "the oldest checkpoints were merged away");
        // Going back to the oldest checkpoint left still gives the state a straight run has there.
        ulong start = timeline.Start;
        timeline.RestoreTo(0);
        Assert.Equal(start, machine.Clock.Now);
        var straight = TestMachines.Pc(GuestImages.Loop, "n=200000");
        while (straight.Clock.Now < start) straight.Run(start - straight.Clock.Now);
        Assert.Equal(straight.Clock.Now, machine.Clock.Now);
        Assert.True(straight.Memory.Ram.AsSpan().SequenceEqual(machine.Memory.Ram), "RAM differs from a straight run");
        Assert.Equal(straight.Cpu.Eip, machine.Cpu.Eip);
        Assert.Equal(straight.Cpu.Regs, machine.Cpu.Regs);
    }
}
