using System.Diagnostics;
using System.Globalization;
using Emulator.Core.Debugging;
using Emulator.Core.Hypervisor;
using Emulator.Core.Loading;
using Emulator.Core.Machine;
using Emulator.Core.Snapshots;
using Emulator.Core.Tracing;
using Emulator.Devices;
using Emulator.Host.Cli;
using Emulator.Host.Debugging;
using Emulator.Host.Debugging.Web;
using Emulator.Host.Display;
using Emulator.Host.Logging;
using Serilog;

namespace Emulator.Host.Commands;

/// <summary>
/// `emu run`: builds a PC (RAM, devices), loads the image, runs it to the end and turns the way it
/// ended into the process exit status (<see cref="ExitStatus"/>).
/// </summary>
public static class RunCommand
{
    /// <summary>What a finished run reports besides its exit status (for tests and --stats).</summary>
    public sealed record Outcome(int ExitStatus, MachineExit? Exit, ulong Instructions, TimeSpan WallTime)
    {
        /// <summary>The hypervisor of a -machine xen run (for audits after the run), else null.</summary>
        public XenHypervisor? Hypervisor { get; init; }
    }

    public static int Execute(RunOptions options, HostConsole console) => ExecuteDetailed(options, console).ExitStatus;

    public static Outcome ExecuteDetailed(RunOptions options, HostConsole console)
    {
        Serilog.Core.Logger log;
        try
        {
            log = LoggingSetup.Create(options.LogLevel, options.LogFile, console.Stderr, console.IsProcessConsole);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or ArgumentException)
        {
            return Fail(console, $"cannot open the log file {options.LogFile}: {e.Message}");
        }
        using (log)
        {
            var outputs = new List<Stream>();
            var resources = new RunResources();
            try
            {
                return Run(options, console, log, outputs, resources);
            }
            catch (LoadException e)
            {
                resources.Recording?.Complete(null, e.Message, ExitStatus.Usage);
                return Fail(console, e.Message);
            }
            catch (Exception e)
            {
                // A bug in the emulator, never the guest's doing: one line on the console, the stack in the log.
                log.Fatal(e, "Internal error");
                console.Stderr.WriteLine($"emu: internal error: {e.GetType().Name}: {e.Message}");
                resources.Recording?.Complete(null, $"internal error: {e.GetType().Name}: {e.Message}", ExitStatus.InternalError);
                return new Outcome(ExitStatus.InternalError, null, 0, TimeSpan.Zero);
            }
            finally
            {
                resources.Display?.Dispose();
                resources.Recording?.Dispose();
                foreach (var s in outputs)
                {
                    try { s.Flush(); } catch (IOException) { }
                    if (s != console.Stdout) s.Dispose();
                }
                try { console.Stdout.Flush(); } catch (IOException) { }
            }
        }
    }

    /// <summary>What a run opened and must close however it ends: the trace (an internal error still completes the file) and the display.</summary>
    private sealed class RunResources
    {
        public TraceRecording? Recording;
        public DisplaySession? Display;
    }

    private static Outcome Run(RunOptions options, HostConsole console, ILogger log, List<Stream> outputs, RunResources resources)
    {
        string? kernel = options.Kernel;
        if (kernel == null && options.Bios == null)
        {
            try { kernel = DefaultGuest.Locate(console); }
            catch (FileNotFoundException e) { return Fail(console, e.Message); }
            log.Information("No image given: booting the default guest {Kernel}", kernel);
        }

        Stream? serialOut, debugConOut;
        try
        {
            serialOut = Open(options.Serial, console, outputs);
            debugConOut = Open(options.DebugCon, console, outputs);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or ArgumentException or NotSupportedException)
        {
            return Fail(console, $"cannot open an output file: {e.Message}");
        }

        bool xen = options.MachineType == "xen";
        ElfImage? xenKernel = null;
        ulong ramBytes = options.MemoryMiB * 1024ul * 1024ul;
        if (xen)
        {
            if (options.Bios != null) return Fail(console, "-bios cannot be used with -machine xen (the hypervisor boots the kernel itself)");
            if (options.Initrd != null) return Fail(console, "-initrd is not supported with -machine xen yet");
            xenKernel = ElfImage.Load(kernel!);
            XenNotes.Parse(xenKernel); // a kernel without the notes is refused before anything is built
            ramBytes = XenHypervisor.MachineRamBytes(options.MemoryMiB * 256u);
            if (ramBytes > CommandLineParser.MaxMemoryMiB * 1024ul * 1024ul)
                return Fail(console, $"-m {options.MemoryMiB} is too large for -machine xen: the hypervisor needs some of the 3 GiB too");
        }

        var machine = new Machine((uint)ramBytes, log) { NoReboot = options.NoReboot };
        // Reverse execution re-runs history: what the guest printed then must not print twice.
        serialOut = ReexecutionMutedStream.Wrap(serialOut, machine);
        debugConOut = ReexecutionMutedStream.Wrap(debugConOut, machine);
        string machineDescription = $"-machine {options.MachineType} -m {options.MemoryMiB}";
        bool webDebugger = options.WebDebuggerPort != null;
        TraceRecording? recording = null;
        if (options.TraceFile != null || webDebugger)
        {
            Stream traceFile = Stream.Null; // the web debugger shows the events as they happen; without -trace no file keeps them
            if (options.TraceFile != null)
            {
                try { traceFile = new FileStream(options.TraceFile, FileMode.Create, FileAccess.Write, FileShare.Read, 1 << 16); }
                catch (Exception e) when (e is IOException or UnauthorizedAccessException or ArgumentException or NotSupportedException)
                {
                    return Fail(console, $"cannot open the trace file {options.TraceFile}: {e.Message}");
                }
            }
            recording = resources.Recording = TraceRecording.Start(machine, options.TraceLevel, traceFile, hypervisorProfile: xen);
            // Console lines are recorded whatever -serial says, so the tap sits in front of the output (or of nothing).
            serialOut = recording.TapConsole(serialOut);
        }
        ConsoleCapture? consoleCapture = null;
        TraceFeed? traceFeed = null;
        if (webDebugger)
        {
            // The page's console capture is muted while history re-runs, like the outputs (above).
            serialOut = ReexecutionMutedStream.Wrap(consoleCapture = new ConsoleCapture(serialOut), machine);
            traceFeed = new TraceFeed();
            recording!.Tracer.AddSink(traceFeed.Add);
        }
        var platform = PcPlatform.Attach(machine, new PcPlatformOptions
        {
            SerialOutput = serialOut,
            DebugConsoleOutput = debugConOut,
            Logger = log,
        });

        XenHypervisor? xenHypervisor = null;
        if (xenKernel != null)
        {
            var hv = xenHypervisor = new XenHypervisor(machine.Cpu, machine, options.MemoryMiB * 256u, options.P2mSeed, serialOut, log);
            var domain = DomainBuilder.Build(hv, xenKernel, options.Append, log);
            recording?.Emit(BootEventFor(machine, options, "xen", "xen-pv", kernel!, domain.Notes.Entry));
            recording?.AttachHypervisor(hv); // from the first guest instruction on: the builder's own work is the boot event
            // Printed at boot (stderr: stdout carries only the guest's console) so a run can be reproduced.
            console.Stderr.WriteLine($"emu: xen: domain of {options.MemoryMiB} MiB, p2m seed {options.P2mSeed} (--p2m-seed)");
            kernel = null;
        }
        if (options.Bios != null)
        {
            RomLoader.Load(machine.Memory, machine.Cpu, options.Bios, log);
            machine.AfterReset = () => { }; // the firmware is mapped: a reset restarts it at F000:FFF0
            if (kernel == null) recording?.Emit(BootEventFor(machine, options, "pc", "bios", options.Bios, 0xFFFFFFF0));
        }
        if (kernel != null)
        {
            var modules = ParseModules(options.Initrd);
            var boot = MultibootLoader.Prepare(machine.Memory, kernel, options.Append, modules, log);
            boot.Install(machine.Memory, machine.Cpu);
            recording?.Emit(BootEventFor(machine, options, "pc", "multiboot", kernel, boot.Entry));
            // As QEMU's multiboot option ROM does on every boot, a reset loads the kernel again.
            machine.AfterReset = () => boot.Install(machine.Memory, machine.Cpu);
        }

        try
        {
            resources.Display = DisplaySession.Start(options, machine, platform, recording, console.Stdout,
                readTerminalKeys: console.IsProcessConsole, $"emu: {Path.GetFileName(options.Kernel ?? options.Bios ?? "toykernel.elf")}", log);
        }
        catch (DisplayUnavailableException e) { return Fail(console, $"cannot open the display (-display): {e.Message}"); }
        catch (FormatException e) { return Fail(console, $"bad input log (-input-replay): {e.Message}"); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return Fail(console, $"cannot open the input log: {e.Message}");
        }

        // Under -display curses the terminal's keys go to the keyboard, not to COM1.
        if (options.Serial.Kind == OutputTargetKind.Stdio && console.Stdin != null && options.Display != DisplayKind.Curses)
            StartInputForwarding(console.Stdin, platform, log);

        DebugEngine? debugger = null;
        HypercallLog? hypercalls = null;
        GdbServer? gdb = null;
        DebuggerWebServer? web = null;
        if (options.GdbPort != null || webDebugger)
        {
            debugger = new DebugEngine(machine.Cpu, xenHypervisor) { EndRun = machine.Interrupt };
            machine.EnableTimeline(); // checkpoints for reverse step and reverse continue (gdb and the page)
            // The page shows the log from the start; the gdb stub starts it when a debugger connects.
            if (xenHypervisor != null) hypercalls = new HypercallLog(xenHypervisor, machine, listen: webDebugger);
        }
        if (options.WebDebuggerPort is int webPort)
        {
            debugger!.RequestPause(); // emu debug starts paused at the first instruction
            // The kernel's symbols name code addresses (a multiboot kernel's path is still in `kernel`; -bios alone has none).
            var symbols = xenKernel != null ? ElfSymbolTable.From(xenKernel) : kernel != null ? ElfSymbolTable.FromFile(kernel) : ElfSymbolTable.Empty;
            var target = new DebuggedMachine(debugger, machine.Memory, symbols, hypercalls, consoleCapture!, platform.Vga, traceFeed!);
            try { web = DebuggerWebServer.Start(webPort, target, log); }
            catch (IOException e)
            {
                return Fail(console, $"cannot serve the web debugger on 127.0.0.1:{webPort}: {e.Message}");
            }
            console.Stderr.WriteLine($"emu: web debugger on {web.Url} (the machine is paused at its first instruction; open the page to run it)");
        }
        if (options.GdbPort is int gdbPort)
        {
            if (options.WaitForDebugger) debugger!.RequestPause();
            try { gdb = GdbServer.Start(gdbPort, debugger!, log, hypercalls); }
            catch (System.Net.Sockets.SocketException e)
            {
                return Fail(console, $"cannot listen for gdb on 127.0.0.1:{gdbPort}: {e.Message}");
            }
            console.Stderr.WriteLine($"emu: gdb stub on 127.0.0.1:{gdb.Port}" +
                (options.WaitForDebugger ? " (-S: the machine waits for the debugger to continue it)" : "") +
                $"; connect with: gdb -ex 'target remote 127.0.0.1:{gdb.Port}'");
        }

        ConsoleCancelEventHandler? onCancel = null;
        if (console.IsProcessConsole)
        {
            bool interrupted = false;
            onCancel = (_, e) =>
            {
                // The first Ctrl-C stops the machine cleanly; a second one ends the process at once.
                if (interrupted) return;
                interrupted = true;
                e.Cancel = true;
                machine.Interrupt();
                debugger?.Kill(); // a machine stopped in the debugger must wake up to end
            };
            Console.CancelKeyPress += onCancel;
        }

        if (options.SnapshotLoad is { } snapshotIn)
        {
            try
            {
                ulong at = SnapshotFile.Load(machine, machineDescription, snapshotIn);
                console.Stderr.WriteLine($"emu: resuming from {snapshotIn} at instruction {at}");
            }
            catch (Exception e) when (e is SnapshotFormatException or IOException or UnauthorizedAccessException)
            {
                gdb?.Dispose();
                web?.Dispose();
                return Fail(console, $"cannot load the snapshot {snapshotIn}: {e.Message}");
            }
        }

        var stopwatch = Stopwatch.StartNew();
        MachineExit exit;
        try
        {
            exit = machine.Run(options.MaxInstructions ?? ulong.MaxValue);
        }
        finally
        {
            stopwatch.Stop();
            if (onCancel != null) Console.CancelKeyPress -= onCancel;
        }

        if (debugger != null)
        {
            // A debugger waiting on "continue" learns that the run is over (gdb: "[Inferior 1 (process 1) exited ...]").
            debugger.NotifyExited(exit.ExitStatus, exit.Message);
            gdb?.WaitForSessionEnd(TimeSpan.FromSeconds(2));
            gdb?.Dispose();
            web?.LetPagesSeeTheEnd();
            web?.Dispose();
        }
        recording?.Complete(exit);
        foreach (var s in outputs) s.Flush();
        if (options.SnapshotSave is { } snapshotOut)
        {
            try
            {
                SnapshotFile.Save(machine, machineDescription, snapshotOut);
                console.Stderr.WriteLine($"emu: machine state at instruction {machine.Clock.Now} saved to {snapshotOut}");
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                console.Stderr.WriteLine($"emu: cannot save the snapshot {snapshotOut}: {e.Message}");
                return new Outcome(ExitStatus.Usage, exit, machine.InstructionsRetired, stopwatch.Elapsed) { Hypervisor = xenHypervisor };
            }
        }
        switch (exit.Kind)
        {
            case ExitKind.PowerOff:
            case ExitKind.DebugExit:
                log.Information("The run ended: {Message}; exit status {Status}", exit.Message, exit.ExitStatus);
                break;
            default:
                console.Stderr.WriteLine($"emu: {exit.Message}");
                break;
        }

        ulong instructions = machine.InstructionsRetired;
        if (options.Stats)
        {
            double seconds = stopwatch.Elapsed.TotalSeconds;
            double mips = seconds > 0 ? instructions / seconds / 1e6 : 0;
            console.Stderr.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"emu: {instructions} instructions in {seconds:F3} s: {mips:F2} MIPS"));
        }
        return new Outcome(exit.ExitStatus, exit, instructions, stopwatch.Elapsed) { Hypervisor = xenHypervisor };
    }

    /// <summary>The boot event: the image by file name only (so traces do not depend on where the files are) and pv= from the command line.</summary>
    private static BootEvent BootEventFor(Machine machine, RunOptions o, string profile, string loader, string image, uint entry)
    {
        string cmdline = o.Append ?? "";
        string? strategy = null;
        foreach (var word in cmdline.Split(' ', StringSplitOptions.RemoveEmptyEntries))
            if (word.StartsWith("pv=", StringComparison.Ordinal)) strategy = word[3..];
        return new BootEvent(machine.Clock.Now, profile, loader, Path.GetFileName(image), entry, cmdline, strategy, o.MemoryMiB,
            profile == "xen" ? o.P2mSeed : null);
    }

    private static IReadOnlyList<MultibootModuleSpec> ParseModules(string? initrd)
    {
        try { return MultibootModuleSpec.ParseList(initrd); }
        catch (ArgumentException e) { throw new LoadException(initrd ?? "", e.Message); }
    }

    private static Stream? Open(OutputTarget target, HostConsole console, List<Stream> outputs)
    {
        switch (target.Kind)
        {
            case OutputTargetKind.Stdio:
                if (!outputs.Contains(console.Stdout)) outputs.Add(console.Stdout);
                return console.Stdout;
            case OutputTargetKind.File:
                var f = new FileStream(target.Path!, FileMode.Create, FileAccess.Write, FileShare.Read);
                outputs.Add(f);
                return f;
            default:
                return null;
        }
    }

    /// <summary>
    /// Feeds stdin to COM1 on a background thread, so that a blocked read never keeps the process
    /// alive. Host input is the one outside influence on a run (DESIGN.md §3).
    /// </summary>
    private static void StartInputForwarding(Stream stdin, PcPlatform platform, ILogger log)
    {
        var thread = new Thread(() =>
        {
            var buffer = new byte[256];
            try
            {
                int n;
                while ((n = stdin.Read(buffer, 0, buffer.Length)) > 0)
                    for (int i = 0; i < n; i++) platform.Com1.EnqueueInput(buffer[i]);
            }
            catch (Exception e) when (e is IOException or ObjectDisposedException or NotSupportedException)
            {
                log.Debug("Console input stopped: {Message}", e.Message);
            }
        })
        {
            IsBackground = true,
            Name = "emu stdin to COM1",
        };
        thread.Start();
    }

    private static Outcome Fail(HostConsole console, string message)
    {
        console.Stderr.WriteLine($"emu: {message}");
        return new Outcome(ExitStatus.Usage, null, 0, TimeSpan.Zero);
    }
}
