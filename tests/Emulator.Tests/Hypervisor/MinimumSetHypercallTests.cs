using Emulator.Core.Hypervisor;
using CpuCore = Emulator.Core.Cpu.Cpu;
using static Emulator.Core.Hypervisor.XenAbi;

namespace Emulator.Tests.Hypervisor;

/// <summary>
/// Every hypercall of XEN-ABI.md's minimum set, called through the dispatcher on a freshly built
/// domain (paging on, the bootstrap tables loaded): a success path and the error paths with the
/// values real Xen returns. Arguments live in guest memory at <see cref="Area"/> (mapped read-write).
/// </summary>
public sealed class MinimumSetHypercallTests
{
    private const ulong P = 1, RW = 2, A = 0x20, PCD = 0x10;
    /// <summary>Free read-write guest memory inside the bootstrap mapping (2-4 MiB).</summary>
    private const uint Area = 0x200000;
    private const uint Hole = HypervisorVirtStart, Unmapped = 0x40000000;

    private readonly PvGuest _g = new(a => a.hlt());
    private XenHypervisor Hv => _g.Hv;
    private CpuCore Cpu => _g.Machine.Cpu;

    private int Call(int nr, uint a1 = 0, uint a2 = 0, uint a3 = 0, uint a4 = 0, uint a5 = 0) =>
        Hv.Dispatch((uint)nr, a1, a2, a3, a4, a5, inMulticall: false);

    private void Put(uint va, params uint[] words)
    {
        for (int i = 0; i < words.Length; i++) Assert.True(Hv.WriteGuest32(va + (uint)i * 4, words[i]));
    }

    private void Put64(uint va, ulong value) => Put(va, (uint)value, (uint)(value >> 32));

    private uint Get(uint va)
    {
        Assert.True(Hv.ReadGuest32(va, out uint v));
        return v;
    }

    private uint PendingWord(uint port) => Hv.Memory.Read32(Hv.SharedInfo + SiEvtchnPending + port / 32 * 4);
    private bool Pending(uint port) => (PendingWord(port) & (1u << (int)(port % 32))) != 0;

    // ---- set_trap_table (0) -------------------------------------------------------------------

    [Fact]
    public void SetTrapTableLoadsClearsAndRefusesBadTables()
    {
        Put(Area, 0x000Eu | ((uint)FlatRing1Cs << 16), 0x101000, 0, 0);       // {14, flags 0, cs, handler}, then the end
        Assert.Equal(0, Call(SetTrapTable, Area));
        Assert.Equal(0, Call(SetTrapTable, 0));                         // NULL clears the table
        Assert.Equal(-EFAULT, Call(SetTrapTable, Hole));
        Assert.Equal(-EFAULT, Call(SetTrapTable, Unmapped));
    }

    // ---- mmu_update (1) ---------------------------------------------------------------------------

    [Fact]
    public void MmuUpdateChecksEveryEntryAndReportsHowManyWereDone()
    {
        var (l1, ma) = _g.L1EntryOf(PvGuest.Scratch);
        uint g = _g.FreeFrame(0), done = Area + 0x100;
        Put64(Area, ma); Put64(Area + 8, ((ulong)g << 12) | P | RW | A);
        Put64(Area + 16, ma); Put64(Area + 24, ((ulong)l1 << 12) | P | RW | A);   // the L1 itself, writable
        Assert.Equal(-EBUSY, Call(MmuUpdate, Area, 2, done, DomidSelf));
        Assert.Equal(1u, Get(done));                                            // the first entry was done
        Assert.Equal(((ulong)g << 12) | P | RW | A, Hv.Memory.Read64(ma));
        Assert.Equal(PageType.Writable, Hv.Mmu.TypeOf(g));

        Put64(Area + 8, ((ulong)XenMachineLayout.GdtFrame << 12) | P | A);     // the hypervisor's frame
        Assert.Equal(-EINVAL, Call(MmuUpdate, Area, 1, 0, DomidSelf));
        Put64(Area + 8, ((ulong)(Hv.Mmu.FrameCount + 9) << 12) | P | A);      // not RAM: I/O memory
        Assert.Equal(-EPERM, Call(MmuUpdate, Area, 1, 0, DomidSelf));
        Put64(Area + 8, ((ulong)g << 12) | P | RW | A | PCD);
        Assert.Equal(-EINVAL, Call(MmuUpdate, Area, 1, 0, DomidSelf));
        Put64(Area, ma | 5);
        Assert.Equal(-ENOSYS, Call(MmuUpdate, Area, 1, 0, DomidSelf));         // commands 4-7
        Assert.Equal(-ESRCH, Call(MmuUpdate, Area, 1, 0, 7));                  // another domain
        Assert.Equal(-EFAULT, Call(MmuUpdate, Hole, 1, 0, DomidSelf));
        Assert.Equal(-EFAULT, Call(MmuUpdate, Unmapped, 1, 0, DomidSelf));
        Put64(Area, ma); Put64(Area + 8, ((ulong)g << 12) | P | A);
        Assert.Equal(-EFAULT, Call(MmuUpdate, Area, 1, Hole, DomidSelf));      // *done unwritable
        Assert.Equal(0, Call(MmuUpdate, Area, 0, done, DomidSelf));
        Assert.Equal(0u, Get(done));
    }

    [Fact]
    public void MachphysUpdateIsForFramesTheDomainOwnsSharedInfoIncluded()
    {
        uint own = _g.MfnOf(PvGuest.Scratch);
        Put64(Area, ((ulong)own << 12) | 1); Put64(Area + 8, 0x1234);
        Assert.Equal(0, Call(MmuUpdate, Area, 1, 0, DomidSelf));
        Assert.Equal(0x1234u, Hv.Memory.Read32(Hv.Layout.M2pEntryAddress(own)));
        // shared_info is Xen's but shared with the domain: Xen's get_page succeeds on it.
        Put64(Area, ((ulong)XenMachineLayout.SharedInfoFrame << 12) | 1); Put64(Area + 8, 0x77);
        Assert.Equal(0, Call(MmuUpdate, Area, 1, 0, DomidSelf));
        Assert.Equal(0x77u, Hv.Memory.Read32(Hv.Layout.M2pEntryAddress(XenMachineLayout.SharedInfoFrame)));
        foreach (ulong foreign in new ulong[] { 0, XenMachineLayout.GdtFrame, Hv.Mmu.FrameCount + 1ul })
        {
            Put64(Area, (foreign << 12) | 1);
            Assert.Equal(-EINVAL, Call(MmuUpdate, Area, 1, 0, DomidSelf));
        }
        Assert.Equal(0xFFFFFFFFu, Hv.Memory.Read32(Hv.Layout.M2pEntryAddress(XenMachineLayout.GdtFrame)));
    }

    [Fact]
    public void TheL3SlotsFromThreeUpAndXensL2SlotsAreNotTheGuests()
    {
        uint l3 = _g.Info.L3Mfn;
        ulong slot3 = Hv.Memory.Read64((l3 << 12) + 24);
        uint l2xen = (uint)((slot3 & PvMmu.AddressMask) >> 12);
        Put64(Area, (l3 << 12) + 24); Put64(Area + 8, slot3);                  // even the same value
        Assert.Equal(-EINVAL, Call(MmuUpdate, Area, 1, 0, DomidSelf));
        Put64(Area, (l3 << 12) + 32); Put64(Area + 8, 0);
        Assert.Equal(-EINVAL, Call(MmuUpdate, Area, 1, 0, DomidSelf));
        ulong slot0 = Hv.Memory.Read64(l3 << 12);
        Put64(Area, l3 << 12); Put64(Area + 8, slot0 | RW);                    // RW is reserved in a PDPTE
        Assert.Equal(-EINVAL, Call(MmuUpdate, Area, 1, 0, DomidSelf));
        ulong xenSlot = Hv.Memory.Read64((l2xen << 12) + PvMmu.XenL2FirstSlot * 8);
        Put64(Area, (l2xen << 12) + PvMmu.XenL2FirstSlot * 8); Put64(Area + 8, 0);
        Assert.Equal(-EPERM, Call(MmuUpdate, Area, 1, 0, DomidSelf));          // Xen's mod_l2_entry
        Assert.Equal(xenSlot, Hv.Memory.Read64((l2xen << 12) + PvMmu.XenL2FirstSlot * 8));
        Assert.Empty(PvMmuAuditor.Audit(Hv));
    }

    [Fact]
    public void ALongMmuUpdateIsContinuedAndItsDoneCountAccumulates()
    {
        uint target = 0x300000, done = Area + 0x10000 - 4;
        ulong targetMa = (ulong)_g.MfnOf(target) << 12;
        for (uint i = 0; i < 1100; i++) { Put64(Area + i * 16, targetMa + i % 512 * 8); Put64(Area + i * 16 + 8, i); }
        Cpu.StartEip = 0x101234;
        int rc = Call(MmuUpdate, Area, 1100, done, DomidSelf);
        Assert.Equal(MmuUpdate, rc);                                            // EAX = the number, to re-enter
        Assert.Equal(0x101234u, Cpu.Eip);                                       // back on the int $0x82
        Assert.Equal(Area + 1024 * 16, Cpu.Regs[CpuCore.EBX]);
        Assert.Equal(76u | XenHypervisor.MmuUpdatePreempted, Cpu.Regs[CpuCore.ECX]);
        Assert.Equal(done, Cpu.Regs[CpuCore.EDX]);
        Assert.Equal(1024u, Get(done));
        Assert.Equal(1023u, Get(target + 511 * 8));                             // entry 1023 ran, 1024 not yet
        rc = Call(MmuUpdate, Cpu.Regs[CpuCore.EBX], Cpu.Regs[CpuCore.ECX], done, DomidSelf);
        Assert.Equal(0, rc);
        Assert.Equal(1100u, Get(done));
        Assert.Equal(1099u, Get(target + 75 * 8));
    }

    // ---- stack_switch (3), set_callbacks (4), callback_op (30) ---------------------------------

    [Fact]
    public void StackSwitchAndCallbacksAreAccepted()
    {
        Assert.Equal(0, Call(StackSwitch, FlatRing1Ds, 0x180000));
        Assert.Equal(0, Call(SetCallbacks, FlatRing1Cs, 0x101000, FlatRing1Cs, 0x101100));
        Put(Area, 0, FlatRing1Cs, 0x101000);                                    // {type event, flags}, {cs, eip}
        Assert.Equal(0, Call(CallbackOp, 0, Area));
        Assert.Equal(0, Call(CallbackOp, 1, Area));                             // unregister
        Put(Area, 7, FlatRing1Cs, 0x101000);                                    // syscall32: not for PV32 here
        Assert.Equal(-EINVAL, Call(CallbackOp, 0, Area));
        Assert.Equal(-ENOSYS, Call(CallbackOp, 2, Area));
        Assert.Equal(-EFAULT, Call(CallbackOp, 0, Hole));
    }

    // ---- update_va_mapping (14) ---------------------------------------------------------------

    [Fact]
    public void UpdateVaMappingChecksTheEntryThenFlushes()
    {
        uint va = PvGuest.Scratch, mfn = _g.MfnOf(va), g = _g.FreeFrame(0);
        var (l1, ma) = _g.L1EntryOf(va);
        ulong val = ((ulong)g << 12) | P | RW | A;
        Assert.Equal(0, Call(UpdateVaMapping, va, (uint)val, 0, 2));
        Assert.Equal(val, Hv.Memory.Read64(ma));
        Assert.Equal(-EBUSY, Call(UpdateVaMapping, va, (l1 << 12) | 0x23, 0, 0));
        Assert.Equal(-EINVAL, Call(UpdateVaMapping, va, (XenMachineLayout.GdtFrame << 12) | 0x21, 0, 0));
        Assert.Equal(-EINVAL, Call(UpdateVaMapping, Hole, (mfn << 12) | 0x21, 0, 0));
        Assert.Equal(-EINVAL, Call(UpdateVaMapping, Unmapped, (mfn << 12) | 0x21, 0, 0)); // no L1 maps it
        // Flush type 3 flushes nothing and is no error (Xen's switch has no case for it).
        Assert.Equal(0, Call(UpdateVaMapping, va, (mfn << 12) | 0x23, 0, 3));
        // An unreadable vCPU bitmap: -EFAULT, after the entry was written (as in Xen).
        Assert.Equal(-EFAULT, Call(UpdateVaMapping, va, (g << 12) | 0x23, 0, Hole | 1));
        Assert.Equal(((ulong)g << 12) | 0x23, Hv.Memory.Read64(ma));
        // Without a flush the bitmap is not read.
        Assert.Equal(0, Call(UpdateVaMapping, va, (mfn << 12) | 0x23, 0, Hole));
        Assert.Equal(0, Call(UpdateVaMapping, va, (mfn << 12) | 0x23, 0, 4 | 1)); // UVMF_ALL
    }

    // ---- set_timer_op (15), vcpu_op (24) --------------------------------------------------------

    private uint BindTimer()
    {
        Put(Area, (uint)VirqTimer, 0, 0);
        Assert.Equal(0, Call(EventChannelOp, 1, Area));
        return Get(Area + 8);
    }

    private void Advance(ulong ticks)
    {
        _g.Machine.Clock.Now += ticks;
        _g.Machine.Clock.RunDue();
    }

    [Fact]
    public void SetTimerOpFiresVirqTimerAtTheAbsoluteTime()
    {
        uint port = BindTimer();
        ulong at = Hv.SystemTimeNs + 1_000_000;                                 // 1 ms
        Assert.Equal(0, Call(SetTimerOp, (uint)at, (uint)(at >> 32)));
        Advance(50_000);
        Assert.False(Pending(port));
        Advance(60_000);
        Assert.True(Pending(port));
    }

    [Fact]
    public void SetTimerOpTakesATimeOverTwoToTheFiftyAheadAsAWrapAndFiresItIn100Ms()
    {
        uint port = BindTimer();
        ulong far = 1ul << 62;                                                   // Xen's do_set_timer_op workaround
        Assert.Equal(0, Call(SetTimerOp, (uint)far, (uint)(far >> 32)));
        Advance(9_000_000);                                                     // 90 ms
        Assert.False(Pending(port));
        Advance(1_100_000);                                                     // 101 ms
        Assert.True(Pending(port));
    }

    [Fact]
    public void SetTimerOpWithANegativeTimeFiresAtOnceAndZeroCancels()
    {
        uint port = BindTimer();
        Assert.Equal(0, Call(SetTimerOp, 0xFFFFFFFF, 0xFFFFFFFF));             // s_time_t -1: already past
        Advance(1);
        Assert.True(Pending(port));
        Put(Area, port);
        Assert.Equal(0, Call(EventChannelOp, 3, Area));                        // close (clears the bit)
        port = BindTimer();
        ulong at = Hv.SystemTimeNs + 1_000;
        Assert.Equal(0, Call(SetTimerOp, (uint)at, (uint)(at >> 32)));
        Assert.Equal(0, Call(SetTimerOp, 0, 0));
        Advance(1_000);
        Assert.False(Pending(port));
    }

    [Fact]
    public void VcpuOpIsUpAndTheSingleshotTimer()
    {
        Assert.Equal(1, Call(VcpuOp, 3, 0));                                    // is_up
        Assert.Equal(-ENOENT, Call(VcpuOp, 3, 1));                             // no vCPU 1
        Advance(100);
        Put64(Area, 5); Put(Area + 8, 1);                                       // a past time with VCPU_SSHOTTMR_future
        Assert.Equal(-ETIME, Call(VcpuOp, 8, 0, Area));
        uint port = BindTimer();
        ulong at = Hv.SystemTimeNs + 2_000;
        Put64(Area, at); Put(Area + 8, 1);
        Assert.Equal(0, Call(VcpuOp, 8, 0, Area));
        Advance(300);
        Assert.True(Pending(port));
        Assert.Equal(0, Call(VcpuOp, 9, 0));                                    // stop_singleshot_timer
        Assert.Equal(-EFAULT, Call(VcpuOp, 8, 0, Hole));
        Assert.Equal(-ENOSYS, Call(VcpuOp, 0, 0, Area));                        // initialise: not offered
    }

    // ---- xen_version (17), console_io (18), vm_assist (21) ---------------------------------------

    [Fact]
    public void XenVersionAnswersEveryCommandAndRefusesBadBuffers()
    {
        Assert.Equal((int)XenAbi.Version, Call(XenVersion, 0));
        Assert.Equal(0, Call(XenVersion, 1, Area));
        Assert.Equal(0x2d302eu, Get(Area) & 0xFFFFFF);                           // ".0-emu"
        Assert.Equal(0, Call(XenVersion, 3, Area));
        Assert.Equal(0x2d6e6578u, Get(Area));                                   // "xen-3.0-x86_32p"
        Assert.Equal(0, Call(XenVersion, 5, Area));
        Assert.Equal(HypervisorVirtStart, Get(Area));
        Put(Area, 0, 0);
        Assert.Equal(0, Call(XenVersion, 6, Area));
        Assert.Equal(1u << 5, Get(Area + 4));                                   // mmu_pt_update_preserve_ad
        Assert.Equal(4096, Call(XenVersion, 7));
        Assert.Equal(-EFAULT, Call(XenVersion, 1, Hole));
        Assert.Equal(-EFAULT, Call(XenVersion, 2, _g.Info.PageTablesVa));     // a read-only page
        Assert.Equal(-EFAULT, Call(XenVersion, 6, Unmapped));
        Assert.Equal(-ENOSYS, Call(XenVersion, 11, Area));
    }

    [Fact]
    public void ConsoleIoWritesToTheConsole()
    {
        Assert.True(Hv.WriteGuest(Area, "hostile\n"u8));
        Assert.Equal(0, Call(ConsoleIo, 0, 8, Area));
        Assert.Equal("hostile\n", _g.ConsoleText);
        Assert.Equal(0, Call(ConsoleIo, 1, 16, Area));                          // read: no input
        Assert.Equal(-EFAULT, Call(ConsoleIo, 0, 16, Hole - 8));               // runs into the hole
        Assert.Equal(-EFAULT, Call(ConsoleIo, 0, 1, Unmapped));
        Assert.Equal(-ENOSYS, Call(ConsoleIo, 2, 1, Area));
    }

    [Fact]
    public void ALongConsoleWriteIsContinued()
    {
        const uint count = 300_000;
        Assert.Equal(ConsoleIo, Call(ConsoleIo, 0, count, Area));
        Assert.Equal(XenHypervisor.PreemptUnits * 256, _g.Console.Length);
        Assert.Equal(count - XenHypervisor.PreemptUnits * 256u, Cpu.Regs[CpuCore.ECX]);
        Assert.Equal(Area + XenHypervisor.PreemptUnits * 256u, Cpu.Regs[CpuCore.EDX]);
        Assert.Equal(0, Call(ConsoleIo, Cpu.Regs[CpuCore.EBX], Cpu.Regs[CpuCore.ECX], Cpu.Regs[CpuCore.EDX]));
        Assert.Equal(count, _g.Console.Length);
    }

    [Fact]
    public void VmAssistOffersAllButWritablePagetables()
    {
        Assert.Equal(0, Call(VmAssist, 0, 0));                                  // enable 4gb_segments
        Assert.Equal(0, Call(VmAssist, 1, 3));                                  // disable pae_extended_cr3
        Assert.Equal(-EINVAL, Call(VmAssist, 0, 2));                            // writable_pagetables: not offered
        Assert.Equal(-EINVAL, Call(VmAssist, 0, 99));
        Assert.Equal(-ENOSYS, Call(VmAssist, 2, 0));
    }

    // ---- iret (23) --------------------------------------------------------------------------------

    [Fact]
    public void IretOnlyThroughItsOwnTrap()
    {
        Assert.Equal(-EINVAL, Call(Iret));                                      // not through the dispatcher (multicall)
        Put(Area, Iret);
        Assert.Equal(0, Call(Multicall, Area, 1));
        Assert.Equal(unchecked((uint)-EINVAL), Get(Area + 4));
    }

    // ---- mmuext_op (26) ---------------------------------------------------------------------------

    [Fact]
    public void MmuextOpPinsUnpinsLoadsAndFlushes()
    {
        uint f = _g.FreeFrame(0), done = Area + 0x100;
        Put(Area, 0, f, 0, 0, f, 0);                                            // PIN_L1 f, PIN_L1 f again
        Assert.Equal(-EINVAL, Call(MmuextOp, Area, 2, done, DomidSelf));
        Assert.Equal(1u, Get(done));
        Assert.True(Hv.Mmu.IsPinned(f));
        Put(Area, 4, f, 0, 4, f, 0);                                            // UNPIN twice
        Assert.Equal(-EINVAL, Call(MmuextOp, Area, 2, done, DomidSelf));
        Assert.Equal(1u, Get(done));
        Assert.False(Hv.Mmu.IsPinned(f));
        Put(Area, 3, f, 0);                                                     // PIN_L4: ignored for PV32
        Assert.Equal(0, Call(MmuextOp, Area, 1, 0, DomidSelf));
        Put(Area, 5, _g.MfnOf(PvGuest.Scratch), 0);                             // NEW_BASEPTR on a writable frame
        Assert.Equal(-EINVAL, Call(MmuextOp, Area, 1, 0, DomidSelf));
        Put(Area, 5, _g.Info.L3Mfn, 0, 6, 0, 0, 7, PvGuest.Scratch, 0, 10, 0, 0, 11, 0, 0);
        Assert.Equal(0, Call(MmuextOp, Area, 5, 0, DomidSelf));                 // base again, flushes, invlpg
        Put(Area, 8, 0, Hole);                                                  // TLB_FLUSH_MULTI, bitmap in the hole
        Assert.Equal(-EFAULT, Call(MmuextOp, Area, 1, 0, DomidSelf));
        Put(Area, 12, 0, 0);
        Assert.Equal(-EPERM, Call(MmuextOp, Area, 1, 0, DomidSelf));            // FLUSH_CACHE: no permission
        Put(Area, 19, f, 0);
        Assert.Equal(-EOPNOTSUPP, Call(MmuextOp, Area, 1, 0, DomidSelf));       // MARK_SUPER
        Put(Area, 14, 0, 0);
        Assert.Equal(-ENOSYS, Call(MmuextOp, Area, 1, 0, DomidSelf));
        Put(Area, 0, 0, 0);                                                      // PIN_L1 of the hypervisor's frame 0
        Assert.Equal(-EINVAL, Call(MmuextOp, Area, 1, 0, DomidSelf));
        Put(Area, 1, 0x7FFFFFFF, 0);                                             // beyond RAM
        Assert.Equal(-EINVAL, Call(MmuextOp, Area, 1, 0, DomidSelf));
        Assert.Equal(-ESRCH, Call(MmuextOp, Area, 1, 0, 3));
        Assert.Equal(-EFAULT, Call(MmuextOp, Hole, 1, 0, DomidSelf));
        Assert.Empty(PvMmuAuditor.Audit(Hv));
    }

    // ---- sched_op (29) ------------------------------------------------------------------------------

    [Fact]
    public void SchedOpYieldAndShutdown()
    {
        Assert.Equal(0, Call(SchedOp, 0));                                       // yield
        Assert.Equal(-EFAULT, Call(SchedOp, 2, Hole));                           // shutdown, reason unreadable
        Put(Area, 9);
        Assert.Equal(-EINVAL, Call(SchedOp, 2, Area));                           // no such reason
        Assert.Equal(-ENOSYS, Call(SchedOp, 99));
        Assert.False(Hv.DomainDead);
        Put(Area, 0);
        Assert.Equal(0, Call(SchedOp, 2, Area));
        Assert.True(Hv.DomainDead);
    }

    // ---- event_channel_op (32) --------------------------------------------------------------------

    [Fact]
    public void EventChannelOpBindsSendsUnmasksAndCloses()
    {
        uint port = BindTimer();
        Assert.Equal(1u, port);                                                  // port 0 is never handed out
        Put(Area, (uint)VirqTimer, 0, 0);
        Assert.Equal(-EEXIST, Call(EventChannelOp, 1, Area));
        Put(Area, (uint)NrVirqs, 0, 0);
        Assert.Equal(-EINVAL, Call(EventChannelOp, 1, Area));
        Put(Area, 1, 1, 0);
        Assert.Equal(-ENOENT, Call(EventChannelOp, 1, Area));                   // vCPU 1
        Put(Area, port);
        Assert.Equal(-EINVAL, Call(EventChannelOp, 4, Area));                   // a VIRQ port is sent by Xen only
        Assert.Equal(0, Call(EventChannelOp, 9, Area));                          // unmask
        Assert.Equal(0, Call(EventChannelOp, 3, Area));                          // close
        Assert.Equal(-EINVAL, Call(EventChannelOp, 3, Area));
        Assert.Equal(-EINVAL, Call(EventChannelOp, 9, Area));
        Put(Area, 0);
        Assert.Equal(-EINVAL, Call(EventChannelOp, 3, Area));                   // port 0
        Put(Area, DomidSelf | (5u << 16), 0);
        Assert.Equal(-ESRCH, Call(EventChannelOp, 6, Area));                    // alloc_unbound for domain 5
        Put(Area, 0, 0);
        Assert.Equal(-EFAULT, Call(EventChannelOp, 7, Hole));
        Assert.Equal(-EFAULT, Call(EventChannelOp, 3, Unmapped));
        Assert.Equal(-ENOSYS, Call(EventChannelOp, 13, Area));
    }

    [Fact]
    public void EveryPortCanBeTakenOnceThenENospc()
    {
        int taken = 0;
        while (true)
        {
            Put(Area, DomidSelf | ((uint)DomidSelf << 16), 0);
            int rc = Call(EventChannelOp, 6, Area);
            if (rc != 0) { Assert.Equal(-ENOSPC, rc); break; }
            Assert.Equal((uint)taken + 1, Get(Area + 4));
            taken++;
        }
        Assert.Equal(NrEventChannels - 1, taken);
    }

    [Fact]
    public void ClosingAPortClearsItsPendingBit()
    {
        Put(Area, 0, 0);
        Assert.Equal(0, Call(EventChannelOp, 7, Area));                          // bind_ipi
        uint port = Get(Area + 4);
        Put(Area, port);
        Assert.Equal(0, Call(EventChannelOp, 4, Area));                          // send
        Assert.True(Pending(port));
        Assert.Equal(0, Call(EventChannelOp, 3, Area));
        Assert.False(Pending(port));                                             // Xen's free_evtchn clears it
        Put(Area, 0, 0);
        Assert.Equal(0, Call(EventChannelOp, 7, Area));
        Assert.Equal(port, Get(Area + 4));                                       // the same port, bound again, quiet
        Assert.False(Pending(port));
    }

    // ---- multicall (13) ---------------------------------------------------------------------------

    [Fact]
    public void MulticallStoresEachResultAndRefusesNestingAndBadLists()
    {
        Put(Area, XenVersion, 7, 0, 0, 0, 0, 0, 0);
        Put(Area + 32, Multicall, 7, Area, 1, 0, 0, 0, 0);
        Put(Area + 64, 99, 7, 0, 0, 0, 0, 0, 0);
        Assert.Equal(0, Call(Multicall, Area, 3));
        Assert.Equal(XenAbi.Version, Get(Area + 4));
        Assert.Equal(unchecked((uint)-EINVAL), Get(Area + 36));
        Assert.Equal(unchecked((uint)-ENOSYS), Get(Area + 68));
        Assert.Equal(-EFAULT, Call(Multicall, Hole, 1));
        Assert.Equal(-EFAULT, Call(Multicall, Unmapped, 1));
        Assert.Equal(0, Call(Multicall, Area, 0));
    }

    [Fact]
    public void ALongMulticallIsContinuedFromTheFirstEntryNotDone()
    {
        for (uint i = 0; i < 1500; i++) Put(Area + i * 32, XenVersion, 7);
        Cpu.StartEip = 0x101000;
        Assert.Equal(Multicall, Call(Multicall, Area, 1500));
        Assert.Equal(0x101000u, Cpu.Eip);
        Assert.Equal(Area + 1024 * 32, Cpu.Regs[CpuCore.EBX]);
        Assert.Equal(476u, Cpu.Regs[CpuCore.ECX]);
        Assert.Equal(XenAbi.Version, Get(Area + 1023 * 32 + 4));
        Assert.Equal(7u, Get(Area + 1024 * 32 + 4));
        Assert.Equal(0, Call(Multicall, Cpu.Regs[CpuCore.EBX], Cpu.Regs[CpuCore.ECX]));
        Assert.Equal(XenAbi.Version, Get(Area + 1499 * 32 + 4));
    }

    [Fact]
    public void AnMmuUpdatePreemptedInsideAMulticallRewritesItsEntry()
    {
        uint reqs = 0x300000, done = Area + 0x1000;
        ulong targetMa = (ulong)_g.MfnOf(0x380000) << 12;
        for (uint i = 0; i < 1030; i++) { Put64(reqs + i * 16, targetMa + i % 512 * 8); Put64(reqs + i * 16 + 8, i); }
        Put(Area, XenVersion, 7, 0, 0, 0, 0, 0, 0);
        Put(Area + 32, MmuUpdate, 7, reqs, 1030, done, DomidSelf, 0, 0);
        Assert.Equal(Multicall, Call(Multicall, Area, 2));
        // The multicall continues at the mmu_update entry, whose arguments now say what remains. The two
        // multicall entries took a unit each of the trap's 1024, so 1022 updates were done.
        Assert.Equal(Area + 32, Cpu.Regs[CpuCore.EBX]);
        Assert.Equal(1u, Cpu.Regs[CpuCore.ECX]);
        Assert.Equal(reqs + 1022 * 16, Get(Area + 32 + 8));
        Assert.Equal(8u | XenHypervisor.MmuUpdatePreempted, Get(Area + 32 + 12));
        Assert.Equal(1022u, Get(done));
        Assert.Equal(7u, Get(Area + 32 + 4));                                    // no result yet
        Assert.Equal(0, Call(Multicall, Cpu.Regs[CpuCore.EBX], Cpu.Regs[CpuCore.ECX]));
        Assert.Equal(0u, Get(Area + 32 + 4));
        Assert.Equal(1030u, Get(done));
        Assert.Equal(1029u, Get(0x380000 + 5 * 8));
    }

    // ---- memory_op (12) ---------------------------------------------------------------------------

    [Fact]
    public void MemoryOpReservationAndMemoryMap()
    {
        Put(Area, DomidSelf);
        Assert.Equal((int)PvGuest.DomainPages, Call(MemoryOp, 3, Area));        // current_reservation
        Assert.Equal((int)PvGuest.DomainPages, Call(MemoryOp, 4, Area));        // maximum_reservation
        Put(Area, 9);
        Assert.Equal(-ESRCH, Call(MemoryOp, 3, Area));
        Assert.Equal(-EFAULT, Call(MemoryOp, 3, Hole));
        Put(Area, 4, Area + 0x100);                                              // memory_map {nr_entries, buffer}
        Assert.Equal(0, Call(MemoryOp, 9, Area));
        Assert.Equal(1u, Get(Area));
        Assert.Equal(PvGuest.DomainPages << 12, Get(Area + 0x100 + 8));
        Assert.Equal(1u, Get(Area + 0x100 + 16));                                // E820_RAM
        Put(Area, 4, Hole);
        Assert.Equal(-EFAULT, Call(MemoryOp, 9, Area));
        Assert.Equal(-ENOSYS, Call(MemoryOp, 6, Area));                          // populate_physmap: not offered
    }

    [Fact]
    public void UnknownHypercallNumbersAreEnosys()
    {
        foreach (uint nr in new uint[] { 11, 42, 56, 127, 128, 0x10000, 0xFFFFFFFF })
            Assert.Equal(-ENOSYS, Hv.Dispatch(nr, 0, 0, 0, 0, 0, inMulticall: false));
    }
}
