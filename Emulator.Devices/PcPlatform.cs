using Emulator.Core.Input;
using Emulator.Core.Machine;
using Serilog;

namespace Emulator.Devices;

/// <summary>
/// The PC devices of a <see cref="Machine"/>: creates them, claims their ports and makes the PIC
/// pair the CPU's interrupt controller. IRQ wiring as on a PC/AT: 0 PIT, 1 keyboard, 2 cascade,
/// 4 COM1, 8 RTC, 12 mouse.
/// </summary>
public sealed class PcPlatform
{
    public Machine Machine { get; }
    public Pic8259 Pic { get; }
    public Pit8254 Pit { get; }
    /// <summary>Port 0x61: PIT channel 2 gate/output, speaker enable, refresh toggle.</summary>
    public SystemControlPortB SystemControlB { get; }
    public Uart16550 Com1 { get; }
    public CmosRtc Rtc { get; }
    public Kbc8042 Kbc { get; }
    /// <summary>The door host keys enter by (a window, a terminal, a replayed log), typing on <see cref="Kbc"/>.</summary>
    public HostInputLog Input { get; }
    /// <summary>Port 0x92: fast A20 and fast reset.</summary>
    public SystemControlPortA SystemControlA { get; }
    public VgaText Vga { get; }
    public DebugConsole DebugConsole { get; }
    public IsaDebugExit DebugExit { get; }
    public PostCodePort PostCode { get; }
    public BochsShutdownPort BochsShutdown { get; }

    private PcPlatform(Machine machine, PcPlatformOptions options)
    {
        Machine = machine;
        ILogger log = options.Logger ?? machine.Log;
        var clock = machine.Clock;
        var memory = machine.Memory;

        Pic = new Pic8259(log);
        Pit = new Pit8254(clock, Pic, log);
        SystemControlB = new SystemControlPortB(Pit, clock);
        Com1 = new Uart16550(Uart16550.Com1Base, Uart16550.Com1Irq, Pic, clock, ToSink(options.SerialOutput), log);
        Rtc = new CmosRtc(clock, Pic, memory.RamSize, options.RtcBaseTime, log);
        Kbc = new Kbc8042(memory, machine, Pic, log);
        Input = new HostInputLog(clock, () => machine.Cpu.Halted, Kbc.KeyEvent, log);
        SystemControlA = new SystemControlPortA(memory, machine);
        Vga = new VgaText(memory, clock);
        DebugConsole = new DebugConsole(ToSink(options.DebugConsoleOutput));
        DebugExit = new IsaDebugExit(machine);
        PostCode = new PostCodePort(log);
        BochsShutdown = new BochsShutdownPort(machine);

        var ports = machine.Ports;
        ports.Register(Pic8259.MasterCommandPort, 2, Pic);
        ports.Register(Pic8259.SlaveCommandPort, 2, Pic);
        ports.Register(Pit8254.FirstPort, 4, Pit);
        ports.Register(SystemControlPortB.Port, 1, SystemControlB);
        ports.Register(Uart16550.Com1Base, 8, Com1);
        ports.Register(CmosRtc.IndexPort, 2, Rtc);
        ports.Register(Kbc8042.DataPort, 1, Kbc);
        ports.Register(Kbc8042.StatusPort, 1, Kbc);
        ports.Register(SystemControlPortA.Port, 1, SystemControlA);
        ports.Register(VgaText.MiscOutputWritePort, 1, Vga);
        ports.Register(VgaText.MiscOutputReadPort, 1, Vga);
        ports.Register(VgaText.CrtcIndexPort, 2, Vga);
        ports.Register(VgaText.InputStatus1Port, 1, Vga);
        ports.Register(DebugConsole.Port, 1, DebugConsole);
        ports.Register(IsaDebugExit.Port, 1, DebugExit);
        ports.Register(PostCodePort.Port, 1, PostCode);
        ports.Register(BochsShutdownPort.Port, 1, BochsShutdown);

        machine.Cpu.InterruptController = Pic;

        foreach (var state in new Emulator.Core.Snapshots.ISnapshotState[]
                 { Pic, Pit, SystemControlB, Com1, Rtc, Kbc, Input, SystemControlA, Vga, PostCode, BochsShutdown })
            machine.RegisterSnapshotState(state);
    }

    /// <summary>Creates the PC devices on <paramref name="machine"/> and registers them.</summary>
    public static PcPlatform Attach(Machine machine, PcPlatformOptions options) => new(machine, options);

    private static Action<byte>? ToSink(Stream? stream)
    {
        if (stream is null) return null;
        return b =>
        {
            stream.WriteByte(b);
            stream.Flush();
        };
    }
}
