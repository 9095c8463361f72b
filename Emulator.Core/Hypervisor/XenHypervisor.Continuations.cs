using CpuCore = Emulator.Core.Cpu.Cpu;

namespace Emulator.Core.Hypervisor;

/// <summary>
/// Hypercall preemption (XEN-ABI.md §1 "preemption", Xen's hypercall_create_continuation): a long
/// mmu_update, mmuext_op, multicall or console_io stops after <see cref="PreemptUnits"/> units of
/// work in one trap, and the guest's registers are rewritten so that it re-executes the int 0x82
/// with the arguments that remain (EAX = the hypercall number again, EIP back on the int). Xen's
/// check is time-based; ours counts units so runs stay deterministic. A call preempted inside a
/// multicall rewrites its multicall entry's arguments, and the multicall continues from that entry.
/// </summary>
public sealed partial class XenHypervisor
{
    /// <summary>Units of work (one mmu_update or mmuext_op entry, one multicall entry, 256 console bytes) one trap may do.</summary>
    public const int PreemptUnits = 1024;

    /// <summary>Set in the count argument of a continued mmu_update / mmuext_op (Xen's MMU_UPDATE_PREEMPTED).</summary>
    public const uint MmuUpdatePreempted = 0x80000000;

    private int _workUnits;
    private bool _continued, _inMulticall, _callPreempted;
    private readonly uint[] _continuationArgs = new uint[4];

    /// <summary>True when the work done in this trap calls for a continuation (callers ask only after some progress).</summary>
    private bool PreemptDue() => _workUnits >= PreemptUnits;

    /// <summary>
    /// Arranges for hypercall <paramref name="nr"/> to run again with new arguments and returns what
    /// EAX must hold meanwhile: the number itself. Inside a multicall the arguments go back into the
    /// entry instead (<see cref="MulticallOp"/> writes them).
    /// </summary>
    private int Continuation(uint nr, uint a1, uint a2, uint a3 = 0, uint a4 = 0)
    {
        if (_inMulticall)
        {
            _callPreempted = true;
            _continuationArgs[0] = a1; _continuationArgs[1] = a2; _continuationArgs[2] = a3; _continuationArgs[3] = a4;
            return (int)nr;
        }
        var c = _cpu;
        c.Regs[CpuCore.EBX] = a1;
        c.Regs[CpuCore.ECX] = a2;
        c.Regs[CpuCore.EDX] = a3;
        c.Regs[CpuCore.ESI] = a4;
        c.Eip = c.StartEip; // back onto the int $0x82 (Xen rewinds the instruction the same way)
        _continued = true;
        return (int)nr;
    }
}
