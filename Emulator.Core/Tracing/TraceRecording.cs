using Emulator.Core.Hypervisor;
using Emulator.Core.Machine;

namespace Emulator.Core.Tracing;

/// <summary>
/// One trace being recorded: hooks a <see cref="Tracer"/> into a machine (CPU, ports at the full
/// level, the hypervisor and its hypercalls in the xen profile, the page-table watch on bare
/// hardware), writes the header at once and the end event when the run is over, so the file is
/// complete whatever ended the run (poweroff, crash, triple fault, instruction limit, Ctrl-C).
/// </summary>
public sealed class TraceRecording : IDisposable
{
    private readonly JsonLinesTraceWriter _writer;
    private readonly List<TraceConsoleStream> _consoles = new();
    private readonly Machine.Machine _machine;

    public Tracer Tracer { get; }
    public long EventsWritten => _writer.EventsWritten;

    private TraceRecording(Machine.Machine machine, Tracer tracer, JsonLinesTraceWriter writer)
    {
        _machine = machine;
        Tracer = tracer;
        _writer = writer;
    }

    /// <summary>
    /// Starts recording into <paramref name="output"/> (which the recording owns and disposes). In
    /// the xen profile (<paramref name="hypervisorProfile"/>) page-table updates come from the
    /// hypervisor (<see cref="AttachHypervisor"/>); on bare hardware from the page-table watch.
    /// </summary>
    public static TraceRecording Start(Machine.Machine machine, TraceLevel level, Stream output, bool hypervisorProfile)
    {
        var tracer = new Tracer(machine.Clock, level) { Muted = () => machine.Reexecuting };
        var writer = new JsonLinesTraceWriter(output);
        tracer.AddSink(writer.Write);
        var recording = new TraceRecording(machine, tracer, writer);
        tracer.Emit(new TraceHeaderEvent(machine.Clock.Now, level));

        machine.Cpu.Tracer = tracer;
        if (tracer.Io) machine.Ports.Tracer = tracer;
        if (!hypervisorProfile && tracer.Detailed)
        {
            machine.Cpu.TableWatch = new PageTableWatch(machine.Cpu, machine.Memory, tracer);
            machine.Cpu.TableWatch.Rebuild();
        }
        return recording;
    }

    /// <summary>Records what the hypervisor does: bounced events, upcalls, validated updates, base pointers, and each hypercall decoded.</summary>
    public void AttachHypervisor(XenHypervisor hypervisor)
    {
        hypervisor.Tracer = Tracer;
        if (Tracer.Detailed) hypervisor.HypercallCompleted += e => Tracer.Emit(HypercallTraceDecoder.ToTraceEvent(hypervisor, e));
    }

    /// <summary>A console output that records lines into this trace and passes bytes on to <paramref name="inner"/> (may be null).</summary>
    public TraceConsoleStream TapConsole(Stream? inner)
    {
        var tap = new TraceConsoleStream(inner, Tracer);
        _consoles.Add(tap);
        return tap;
    }

    public void Emit(TraceEvent e) => Tracer.Emit(e);

    /// <summary>
    /// Ends the trace: any partial console line, then the end event; the file is flushed. Without an
    /// exit the run did not finish (bad input or an emulator error): reason "error" with <paramref name="status"/>.
    /// </summary>
    public void Complete(MachineExit? exit, string? failure = null, int status = 70)
    {
        foreach (var c in _consoles) c.FlushLine();
        if (exit is { } x) _writer.Complete(new EndEvent(_machine.Clock.Now, ReasonName(x.Kind), x.ExitStatus, x.Message));
        else _writer.Complete(new EndEvent(_machine.Clock.Now, "error", status, failure ?? "the run did not finish"));
    }

    public static string ReasonName(ExitKind kind) => kind switch
    {
        ExitKind.PowerOff => "poweroff",
        ExitKind.DebugExit => "debug-exit",
        ExitKind.GuestCrash => "crash",
        ExitKind.HaltedForever => "halted",
        ExitKind.InstructionLimit => "instruction-limit",
        ExitKind.Interrupted => "interrupted",
        _ => kind.ToString().ToLowerInvariant(),
    };

    public void Dispose()
    {
        _machine.Cpu.Tracer = null;
        _machine.Cpu.TableWatch?.Detach();
        _machine.Cpu.TableWatch = null;
        _machine.Ports.Tracer = null;
        _writer.Dispose();
    }
}
