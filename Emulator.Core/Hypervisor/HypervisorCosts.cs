namespace Emulator.Core.Hypervisor;

/// <summary>
/// The virtual-time cost model of the hypervisor (DESIGN.md §7a). Guest instructions cost one tick
/// each (the CPU counts them); work the hypervisor does in C# on the guest's behalf is charged by
/// advancing the clock by these documented amounts, so that the guest's TSC — and the toy kernel's
/// bench numbers — see hypercalls and traps as costly as they are meant to be, deterministically.
/// The figures are rough relative costs of the real operations, not measurements.
/// </summary>
public static class HypervisorCosts
{
    /// <summary>Every entry into the hypervisor: an exception, interrupt or int 0x82 (a ring transition and back).</summary>
    public const ulong Trap = 40;
    /// <summary>Dispatching and running one hypercall (on top of the trap), and each entry of a multicall.</summary>
    public const ulong Hypercall = 60;
    /// <summary>Each present page-table entry validated or given its references (pin, mmu_update, update_va_mapping).</summary>
    public const ulong ValidatedEntry = 2;
    /// <summary>Building a bounce frame on the guest stack (exception reflection or event upcall).</summary>
    public const ulong Bounce = 30;
}
