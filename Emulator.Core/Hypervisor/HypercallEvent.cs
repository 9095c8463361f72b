namespace Emulator.Core.Hypervisor;

/// <summary>
/// One completed hypercall, as the tracing work records it (DESIGN.md §8): the virtual time it was
/// made at, its number, its five argument registers (EBX, ECX, EDX, ESI, EDI), its result and
/// whether it ran inside a multicall. A value type, so raising it allocates nothing; the decoded
/// text is built only on request (<see cref="Describe"/>).
/// </summary>
public readonly record struct HypercallEvent(ulong Tick, uint Number, uint Arg1, uint Arg2, uint Arg3, uint Arg4, uint Arg5,
    int Result, bool InMulticall)
{
    public string Name => XenAbi.HypercallName(Number);

    /// <summary>"name(args) = result" with sub-command names decoded where the ABI has them.</summary>
    public string Describe()
    {
        string args = Number switch
        {
            XenAbi.MmuUpdate or XenAbi.MmuextOp => $"reqs=0x{Arg1:X8}, count={Arg2}, done=0x{Arg3:X8}, foreigndom=0x{Arg4:X}",
            XenAbi.UpdateVaMapping => $"va=0x{Arg1:X8}, pte=0x{((ulong)Arg3 << 32) | Arg2:X16}, flags=0x{Arg4:X}",
            XenAbi.SetTimerOp => $"timeout={((ulong)Arg2 << 32) | Arg1} ns",
            XenAbi.StackSwitch => $"ss=0x{Arg1:X4}, esp=0x{Arg2:X8}",
            XenAbi.SetCallbacks => $"event=0x{Arg1:X4}:0x{Arg2:X8}, failsafe=0x{Arg3:X4}:0x{Arg4:X8}",
            XenAbi.ConsoleIo => $"cmd={(Arg1 == 0 ? "write" : Arg1 == 1 ? "read" : Arg1.ToString())}, count={Arg2}, buf=0x{Arg3:X8}",
            XenAbi.SchedOp => $"cmd={SchedOpName(Arg1)}, arg=0x{Arg2:X8}",
            XenAbi.XenVersion or XenAbi.MemoryOp or XenAbi.EventChannelOp or XenAbi.VmAssist or XenAbi.CallbackOp
                => $"cmd={Arg1}, arg=0x{Arg2:X8}",
            XenAbi.VcpuOp => $"cmd={Arg1}, vcpu={Arg2}, arg=0x{Arg3:X8}",
            XenAbi.Multicall => $"list=0x{Arg1:X8}, nr={Arg2}",
            XenAbi.Iret => "",
            _ => $"0x{Arg1:X8}, 0x{Arg2:X8}, 0x{Arg3:X8}, 0x{Arg4:X8}, 0x{Arg5:X8}",
        };
        return $"{Name}({args}) = {Result}";
    }

    private static string SchedOpName(uint cmd) => cmd switch
    {
        0 => "yield", 1 => "block", 2 => "shutdown", 3 => "poll", _ => cmd.ToString(),
    };
}
