namespace Emulator.Core.Hypervisor;

/// <summary>Xen's numbers for the 32-bit PAE PV interface (../shared/XEN-ABI.md §1, §2, §5).</summary>
public static class XenAbi
{
    // Hypercall numbers (XEN-ABI.md §2).
    public const int SetTrapTable = 0, MmuUpdate = 1, SetGdt = 2, StackSwitch = 3, SetCallbacks = 4, FpuTaskswitch = 5,
        UpdateDescriptor = 10, MemoryOp = 12, Multicall = 13, UpdateVaMapping = 14, SetTimerOp = 15,
        XenVersion = 17, ConsoleIo = 18, VmAssist = 21, Iret = 23, VcpuOp = 24, MmuextOp = 26, SchedOp = 29,
        CallbackOp = 30, EventChannelOp = 32;

    /// <summary>Hypercall names by number, for events and logs ("hypercall_N" for unnamed numbers).</summary>
    /// <summary>
    /// A hypercall a user names: its name ("mmu_update") or number (decimal or 0x-hex); false when
    /// no hypercall of the ABI has that name or number.
    /// </summary>
    public static bool TryResolveHypercall(string what, out string name)
    {
        bool hex = what.StartsWith("0x", StringComparison.OrdinalIgnoreCase);
        if (hex ? uint.TryParse(what.AsSpan(2), System.Globalization.NumberStyles.AllowHexSpecifier, System.Globalization.CultureInfo.InvariantCulture, out uint n)
                : uint.TryParse(what, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out n))
            what = HypercallName(n);
        name = what;
        for (uint k = 0; k < 64; k++)
            if (HypercallName(k) == what) return true;
        return false;
    }

    public static string HypercallName(uint nr) => nr switch
    {
        0 => "set_trap_table", 1 => "mmu_update", 2 => "set_gdt", 3 => "stack_switch", 4 => "set_callbacks",
        5 => "fpu_taskswitch", 6 => "sched_op_compat", 7 => "platform_op", 8 => "set_debugreg", 9 => "get_debugreg",
        10 => "update_descriptor", 12 => "memory_op", 13 => "multicall", 14 => "update_va_mapping",
        15 => "set_timer_op", 16 => "event_channel_op_compat", 17 => "xen_version", 18 => "console_io",
        19 => "physdev_op_compat", 20 => "grant_table_op", 21 => "vm_assist", 22 => "update_va_mapping_otherdomain",
        23 => "iret", 24 => "vcpu_op", 25 => "set_segment_base", 26 => "mmuext_op", 27 => "xsm_op", 28 => "nmi_op",
        29 => "sched_op", 30 => "callback_op", 31 => "xenoprof_op", 32 => "event_channel_op", 33 => "physdev_op",
        34 => "hvm_op", 35 => "sysctl", 36 => "domctl", 37 => "kexec_op", 38 => "tmem_op", 39 => "argo_op",
        40 => "xenpmu_op", 41 => "dm_op", 42 => "hypfs_op",
        _ => "hypercall_" + nr,
    };

    // errno values (XEN-ABI.md §1); hypercalls return their negation.
    public const int EPERM = 1, ENOENT = 2, ESRCH = 3, EFAULT = 14, EBUSY = 16, EEXIST = 17, EINVAL = 22,
        ENOSPC = 28, ERANGE = 34, ENOSYS = 38, ETIME = 62, EOPNOTSUPP = 95;

    /// <summary>The version we report: 4.17 (xen_version(XENVER_version) and CPUID base+1).</summary>
    public const int VersionMajor = 4, VersionMinor = 17;
    public const uint Version = (VersionMajor << 16) | VersionMinor;

    // Flat selectors in the hypervisor's reserved GDT page (XEN-ABI.md §4, "PV32 entry state").
    public const ushort FlatRing1Cs = 0xe019, FlatRing1Ds = 0xe021, FlatRing3Cs = 0xe02b, FlatRing3Ds = 0xe033;

    /// <summary>The lowest hypervisor virtual address for PV32 (xen_version platform_parameters).</summary>
    public const uint HypervisorVirtStart = 0xF5800000;

    public const ushort DomidSelf = 0x7FF0;
    /// <summary>The domain id of the one guest domain (a domU: Xen numbers domUs from 1).</summary>
    public const ushort OwnDomid = 1;

    // start_info (XEN-ABI.md §4).
    public const string StartInfoMagic = "xen-3.0-x86_32p";
    public const int StartInfoSize = 1112;

    // shared_info offsets (32-bit layout) and vcpu_info[0] fields.
    public const uint SiUpcallPending = 0, SiUpcallMask = 1, SiPendingSel = 4, SiCr2 = 8, SiTime = 32,
        SiEvtchnPending = 2048, SiEvtchnMask = 2176, SiMaxPfn = 2316;

    // Hypercall vectors.
    public const byte HypercallVector = 0x82;

    // ELF note types (name "Xen").
    public const uint NoteEntry = 1, NoteHypercallPage = 2, NoteVirtBase = 3, NoteXenVersion = 5, NoteGuestOs = 6,
        NoteLoader = 8, NotePaeMode = 9, NoteFeatures = 10;

    public const int NrVirqs = 24, VirqTimer = 0;
    /// <summary>2-level event channels: 32 words of 32 bits for a 32-bit guest.</summary>
    public const int NrEventChannels = 1024;
}
