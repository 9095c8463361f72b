using Emulator.Core.Debugging;
using Emulator.Core.Machine;
using Emulator.Tests.Support;
using Serilog.Core;

namespace Emulator.Tests.Debugging;

/// <summary>The debugger engine on a real guest running on its own thread: pause, breakpoints, steps, watchpoints, kill.</summary>
public sealed class DebugEngineTests
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(20);

    private sealed class Run : IDisposable
    {
        public readonly Machine Machine;
        public readonly DebugEngine Engine;
        public MachineExit? Exit;
        private readonly Thread _thread;

        public Run(string append = "n=200000", bool startPaused = true)
        {
            Machine = TestMachines.Pc(GuestImages.Loop, append);
            Engine = new DebugEngine(Machine.Cpu) { EndRun = Machine.Interrupt };
            if (startPaused) Engine.RequestPause();
            _thread = new Thread(() => Exit = Machine.Run()) { IsBackground = true };
            _thread.Start();
        }

        public DebugStop NextStop(long after) =>
            Engine.WaitForStopAfter(after, Wait) ?? throw new TimeoutException("the machine did not stop");

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

    [Fact]
    public void AnIdleEngineHooksNothingPerInstructionOrPerAccess()
    {
        var machine = new Machine(4u << 20, Logger.None);
        var engine = new DebugEngine(machine.Cpu);
        Assert.Same(engine, machine.Cpu.Debugger);
        Assert.Null(machine.Ports.DebugAccess);
        engine.AddPortBreakpoint(0x80);
        Assert.NotNull(machine.Ports.DebugAccess);
        engine.RemovePortBreakpoint(0x80);
        Assert.Null(machine.Ports.DebugAccess); // back to no call per port access
    }

    [Fact]
    public void StartsPausedBeforeTheFirstInstructionThenStepsOneInstructionAtATime()
    {
        using var r = new Run();
        var first = r.NextStop(0);
        Assert.Equal(StopKind.Paused, first.Kind);
        Assert.Equal(0UL, first.Tick);
        uint eip = r.Engine.LinearEip();
        r.Engine.Step();
        var step = r.NextStop(1);
        Assert.Equal(StopKind.Step, step.Kind);
        Assert.Equal(1UL, step.Tick);
        Assert.NotEqual(eip, step.Eip);
        r.Engine.Step();
        Assert.Equal(2UL, r.NextStop(2).Tick);
    }

    [Fact]
    public void ABreakpointStopsBeforeItsInstructionEveryTimeItIsReached()
    {
        using var r = new Run();
        r.NextStop(0);
        uint target = ElfSymbols.Address(GuestImages.Loop, "console_puts");
        r.Engine.AddBreakpoint(target);
        r.Engine.Continue();
        var hit = r.NextStop(1);
        Assert.Equal((StopKind.Breakpoint, target), (hit.Kind, hit.Eip));
        Assert.Equal(target, r.Engine.Cpu.Eip);
        ulong firstTick = hit.Tick;
        r.Engine.Continue(); // runs the breakpoint's own instruction first, then stops at the next call
        var again = r.NextStop(2);
        Assert.Equal(target, again.Eip);
        Assert.True(again.Tick > firstTick);
        r.Engine.RemoveBreakpoint(target);
        r.Engine.Continue();
        var exit = r.Finish();
        Assert.Equal(ExitKind.DebugExit, exit.Kind);
    }

    [Fact]
    public void AWriteWatchpointStopsAfterTheWritingInstruction()
    {
        using var r = new Run();
        r.NextStop(0);
        uint table = ElfSymbols.Address(GuestImages.Loop, "table");
        Assert.True(r.Engine.AddWriteWatch(table + 4 * 0x78, 4));
        r.Engine.Continue();
        var hit = r.NextStop(1);
        Assert.Equal(StopKind.Watchpoint, hit.Kind);
        Assert.Equal(table + 4 * 0x78, hit.WatchAddress);
        Assert.NotEqual(0u, r.Machine.Memory.Read32(table + 4 * 0x78)); // the write has happened
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void AWatchOverARangeAcrossPagesReportsTheAddressWritten(bool physical)
    {
        using var r = new Run();
        r.NextStop(0);
        uint table = ElfSymbols.Address(GuestImages.Loop, "table");
        // From the previous page into the table (the loop guest runs unpaged: linear = physical).
        uint start = (table & ~0xFFFu) - 0x800, length = table + 0x400 - start;
        Assert.True(physical ? r.Engine.AddPhysicalWriteWatch(start, length) : r.Engine.AddWriteWatch(start, length));
        Assert.Contains(r.Engine.Breakpoints(), b => b.What == $"write {(physical ? "physical " : "")}0x{start:x8} ({length} bytes)");
        r.Engine.Continue();
        var hit = r.NextStop(1);
        Assert.Equal(StopKind.Watchpoint, hit.Kind);
        Assert.Equal(start, hit.WatchAddress);
        var m = System.Text.RegularExpressions.Regex.Match(hit.Detail, "write to (physical )?0x([0-9a-f]{8})");
        Assert.True(m.Success, hit.Detail);
        uint written = Convert.ToUInt32(m.Groups[2].Value, 16);
        Assert.InRange(written, table, table + 0x3FF);
        Assert.NotEqual(0u, r.Machine.Memory.Read32(written & ~3u));
        Assert.True(physical ? r.Engine.RemovePhysicalWriteWatch(start, length) : r.Engine.RemoveWriteWatch(start, length));
        Assert.False(r.Engine.AddWriteWatch(0xFFFFF000, 0x2000)); // wraps around 4 GiB
        Assert.False(r.Engine.AddWriteWatch(0, DebugEngine.MaxWatchLength + 1));
    }

    [Fact]
    public void ReadAndAccessWatchesStopOnDataReadsButNeverOnFetchesOrTheDebuggersOwnReads()
    {
        using var r = new Run();
        r.NextStop(0);
        // The code the CPU is about to run is watched for reads: fetching it is not a data read.
        uint eip = r.Engine.LinearEip();
        Assert.True(r.Engine.AddReadWatch(eip, 16));
        var buffer = new byte[16];
        Assert.Equal(16, r.Engine.ReadMemory(eip, buffer)); // nor is the debugger looking
        for (int i = 1; i <= 5; i++)
        {
            r.Engine.Step();
            Assert.Equal(StopKind.Step, r.NextStop(i).Kind);
        }
        Assert.True(r.Engine.RemoveReadWatch(eip, 16));

        // The loop reads table[(idx + 1) & 0xFF]: a read watch over the whole table stops after one.
        uint table = ElfSymbols.Address(GuestImages.Loop, "table");
        Assert.True(r.Engine.AddReadWatch(table, 1024));
        Assert.Contains(r.Engine.Breakpoints(), b => b.What == $"read 0x{table:x8} (1024 bytes)");
        long seen = r.Engine.StopCount;
        r.Engine.Continue();
        var read = r.NextStop(seen);
        Assert.Equal(StopKind.Watchpoint, read.Kind);
        Assert.Equal(WatchKind.Read, read.Watch);
        Assert.StartsWith("read of 0x", read.Detail);
        Assert.True(r.Engine.RemoveReadWatch(table, 1024));

        // An access watch on one entry stops at its first read or write.
        Assert.True(r.Engine.AddReadWatch(table + 4 * 0x78, 4, WatchKind.Access));
        seen = r.Engine.StopCount;
        r.Engine.Continue();
        var access = r.NextStop(seen);
        Assert.Equal(WatchKind.Access, access.Watch);
        Assert.Matches($"^(read of|write to) 0x{table + 4 * 0x78:x8}$", access.Detail);
        Assert.False(r.Engine.AddReadWatch(0xFFFF0000, 4)); // not RAM (no ROM is mapped in this machine)
    }

    [Fact]
    public void APhysicalBreakpointStopsWhereverTheLinearMappingPutsIt()
    {
        var (machine, hv) = TestMachines.Xen(GuestImages.ToyKernel, "pv=ops");
        var engine = new DebugEngine(machine.Cpu, hv) { EndRun = machine.Interrupt };
        engine.RequestPause();
        var thread = new Thread(() => machine.Run()) { IsBackground = true };
        thread.Start();
        try
        {
            engine.WaitForStopAfter(0, Wait);
            uint kmain = ElfSymbols.Address(GuestImages.ToyKernel, "ops_kmain");
            Assert.True(machine.Cpu.Mmu.Probe(kmain, out uint physical)); // under Xen the P2M scatters the kernel's frames
            Assert.NotEqual(kmain, physical);
            engine.AddPhysicalBreakpoint(physical, Emulator.Core.Debugging.BreakpointCondition.Parse("cpl == 1"));
            engine.Continue();
            var hit = engine.WaitForStopAfter(1, Wait)!;
            Assert.Equal(StopKind.Breakpoint, hit.Kind);
            Assert.Equal(kmain, hit.Eip);
            Assert.Equal($"breakpoint at physical 0x{physical:x8} (linear 0x{kmain:x8}, hit 1)", hit.Detail);
            Assert.Contains(engine.Breakpoints(), b => b.What == $"exec physical 0x{physical:x8} if cpl == 1" && b.Hits == 1);
            Assert.True(engine.RemovePhysicalBreakpoint(physical));
        }
        finally
        {
            engine.Kill();
            thread.Join(Wait);
        }
    }

    [Fact]
    public void APauseStopsARunningMachineAndKillEndsIt()
    {
        using var r = new Run("n=100000000", startPaused: false);
        var deadline = DateTime.UtcNow + Wait;
        while (r.Machine.Clock.Now == 0 && DateTime.UtcNow < deadline) Thread.Sleep(1); // it runs
        r.Engine.RequestPause();
        var stop = r.NextStop(0);
        Assert.Equal(StopKind.Paused, stop.Kind);
        Assert.True(stop.Tick > 0);
        r.Engine.Kill();
        Assert.Equal(ExitKind.Interrupted, r.Finish().Kind);
    }

    [Fact]
    public void DetachingLetsTheRunFinishUnchanged()
    {
        ulong expected;
        using (var plain = new Run(startPaused: false)) { plain.Finish(); expected = plain.Machine.InstructionsRetired; }
        using var r = new Run();
        r.NextStop(0);
        r.Engine.AddBreakpoint(ElfSymbols.Address(GuestImages.Loop, "console_puts"));
        r.Engine.Continue();
        r.NextStop(1);
        r.Engine.Detach();
        var exit = r.Finish();
        Assert.Equal(ExitKind.DebugExit, exit.Kind);
        Assert.Equal(expected, r.Machine.InstructionsRetired); // stopping does not change what the guest does
    }

    [Fact]
    public void APortBreakpointStopsAfterTheAccessAndCountsHits()
    {
        using var r = new Run();
        r.NextStop(0);
        r.Engine.AddPortBreakpoint(0x3F8); // COM1's data register: the guest's console output
        // console_init programs the divisor latch through the same port first; then come the characters.
        var details = new List<string>();
        for (int n = 1; n <= 20 && !details.Contains("out port 0x03f8 value 0x6f"); n++)
        {
            r.Engine.Continue();
            var hit = r.NextStop(n);
            Assert.Equal(StopKind.Port, hit.Kind);
            details.Add(hit.Detail[..hit.Detail.IndexOf(" (hit", StringComparison.Ordinal)]);
            Assert.EndsWith($"(hit {n})", hit.Detail);
        }
        int l = details.IndexOf("out port 0x03f8 value 0x6c"); // 'l' of "loop: ..."
        Assert.True(l > 0, string.Join("; ", details));
        Assert.Equal("out port 0x03f8 value 0x6f", details[l + 1]); // 'o'
        Assert.Contains(("port 0x03f8", (long)details.Count), r.Engine.Breakpoints());
    }

    [Fact]
    public void AConditionalBreakpointStopsOnlyWhenItsConditionHolds()
    {
        using var r = new Run();
        r.NextStop(0);
        uint puts = ElfSymbols.Address(GuestImages.Loop, "console_puts");
        // console_puts(const char *s), s at [esp+4] on entry: the first call prints "loop: iterations=",
        // the second "\n". Stopping only on a string starting with a newline skips the first call.
        r.Engine.AddBreakpoint(puts, BreakpointCondition.Parse("byte[[esp+4]] == 0x0a"));
        r.Engine.Continue();
        var hit = r.NextStop(1);
        Assert.Equal(puts, hit.Eip);
        Assert.Equal(0x0Au, BreakpointCondition.Parse("byte[[esp+4]]").Evaluate(r.Engine.Cpu));
        Assert.Contains(("exec 0x" + puts.ToString("x8") + " if byte[[esp+4]] == 0x0a", 1L), r.Engine.Breakpoints());
    }

    [Fact]
    public void RunUntilThePortAccessStopsAfterTheFirstOut()
    {
        using var r = new Run();
        r.NextStop(0);
        r.Engine.RunUntil(RunUntilEvent.PortAccess);
        var stop = r.NextStop(1);
        Assert.Equal(StopKind.Port, stop.Kind);
        Assert.StartsWith("out port 0x03f9", stop.Detail); // console_init: the UART's interrupt enable register first
        r.Engine.Continue(); // one-shot: nothing else is armed, the run ends
        Assert.Equal(ExitKind.DebugExit, r.Finish().Kind);
    }

    [Fact]
    public void StepOverRunsACallToItsReturn()
    {
        using var r = new Run();
        r.NextStop(0);
        uint call = ElfSymbols.Address(GuestImages.Loop, "guest_main") + 5; // "call console_init" after three one- and two-byte instructions
        r.Engine.AddBreakpoint(call);
        r.Engine.Continue();
        var atCall = r.NextStop(1);
        Assert.Equal(call, atCall.Eip);
        r.Engine.StepOver();
        var after = r.NextStop(2);
        Assert.Equal(StopKind.Step, after.Kind);
        Assert.Equal(call + 5, after.Eip);       // the instruction after the 5-byte call
        Assert.True(after.Tick > atCall.Tick + 2); // the whole callee ran
        r.Engine.StepOver();                     // not a call: one instruction
        Assert.Equal(after.Tick + 1, r.NextStop(3).Tick);
    }
}

/// <summary>Vector breakpoints on the toy kernel, whose self-tests take page faults on purpose.</summary>
public sealed class DebugEngineVectorTests
{
    [Fact]
    public void AVectorBreakpointStopsAtTheHandlerOfTheFirstPageFault()
    {
        var machine = TestMachines.Pc(GuestImages.ToyKernel, "pv=ops");
        var engine = new DebugEngine(machine.Cpu) { EndRun = machine.Interrupt };
        engine.AddVectorBreakpoint(14);
        var thread = new Thread(() => machine.Run()) { IsBackground = true };
        thread.Start();
        try
        {
            var stop = engine.WaitForStopAfter(0, TimeSpan.FromSeconds(20))!;
            Assert.Equal(StopKind.Vector, stop.Kind);
            Assert.StartsWith("vector 14 delivered (hit 1)", stop.Detail);
            // The CPU is at the #PF handler the kernel installed: its IDT gate 14's offset.
            uint gate = machine.Cpu.IdtrBase + 14 * 8;
            uint handler = (machine.Memory.Read32(gate) & 0xFFFF) | (machine.Memory.Read32(gate + 4) & 0xFFFF0000);
            Assert.Equal(handler, machine.Cpu.Eip);
            Assert.NotEqual(0u, machine.Cpu.Cr2);
        }
        finally
        {
            engine.Kill();
            thread.Join(TimeSpan.FromSeconds(20));
        }
    }

    [Fact]
    public void RunUntilTheNextInterruptAndTheNextHypercall()
    {
        foreach (var (machineType, until, expected) in new[]
                 {
                     ("pc", RunUntilEvent.Interrupt, "interrupt vector 32 delivered"),
                     ("xen", RunUntilEvent.Hypercall, "update_va_mapping("),
                 })
        {
            var (machine, hv) = machineType == "pc"
                ? (TestMachines.Pc(GuestImages.ToyKernel, "pv=ops"), null)
                : TestMachines.Xen(GuestImages.ToyKernel, "pv=ops");
            var engine = new DebugEngine(machine.Cpu, hv) { EndRun = machine.Interrupt };
            engine.RequestPause();
            var thread = new Thread(() => machine.Run()) { IsBackground = true };
            thread.Start();
            try
            {
                engine.WaitForStopAfter(0, TimeSpan.FromSeconds(20));
                engine.RunUntil(until);
                var stop = engine.WaitForStopAfter(1, TimeSpan.FromSeconds(20))!;
                Assert.Contains(expected, stop.Detail);
            }
            finally
            {
                engine.Kill();
                thread.Join(TimeSpan.FromSeconds(20));
            }
        }
    }
}
