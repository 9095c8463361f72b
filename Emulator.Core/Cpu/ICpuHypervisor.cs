namespace Emulator.Core.Cpu;

/// <summary>
/// What a hypervisor that owns the machine (the xen profile, DESIGN.md §5) hooks into the CPU:
/// it sees every exception, interrupt and software interrupt before the IDT does, and it may
/// answer CPUID leaves of the hypervisor range. The pc profile has no hypervisor (the field is
/// null), so the hooks cost one null check on paths that are not hot.
/// </summary>
public interface ICpuHypervisor
{
    /// <summary>
    /// Called first for every event the CPU is about to deliver, with EIP/ESP as the IDT delivery
    /// would push them. Returns true when the hypervisor handled the event (the CPU does nothing
    /// more); it must never leave <see cref="Cpu.Faulted"/> set.
    /// </summary>
    bool Intercept(byte vector, EventKind kind, bool hasError, uint errorCode);

    /// <summary>Answers a CPUID leaf in 40000000H-4FFFFFFFH; false leaves the CPU's own answer (zeros).</summary>
    bool Cpuid(uint leaf, out uint eax, out uint ebx, out uint ecx, out uint edx);
}
