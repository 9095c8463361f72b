using Emulator.Core.Machine;
using static Emulator.Core.Hypervisor.XenAbi;
using CpuCore = Emulator.Core.Cpu.Cpu;

namespace Emulator.Core.Hypervisor;

/// <summary>
/// The hypercall dispatcher (XEN-ABI.md §1-§2, §4-§5): EAX = number, EBX..EDI = arguments, the
/// result back in EAX. Numbers outside the implemented set return -ENOSYS (logged once per
/// number); bad guest pointers return -EFAULT. Every call raises one <see cref="HypercallEvent"/>.
/// </summary>
public sealed partial class XenHypervisor
{
    private bool _inHypercall;

    /// <summary>int 0x82 from ring 1: run the hypercall in EAX and return to the instruction after the int.</summary>
    private void Hypercall()
    {
        var c = _cpu;
        uint nr = c.Regs[CpuCore.EAX];
        uint a1 = c.Regs[CpuCore.EBX], a2 = c.Regs[CpuCore.ECX], a3 = c.Regs[CpuCore.EDX], a4 = c.Regs[CpuCore.ESI], a5 = c.Regs[CpuCore.EDI];
        _clock.Now += HypervisorCosts.Hypercall;
        if (nr == Iret)
        {
            Raise(nr, a1, a2, a3, a4, a5, 0, false);
            IretHypercall();
            return;
        }
        _inHypercall = true;
        int rc = Dispatch(nr, a1, a2, a3, a4, a5, inMulticall: false);
        _inHypercall = false;
        c.Regs[CpuCore.EAX] = _continued ? nr : (uint)rc;
        Raise(nr, a1, a2, a3, a4, a5, rc, false);
        UpdateTime();
        TryUpcall();
    }

    private void Raise(uint nr, uint a1, uint a2, uint a3, uint a4, uint a5, int rc, bool inMulticall)
    {
        var handler = HypercallCompleted;
        if (handler != null) handler(new HypercallEvent(_clock.Now, nr, a1, a2, a3, a4, a5, rc, inMulticall));
    }

    /// <summary>Runs one hypercall; the table of implemented numbers.</summary>
    public int Dispatch(uint nr, uint a1, uint a2, uint a3, uint a4, uint a5, bool inMulticall)
    {
        if (!inMulticall)
        {
            // A new trap: a fresh preemption budget.
            _workUnits = 0;
            _continued = false;
        }
        switch (nr)
        {
            case SetTrapTable: return SetTrapTableOp(a1);
            case MmuUpdate: return MmuUpdateOp(a1, a2, a3, a4);
            case StackSwitch: return StackSwitchOp(a1, a2);
            case SetCallbacks: return SetCallbacksOp(a1, a2, a3, a4);
            case FpuTaskswitch: _cpu.Cr0 = a1 != 0 ? _cpu.Cr0 | CpuCore.Cr0TS : _cpu.Cr0 & ~CpuCore.Cr0TS; return 0;
            case MemoryOp: return MemoryOpCall(a1, a2);
            case Multicall: return inMulticall ? -EINVAL : MulticallOp(a1, a2);
            case UpdateVaMapping: return UpdateVaMappingOp(a1, a2 | ((ulong)a3 << 32), a4);
            case XenAbi.SetTimerOp: return SetTimerOp(a1 | ((ulong)a2 << 32));
            case XenVersion: return XenVersionOp(a1, a2);
            case ConsoleIo: return ConsoleIoOp(a1, a2, a3);
            case VmAssist: return VmAssistOp(a1, a2);
            case Iret: return -EINVAL; // only through its own slot, never inside a multicall
            case VcpuOp: return VcpuOpCall(a1, a2, a3);
            case MmuextOp: return MmuextOpCall(a1, a2, a3, a4);
            case SchedOp: return SchedOpCall(a1, a2);
            case CallbackOp: return CallbackOpCall(a1, a2);
            case EventChannelOp: return EventChannelOpCall(a1, a2);
            default:
                LogOnce(nr, "hypercall {Nr} is not implemented: -ENOSYS", nr);
                return -ENOSYS;
        }
    }

    // ---- multicall -----------------------------------------------------------------------------

    /// <summary>
    /// multicall as Xen's do_multicall: the entries in order, each result stored in its entry. Preempted
    /// between entries, or inside one (whose entry then gets the arguments that remain), it continues
    /// from the first entry not finished.
    /// </summary>
    private int MulticallOp(uint list, uint count)
    {
        Span<byte> e = stackalloc byte[32];
        for (uint i = 0; i < count; i++)
        {
            uint entry = list + i * 32;
            if (i > 0 && PreemptDue()) return Continuation(Multicall, entry, count - i);
            _workUnits++;
            if (!ReadGuest(entry, e)) return -EFAULT;
            uint op = BitConverter.ToUInt32(e);
            uint a1 = BitConverter.ToUInt32(e[8..]), a2 = BitConverter.ToUInt32(e[12..]), a3 = BitConverter.ToUInt32(e[16..]),
                a4 = BitConverter.ToUInt32(e[20..]), a5 = BitConverter.ToUInt32(e[24..]);
            _clock.Now += HypervisorCosts.Hypercall;
            _inMulticall = true;
            int rc = Dispatch(op, a1, a2, a3, a4, a5, inMulticall: true);
            _inMulticall = false;
            Raise(op, a1, a2, a3, a4, a5, rc, true);
            if (_callPreempted)
            {
                _callPreempted = false;
                Span<byte> args = stackalloc byte[16];
                for (int k = 0; k < 4; k++) BitConverter.TryWriteBytes(args[(k * 4)..], _continuationArgs[k]);
                if (!WriteGuest(entry + 8, args)) return -EFAULT;
                return Continuation(Multicall, entry, count - i);
            }
            if (!WriteGuest32(entry + 4, (uint)rc)) return -EFAULT;
            if (DomainDead) break;
        }
        return 0;
    }

    // ---- MMU hypercalls ------------------------------------------------------------------------

    private static bool ForeignDomOk(uint fd) =>
        ((fd & 0xFFFF) == DomidSelf || (fd & 0xFFFF) == OwnDomid) && ((fd >> 16) == 0 || (fd >> 16) == OwnDomid + 1u);

    /// <summary>
    /// Reads back the count of a continued mmu_update / mmuext_op: the MMU_UPDATE_PREEMPTED bit, and
    /// the entries already done (from *done, as Xen does) that the final *done adds to.
    /// </summary>
    private uint ContinuedCount(ref uint count, uint done)
    {
        if ((count & MmuUpdatePreempted) == 0) return 0;
        count &= ~MmuUpdatePreempted;
        return done != 0 && ReadGuest32(done, out uint before) ? before : 0;
    }

    private int MmuUpdateOp(uint reqs, uint count, uint done, uint foreigndom)
    {
        if (!ForeignDomOk(foreigndom)) return -ESRCH;
        uint doneBefore = ContinuedCount(ref count, done);
        Span<byte> r = stackalloc byte[16];
        int rc = 0;
        uint i;
        for (i = 0; i < count; i++)
        {
            if (i > 0 && PreemptDue()) { rc = Continuation(MmuUpdate, reqs + i * 16, (count - i) | MmuUpdatePreempted, done, foreigndom); break; }
            _workUnits++;
            if (!ReadGuest(reqs + i * 16, r)) { rc = -EFAULT; break; }
            ulong ptr = BitConverter.ToUInt64(r), val = BitConverter.ToUInt64(r[8..]);
            rc = (ptr & 7) switch
            {
                0 or 3 => Mmu.UpdateEntry(ptr, val, preserveAd: false),
                2 => Mmu.UpdateEntry(ptr, val, preserveAd: true),
                1 => MachphysUpdate(ptr >> 12, val),
                _ => -ENOSYS,
            };
            if (rc < 0) break;
        }
        if (done != 0 && !WriteGuest32(done, doneBefore + i) && rc == 0) rc = -EFAULT;
        return rc;
    }

    /// <summary>
    /// MMU_MACHPHYS_UPDATE: the M2P entry of a frame the domain owns, shared_info included (Xen shares
    /// it with the guest). Xen's get_page_from_mfn failing on any other frame gives -EINVAL.
    /// </summary>
    private int MachphysUpdate(ulong mfn, ulong pfn)
    {
        if (mfn >= Layout.TotalFrames || Mmu.OwnerOf((uint)mfn) != FrameOwner.Domain)
            return -EINVAL;
        _mem.Write32(Layout.M2pEntryAddress((uint)mfn), (uint)pfn);
        return 0;
    }

    /// <summary>
    /// update_va_mapping as Xen's do_update_va_mapping: the entry first, then the flush. Flush type 3
    /// (like 0) flushes nothing; the vCPU bitmap (UVMF_MULTI) is read only by a flush, and an unreadable
    /// one gives -EFAULT after the entry was written. With one vCPU every target is local.
    /// </summary>
    private int UpdateVaMappingOp(uint va, ulong val, uint flags)
    {
        uint flush = flags & 3;
        uint who = flags & ~3u;
        int rc = Mmu.UpdateVaMapping(va, val);
        if (rc < 0 || flush is 0 or 3) return rc;
        if (who != 0 && who != 4 && !ReadGuest32(who, out _)) return -EFAULT;
        if (flush == 1) _cpu.Mmu.FlushAll();
        else _cpu.Mmu.FlushPage(va);
        return 0;
    }

    private int MmuextOpCall(uint ops, uint count, uint done, uint foreigndom)
    {
        if (!ForeignDomOk(foreigndom)) return -ESRCH;
        uint doneBefore = ContinuedCount(ref count, done);
        Span<byte> op = stackalloc byte[12];
        int rc = 0;
        uint i;
        for (i = 0; i < count; i++)
        {
            if (i > 0 && PreemptDue()) { rc = Continuation(MmuextOp, ops + i * 12, (count - i) | MmuUpdatePreempted, done, foreigndom); break; }
            _workUnits++;
            if (!ReadGuest(ops + i * 12, op)) { rc = -EFAULT; break; }
            uint cmd = BitConverter.ToUInt32(op), arg1 = BitConverter.ToUInt32(op[4..]), arg2 = BitConverter.ToUInt32(op[8..]);
            rc = cmd switch
            {
                0 => Mmu.Pin(arg1, PageType.L1),
                1 => Mmu.Pin(arg1, PageType.L2),
                2 => Mmu.Pin(arg1, PageType.L3),
                3 => 0, // PIN_L4_TABLE: ignored for PV32
                4 => Mmu.Unpin(arg1),
                5 => Mmu.NewBaseptr(arg1),
                6 or 10 => Flush(),
                8 => ReadGuest32(arg2, out _) ? Flush() : -EFAULT,
                7 or 11 => FlushPage(arg1),
                9 => ReadGuest32(arg2, out _) ? FlushPage(arg1) : -EFAULT,
                12 or 18 => -EPERM, // cache flushes need a permission a domU does not have
                13 => arg2 == 0 ? ClearLdt() : -ENOSYS, // only "no LDT" is supported
                19 or 20 => -EOPNOTSUPP,
                _ => -ENOSYS,
            };
            if (rc < 0) break;
        }
        if (done != 0 && !WriteGuest32(done, doneBefore + i) && rc == 0) rc = -EFAULT;
        return rc;
    }

    private int Flush() { _cpu.Mmu.FlushAll(); return 0; }
    private int FlushPage(uint va) { _cpu.Mmu.FlushPage(va); return 0; }
    private int ClearLdt() { _cpu.Ldtr = new Emulator.Core.Cpu.SegmentCache { Selector = 0, Usable = false }; return 0; }

    // ---- Information, console, scheduling ----------------------------------------------------

    private int XenVersionOp(uint cmd, uint arg)
    {
        switch (cmd)
        {
            case 0: return (int)XenAbi.Version;
            case 1: return WriteString(arg, ".0-emu", 16);
            case 2:
                {
                    Span<byte> info = stackalloc byte[144];
                    info.Clear();
                    System.Text.Encoding.ASCII.GetBytes("dotnet", info[..64]);
                    System.Text.Encoding.ASCII.GetBytes("emu", info.Slice(64, 16));
                    System.Text.Encoding.ASCII.GetBytes("localdomain", info.Slice(80, 32));
                    return WriteGuest(arg, info) ? 0 : -EFAULT;
                }
            case 3: return WriteString(arg, "xen-3.0-x86_32p", 1024);
            case 4: return WriteString(arg, "emulator", 64);
            case 5: return WriteGuest32(arg, HypervisorVirtStart) ? 0 : -EFAULT;
            case 6:
                {
                    if (!ReadGuest32(arg, out uint index)) return -EFAULT;
                    uint submap = index == 0 ? 1u << 5 : 0; // mmu_pt_update_preserve_ad
                    return WriteGuest32(arg + 4, submap) ? 0 : -EFAULT;
                }
            case 7: return 4096;
            case 8: return WriteString(arg, "", 16);
            case 9: return WriteString(arg, "", 1024);
            default: return -ENOSYS;
        }
    }

    /// <summary>Writes a NUL-padded string field of <paramref name="size"/> bytes.</summary>
    private int WriteString(uint va, string text, int size)
    {
        Span<byte> b = size <= 1024 ? stackalloc byte[size] : new byte[size];
        b.Clear();
        System.Text.Encoding.ASCII.GetBytes(text, b);
        return WriteGuest(va, b) ? 0 : -EFAULT;
    }

    /// <summary>
    /// console_io: write sends the bytes to the console the UART also writes to (our choice: a domU
    /// may write, XEN-ABI.md); read has no input and returns 0.
    /// </summary>
    private int ConsoleIoOp(uint cmd, uint count, uint buf)
    {
        if (cmd == 1) return 0;
        if (cmd != 0) return -ENOSYS;
        Span<byte> chunk = stackalloc byte[256];
        for (uint done = 0; done < count;)
        {
            // Xen preempts a long write too: re-entered with what remains.
            if (done > 0 && PreemptDue()) { _console?.Flush(); return Continuation(XenAbi.ConsoleIo, 0, count - done, buf + done); }
            _workUnits++;
            int n = (int)Math.Min(256u, count - done);
            if (!ReadGuest(buf + done, chunk[..n])) return -EFAULT;
            _console?.Write(chunk[..n]);
            done += (uint)n;
        }
        _console?.Flush();
        return 0;
    }

    /// <summary>vm_assist: 4gb_segments, 4gb_segments_notify and pae_extended_cr3 are accepted (no effect here); writable_pagetables is not offered.</summary>
    private static int VmAssistOp(uint cmd, uint type)
    {
        if (cmd > 1) return -ENOSYS;
        return type is 0 or 1 or 3 ? 0 : -EINVAL;
    }

    private int MemoryOpCall(uint cmd, uint arg)
    {
        switch (cmd & 0x3F)
        {
            case 2: return (int)Layout.TotalFrames; // maximum_ram_page
            case 3: // current_reservation
            case 4: // maximum_reservation
                {
                    Span<byte> b = stackalloc byte[2];
                    if (!ReadGuest(arg, b)) return -EFAULT;
                    return IsSelf(BitConverter.ToUInt16(b)) ? (int)NrPages : -ESRCH;
                }
            case 9: // memory_map {nr_entries, buffer}: one RAM entry covering the pseudo-physical space
                {
                    Span<byte> m = stackalloc byte[8];
                    if (!ReadGuest(arg, m)) return -EFAULT;
                    uint nr = BitConverter.ToUInt32(m), buffer = BitConverter.ToUInt32(m[4..]);
                    uint n = Math.Min(nr, 1u);
                    if (n == 1)
                    {
                        Span<byte> e = stackalloc byte[20];
                        BitConverter.TryWriteBytes(e, 0ul);
                        BitConverter.TryWriteBytes(e[8..], (ulong)NrPages << 12);
                        BitConverter.TryWriteBytes(e[16..], 1u); // E820_RAM
                        if (!WriteGuest(buffer, e)) return -EFAULT;
                    }
                    return WriteGuest32(arg, n) ? 0 : -EFAULT;
                }
            case 12: // machphys_mapping {v_start, v_end, max_mfn}
                {
                    Span<byte> m = stackalloc byte[12];
                    BitConverter.TryWriteBytes(m, XenMachineLayout.M2pVirt);
                    BitConverter.TryWriteBytes(m[4..], XenMachineLayout.M2pVirt + Layout.TotalFrames * 4);
                    BitConverter.TryWriteBytes(m[8..], Layout.TotalFrames - 1);
                    return WriteGuest(arg, m) ? 0 : -EFAULT;
                }
            default:
                LogOnce(0x10000 + (cmd & 0x3F), "memory_op command {Cmd} is not implemented: -ENOSYS", cmd & 0x3F);
                return -ENOSYS;
        }
    }

    private int VcpuOpCall(uint cmd, uint vcpu, uint arg)
    {
        if (vcpu != 0) return -ENOENT;
        switch (cmd)
        {
            case 3: return 1; // is_up
            case 8: // set_singleshot_timer {u64 timeout_abs_ns, u32 flags}
                {
                    Span<byte> b = stackalloc byte[12];
                    if (!ReadGuest(arg, b)) return -EFAULT;
                    ulong timeout = BitConverter.ToUInt64(b);
                    uint flags = BitConverter.ToUInt32(b[8..]);
                    if ((flags & 1) != 0 && timeout < SystemTimeNs) return -ETIME;
                    SetTimer(timeout == 0 ? 1 : timeout);
                    return 0;
                }
            case 9: SetTimer(0); return 0; // stop_singleshot_timer
            default: return -ENOSYS;
        }
    }

    private int SchedOpCall(uint cmd, uint arg)
    {
        switch (cmd)
        {
            case 0: return 0; // yield: the only vCPU keeps running
            case 1: // block: clears the upcall mask; returns at once if an event is pending, else idles until one is
                _mem.Write8(SharedInfo + SiUpcallMask, 0);
                if (_mem.Read8(SharedInfo + SiUpcallPending) == 0)
                {
                    _blocked = true;
                    _cpu.Halted = true;
                }
                return 0;
            case 2: // shutdown {reason}
                {
                    if (!ReadGuest32(arg, out uint reason)) return -EFAULT;
                    switch (reason)
                    {
                        case 0: Shutdown(MachineExit.PowerOff("xen: the domain shut down (poweroff)")); return 0;
                        case 3: Shutdown(MachineExit.Crash("xen: the domain shut down with reason crash")); return 0;
                        case 1: case 2: case 4: case 5:
                            string name = reason switch { 1 => "reboot", 2 => "suspend", 4 => "watchdog", _ => "soft_reset" };
                            Shutdown(MachineExit.Crash($"xen: the domain shut down with reason {name}, which this hypervisor does not resume"));
                            return 0;
                        default: return -EINVAL;
                    }
                }
            default: return -ENOSYS;
        }
    }
}
