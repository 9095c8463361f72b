using Emulator.Core.Debugging;
using Emulator.Core.Loading;
using Emulator.Devices;

namespace Emulator.Host.Debugging.Web;

/// <summary>
/// Everything the web debugger shows and controls of one run: the engine (control, registers,
/// memory), physical memory, the symbols of the kernel image, the hypercall log (-machine xen),
/// the guest console, the VGA text screen and the trace events.
/// </summary>
public sealed record DebuggedMachine(
    DebugEngine Engine,
    Emulator.Core.Memory.PhysicalMemory Memory,
    ElfSymbolTable Symbols,
    HypercallLog? Hypercalls,
    ConsoleCapture Console,
    VgaText? Vga,
    TraceFeed Trace);
