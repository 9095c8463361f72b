using System.Text.Json;
using Emulator.Core.Tracing;
using Emulator.Host.Cli;
using Emulator.Tests.Support;

namespace Emulator.Tests.Tracing;

/// <summary>What `emu run -trace` records: the events of each level, their fields and order, and a complete file however the run ends.</summary>
public sealed class TraceRecordingTests
{
    private static RunOptions ToyKernel(string machine, string append, TraceLevel level, uint mib = 128, ulong seed = 1) => new()
    {
        Kernel = GuestImages.ToyKernel,
        Append = append,
        MachineType = machine,
        MemoryMiB = mib,
        P2mSeed = seed,
        TraceLevel = level,
        MaxInstructions = 50_000_000,
    };

    private static List<JsonElement> Parse(TraceRun.Result r)
    {
        var events = new List<JsonElement>();
        ulong last = 0;
        foreach (var line in r.Lines)
        {
            using var doc = JsonDocument.Parse(line);
            var e = doc.RootElement.Clone();
            var props = e.EnumerateObject().ToList();
            Assert.Equal("i", props[0].Name);
            Assert.Equal("type", props[1].Name);
            ulong i = props[0].Value.GetUInt64();
            Assert.True(i >= last, $"time went back at {line}");
            last = i;
            events.Add(e);
        }
        return events;
    }

    private static string Type(JsonElement e) => e.GetProperty("type").GetString()!;

    [Fact]
    public void HelloAtTheBootLevelHasHeaderBootConsoleLinesAndEnd()
    {
        var r = TraceRun.Record(new RunOptions { Kernel = GuestImages.Hello, Append = "exit=2", TraceLevel = TraceLevel.Boot });
        Assert.Equal(5, r.Outcome.ExitStatus);
        var ev = Parse(r);
        Assert.Equal("{\"i\":0,\"type\":\"trace\",\"version\":1,\"level\":\"boot\"}", r.Lines[0]);
        Assert.Matches("^\\{\"i\":0,\"type\":\"boot\",\"profile\":\"pc\",\"loader\":\"multiboot\",\"image\":\"hello.elf\",\"entry\":\"0x[0-9a-f]{8}\"," +
            "\"cmdline\":\"exit=2\",\"strategy\":null,\"memory_mib\":128\\}$", r.Lines[1]);
        Assert.Equal(new[] { "trace", "boot", "console", "console", "console", "end" }, ev.Select(Type));
        Assert.Equal("hello: command line: hello.elf exit=2", ev[3].GetProperty("text").GetString());
        Assert.Equal("debug-exit", ev[^1].GetProperty("reason").GetString());
        Assert.Equal(5, ev[^1].GetProperty("status").GetInt32());
        Assert.Equal(r.Outcome.Instructions, ev[^1].GetProperty("i").GetUInt64());
    }

    [Fact]
    public void NativeToyKernelRecordsModesExceptionsInterruptsCr3AndPageTableStores()
    {
        var r = TraceRun.Record(ToyKernel("pc", "pv=ops", TraceLevel.Hypercall));
        Assert.Equal(0, r.Outcome.ExitStatus);
        var ev = Parse(r);
        var types = ev.GroupBy(Type).ToDictionary(g => g.Key, g => g.Count());
        Assert.Equal(1, types["boot"]);
        Assert.Equal("ops", ev[1].GetProperty("strategy").GetString());
        // Paging on: CR4.PAE, then CR0.PG|WP, as mm.c turns it on.
        var modes = ev.Where(e => Type(e) == "mode").Select(e => e.GetProperty("reg").GetString() + " " + e.GetProperty("changed").GetString()).ToList();
        Assert.Equal(new[] { "cr4 +PAE", "cr0 +WP +PG" }, modes);
        // Two int3 (the trap-table test) reach the guest's IDT; #PF carries CR2.
        Assert.True(ev.Count(e => Type(e) == "exception" && e.GetProperty("vector").GetInt32() == 3) >= 2);
        var pf = ev.First(e => Type(e) == "exception" && e.GetProperty("vector").GetInt32() == 14);
        Assert.True(pf.TryGetProperty("cr2", out _));
        Assert.Equal("guest", pf.GetProperty("to").GetString());
        // int 0x80 system calls and IRQ0 timer ticks are interrupts.
        Assert.Contains(ev, e => Type(e) == "interrupt" && e.GetProperty("vector").GetInt32() == 0x80 && e.GetProperty("cpl").GetInt32() == 3);
        Assert.Equal(15, ev.Count(e => Type(e) == "interrupt" && e.GetProperty("vector").GetInt32() == 32));
        Assert.True(types["cr3"] > 10);
        // Stores into live tables: demand paging maps heap pages through L1 entries of the current tables.
        Assert.Contains(ev, e => Type(e) == "pte" && e.GetProperty("via").GetString() == "store" && e.GetProperty("level").GetString() == "L1");
        Assert.False(types.ContainsKey("io")); // ports only at the full level
        Assert.False(types.ContainsKey("hypercall"));
        Assert.Equal("poweroff", ev[^1].GetProperty("reason").GetString());
    }

    [Fact]
    public void XenToyKernelRecordsDecodedHypercallsUpcallsAndValidatedUpdates()
    {
        var r = TraceRun.Record(ToyKernel("xen", "pv=patch", TraceLevel.Hypercall, 32));
        Assert.Equal(0, r.Outcome.ExitStatus);
        var ev = Parse(r);
        Assert.Equal("xen-pv", ev[1].GetProperty("loader").GetString());
        Assert.Equal(1, ev[1].GetProperty("p2m_seed").GetInt32());
        var calls = ev.Where(e => Type(e) == "hypercall").ToList();
        // The first call maps shared_info: update_va_mapping with UVMF_INVLPG, preceded by its validated L1 update.
        Assert.Equal("update_va_mapping", calls[0].GetProperty("name").GetString());
        Assert.Equal("invlpg", calls[0].GetProperty("args").GetProperty("flags").GetString());
        int first = ev.IndexOf(calls[0]);
        Assert.Equal("pte", Type(ev[first - 1]));
        Assert.Equal("update_va_mapping", ev[first - 1].GetProperty("via").GetString());
        // mmuext_op lists its commands; the kernel pins and loads its L3 (a cr3 event by new_baseptr).
        Assert.Contains(calls, c => c.GetProperty("name").GetString() == "mmuext_op" &&
            c.GetProperty("args").GetProperty("entries")[0].GetProperty("cmd").GetString() == "pin_l3_table");
        Assert.Contains(ev, e => Type(e) == "cr3" && e.GetProperty("by").GetString() == "new_baseptr");
        // Errors carry Xen's errno name: the deliberate second pin of the kernel's L3 is -EINVAL.
        Assert.Contains(calls, c => c.GetProperty("result").GetInt32() == -22 && c.GetProperty("errno").GetString() == "EINVAL");
        // Timer ticks are upcalls; the iret hypercall is a call of its own; traps go to the hypervisor first.
        Assert.True(ev.Count(e => Type(e) == "upcall") >= 10);
        Assert.Contains(calls, c => c.GetProperty("name").GetString() == "iret");
        Assert.Contains(ev, e => Type(e) == "exception" && e.GetProperty("to").GetString() == "hypervisor" && e.GetProperty("vector").GetInt32() == 14);
        // int 0x82 is a hypercall, never an interrupt event.
        Assert.DoesNotContain(ev, e => Type(e) == "interrupt" && e.GetProperty("vector").GetInt32() == 0x82);
        // The shutdown: sched_op with its reason read from guest memory, then the end.
        var last = calls[^1];
        Assert.Equal("sched_op", last.GetProperty("name").GetString());
        Assert.Equal("poweroff", last.GetProperty("args").GetProperty("reason").GetString());
        Assert.Equal("poweroff", ev[^1].GetProperty("reason").GetString());
    }

    [Fact]
    public void FullLevelAddsPortAccesses()
    {
        var r = TraceRun.Record(new RunOptions { Kernel = GuestImages.Hello, Append = "exit=0", TraceLevel = TraceLevel.Full });
        var ev = Parse(r);
        var io = ev.Where(e => Type(e) == "io").ToList();
        // Every character goes to COM1's data register; the exit is one write to port 0xF4.
        Assert.Contains(io, e => e.GetProperty("dir").GetString() == "out" && e.GetProperty("port").GetString() == "0x03f8" && e.GetProperty("value").GetString() == "0x68");
        Assert.Equal("0x00f4", io[^1].GetProperty("port").GetString());
        Assert.Equal("end", Type(ev[^1]));
    }

    [Fact]
    public void TheSameRunTwiceGivesByteIdenticalTraces()
    {
        var a = TraceRun.Record(ToyKernel("xen", "pv=ops", TraceLevel.Hypercall, 32, 5));
        var b = TraceRun.Record(ToyKernel("xen", "pv=ops", TraceLevel.Hypercall, 32, 5));
        Assert.Equal(a.Trace, b.Trace);
        var c = TraceRun.Record(ToyKernel("pc", "pv=flag", TraceLevel.Hypercall));
        var d = TraceRun.Record(ToyKernel("pc", "pv=flag", TraceLevel.Hypercall));
        Assert.Equal(c.Trace, d.Trace);
    }

    [Fact]
    public void AnotherSeedOrMemorySizeGivesAnotherTrace()
    {
        var a = TraceRun.Record(ToyKernel("xen", "pv=ops", TraceLevel.Hypercall, 32, 5));
        var seed = TraceRun.Record(ToyKernel("xen", "pv=ops", TraceLevel.Hypercall, 32, 6));
        var memory = TraceRun.Record(ToyKernel("xen", "pv=ops", TraceLevel.Hypercall, 64, 5));
        Assert.NotEqual(a.Trace, seed.Trace);
        Assert.NotEqual(a.Trace, memory.Trace);
        // Same console output either way: only machine frames (and the memory size) differ.
        string Console(TraceRun.Result r) => string.Join('\n', r.Lines.Where(l => l.Contains("\"type\":\"console\"") && !l.Contains("own page tables") && !l.Contains("pages\"}")).Select(l => l[l.IndexOf("\"type\"", StringComparison.Ordinal)..]));
        Assert.Equal(Console(a), Console(seed));
    }

    [Fact]
    public void TheFileIsCompleteAfterTheInstructionLimit()
    {
        var o = ToyKernel("pc", "pv=ops", TraceLevel.Hypercall);
        o.MaxInstructions = 1_000_000;
        var r = TraceRun.Record(o);
        Assert.Equal(124, r.Outcome.ExitStatus);
        Assert.StartsWith("{\"i\":1000000,\"type\":\"end\",\"reason\":\"instruction-limit\",\"status\":124,", r.Lines[^1]);
        Assert.EndsWith("\n", r.Trace);
        Assert.True(TraceFile.Parse(r.Trace, "limit.jsonl").IsComplete);
    }

    [Fact]
    public void TheFileIsCompleteAfterATripleFault()
    {
        using var files = new TempFiles();
        // A multiboot kernel that loads an empty IDT and divides by zero: #DE cannot be delivered, nor #DF: a triple fault.
        var header = Elf32Builder.MultibootHeader(0x3);
        uint idtr = 0x100000 + (uint)header.Length + 12;
        var body = header.Concat(new byte[] { 0x0F, 0x01, 0x1D }).Concat(BitConverter.GetBytes(idtr)) // lidt [idtr]
            .Concat(new byte[] { 0x31, 0xC9, 0xF7, 0xF1, 0xF4 })                                     // xor ecx,ecx; div ecx; hlt
            .Concat(new byte[6]).ToArray();                                                          // limit 0, base 0
        var b = new Elf32Builder { Entry = 0x100000 + (uint)header.Length };
        b.AddLoad(0x100000, body, memorySize: 0x1000);
        string kernel = files.Write("fault.elf", b.Build());
        var r = TraceRun.Record(new RunOptions { Kernel = kernel, TraceLevel = TraceLevel.Hypercall });
        var ev = Parse(r);
        Assert.Equal(4, r.Outcome.ExitStatus);
        Assert.Equal("crash", ev[^1].GetProperty("reason").GetString());
        Assert.Contains(ev, e => Type(e) == "exception" && e.GetProperty("vector").GetInt32() == 0);
        Assert.True(TraceFile.Parse(r.Trace, "crash.jsonl").IsComplete);
    }

    [Fact]
    public void TheFileIsCompleteAfterTheHostInterruptsTheRun()
    {
        // Ctrl-C calls Machine.Interrupt from another thread; here a clock event calls it at a known virtual time.
        var machine = new Emulator.Core.Machine.Machine(64u << 20);
        Emulator.Core.Loading.MultibootLoader.Load(machine.Memory, machine.Cpu, GuestImages.Loop);
        var output = new MemoryStream();
        var recording = TraceRecording.Start(machine, TraceLevel.Hypercall, output, hypervisorProfile: false);
        machine.Clock.ScheduleAt(200_000, machine.Interrupt);
        var exit = machine.Run();
        recording.Complete(exit);
        recording.Dispose();
        var lines = System.Text.Encoding.UTF8.GetString(output.ToArray()).Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(Emulator.Core.Machine.ExitKind.Interrupted, exit.Kind);
        Assert.StartsWith("{\"i\":0,\"type\":\"trace\"", lines[0]);
        Assert.Matches("^\\{\"i\":2000\\d\\d,\"type\":\"end\",\"reason\":\"interrupted\",\"status\":130,", lines[^1]);
        Assert.Equal("interrupted", TraceFile.Parse(string.Join('\n', lines), "interrupted.jsonl").End!.Fields["reason"]!.GetValue<string>());
    }

    [Fact]
    public void AMissingKernelStillLeavesACompleteTraceSayingWhy()
    {
        var r = TraceRun.Record(new RunOptions { Kernel = "/nonexistent/kernel.elf", TraceLevel = TraceLevel.Boot });
        Assert.Equal(2, r.Outcome.ExitStatus);
        Assert.StartsWith("{\"i\":0,\"type\":\"trace\"", r.Lines[0]);
        Assert.StartsWith("{\"i\":0,\"type\":\"end\",\"reason\":\"error\",\"status\":2,", r.Lines[^1]);
        Assert.True(TraceFile.Parse(r.Trace, "error.jsonl").IsComplete);
    }
}
