using Emulator.Core.Timing;
using Emulator.Core.Tracing;
using static Emulator.Core.Hypervisor.XenAbi;

namespace Emulator.Core.Hypervisor;

/// <summary>
/// Event channels (2-level ABI, XEN-ABI.md §4 shared_info and §5 event_channel_op: bind_virq, close,
/// send, status, alloc_unbound, bind_ipi, unmask), the upcall
/// through the event callback with evtchn_upcall_mask as the virtual interrupt flag, the
/// single-shot timer on virtual system time, and vcpu_time_info.
/// System time is virtual: nanoseconds = ticks × (10^9 / <see cref="VirtualClock.TicksPerSecond"/>).
/// </summary>
public sealed partial class XenHypervisor
{
    private enum PortState : byte { Free, Unbound, Virq, Ipi }

    private readonly PortState[] _ports = new PortState[NrEventChannels];
    private readonly byte[] _portVirq = new byte[NrEventChannels];
    private readonly int[] _virqPort = new int[NrVirqs];
    private VirtualClock.Handle? _timer;
    private readonly Action _onTimer;
    private bool _blocked;

    private const ulong NsPerTick = 1_000_000_000 / VirtualClock.TicksPerSecond;

    /// <summary>Virtual system time in nanoseconds since boot.</summary>
    public ulong SystemTimeNs => _clock.Now * NsPerTick;

    /// <summary>Rewrites vcpu_info[0].time (seqlock: version odd while updating).</summary>
    private void UpdateTime()
    {
        uint t = SharedInfo + SiTime;
        uint version = _mem.Read32(t);
        _mem.Write32(t, version | 1);
        _mem.Write64(t + 8, _cpu.Tsc);
        _mem.Write64(t + 16, SystemTimeNs);
        // ns = ((tsc delta << 4) * mul) >> 32 with mul = NsPerTick/16 in 32.32 fixed point.
        _mem.Write32(t + 24, (uint)(NsPerTick << 28));
        _mem.Write8(t + 28, 4);
        _mem.Write8(t + 29, 0);
        _mem.Write32(t, (version | 1) + 1);
    }

    // ---- Timer -----------------------------------------------------------------------------

    /// <summary>
    /// set_timer_op as Xen's do_set_timer_op: the time is a signed s_time_t (a "negative" one has
    /// wrapped and is past), and one more than 2^50 ns (~13 days) ahead is taken as a guest's jiffies
    /// wrap and moved to 100 ms from now.
    /// </summary>
    private int SetTimerOp(ulong ns)
    {
        long now = (long)SystemTimeNs;
        long offset = (long)ns - now;
        if (ns != 0 && offset > 0 && (offset >> 50) != 0) ns = (ulong)now + 100_000_000;
        SetTimer(ns);
        return 0;
    }

    /// <summary>
    /// Arms the single-shot timer at an absolute system time (0 cancels). Xen's timers expire at a
    /// signed s_time_t, so a time already past, or one with bit 63 set, fires at once.
    /// </summary>
    private void SetTimer(ulong ns)
    {
        _timer?.Cancel();
        _timer = null;
        if (ns == 0) return;
        if ((long)ns < 0) ns = SystemTimeNs;
        ulong at = ns / NsPerTick + (ns % NsPerTick != 0 ? 1ul : 0ul); // rounded up without overflowing
        _timer = _clock.ScheduleAt(at, _onTimer);
    }

    private void OnTimer()
    {
        _timer = null;
        SendVirq(VirqTimer);
    }

    private void SendVirq(int virq)
    {
        int port = _virqPort[virq];
        if (port != 0) SetPending(port);
    }

    // ---- Pending, masks and the upcall -----------------------------------------------------

    private void SetPending(int port)
    {
        uint word = SharedInfo + SiEvtchnPending + (uint)(port / 32) * 4;
        uint bit = 1u << (port % 32);
        uint pending = _mem.Read32(word);
        if ((pending & bit) != 0) return;
        _mem.Write32(word, pending | bit);
        if ((_mem.Read32(SharedInfo + SiEvtchnMask + (uint)(port / 32) * 4) & bit) != 0) return; // masked: latch only
        MarkSelector(port);
    }

    private void MarkSelector(int port)
    {
        uint sel = _mem.Read32(SharedInfo + SiPendingSel);
        _mem.Write32(SharedInfo + SiPendingSel, sel | (1u << (port / 32)));
        _mem.Write8(SharedInfo + SiUpcallPending, 1);
        if (_blocked)
        {
            _blocked = false;
            _cpu.Halted = false;
        }
        TryUpcall();
    }

    /// <summary>Delivers the event upcall if one is pending and the guest's virtual IF (mask == 0) allows it.</summary>
    private void TryUpcall()
    {
        if (DomainDead || _inHypercall || _eventEip == 0) return;
        if (_mem.Read8(SharedInfo + SiUpcallPending) == 0 || _mem.Read8(SharedInfo + SiUpcallMask) != 0) return;
        uint fromEip = _cpu.Eip;
        int fromCpl = _cpu.Cpl;
        if (!Bounce(_eventCs, _eventEip, false, 0, maskEvents: true))
            CrashDomain($"cannot deliver the event upcall to {_eventCs:X4}:{_eventEip:X8}");
        else if (_tracer is { Detailed: true } t)
            t.Emit(new UpcallEvent(_clock.Now, _eventEip, fromEip, fromCpl, _mem.Read32(SharedInfo + SiPendingSel)));
    }

    // ---- event_channel_op --------------------------------------------------------------------

    private int AllocatePort(PortState state)
    {
        for (int p = 1; p < NrEventChannels; p++)
            if (_ports[p] == PortState.Free) { _ports[p] = state; return p; }
        return -ENOSPC;
    }

    private bool ValidPort(uint port) => port > 0 && port < NrEventChannels && _ports[port] != PortState.Free;

    private int EventChannelOpCall(uint cmd, uint arg)
    {
        Span<byte> b = stackalloc byte[12];
        switch (cmd)
        {
            case 1: // bind_virq {virq, vcpu, OUT port}
                {
                    if (!ReadGuest(arg, b[..8])) return -EFAULT;
                    uint virq = BitConverter.ToUInt32(b), vcpu = BitConverter.ToUInt32(b[4..]);
                    if (virq >= NrVirqs) return -EINVAL;
                    if (vcpu != 0) return -ENOENT;
                    if (_virqPort[virq] != 0) return -EEXIST;
                    int port = AllocatePort(PortState.Virq);
                    if (port < 0) return port;
                    if (!WriteGuest32(arg + 8, (uint)port)) { _ports[port] = PortState.Free; return -EFAULT; }
                    _portVirq[port] = (byte)virq;
                    _virqPort[virq] = port;
                    return 0;
                }
            case 3: // close {port}
                {
                    if (!ReadGuest32(arg, out uint port)) return -EFAULT;
                    if (!ValidPort(port)) return -EINVAL;
                    if (_ports[port] == PortState.Virq) _virqPort[_portVirq[port]] = 0;
                    _ports[port] = PortState.Free;
                    // Xen's free_evtchn clears the pending bit, so a port bound again starts quiet.
                    uint pendingWord = SharedInfo + SiEvtchnPending + (port / 32) * 4;
                    _mem.Write32(pendingWord, _mem.Read32(pendingWord) & ~(1u << (int)(port % 32)));
                    return 0;
                }
            case 4: // send {port}
                {
                    if (!ReadGuest32(arg, out uint port)) return -EFAULT;
                    if (!ValidPort(port)) return -EINVAL;
                    switch (_ports[port])
                    {
                        case PortState.Ipi: SetPending((int)port); return 0;
                        case PortState.Unbound: return 0; // nobody is connected: the notification is dropped
                        default: return -EINVAL;          // a VIRQ is sent by the hypervisor only
                    }
                }
            case 5: // status {dom, port, OUT status, vcpu, union}
                {
                    Span<byte> st = stackalloc byte[24];
                    if (!ReadGuest(arg, st)) return -EFAULT;
                    if (!IsSelf(BitConverter.ToUInt16(st))) return -ESRCH;
                    uint port = BitConverter.ToUInt32(st[4..]);
                    if (port >= NrEventChannels) return -EINVAL; // port 0 is valid: reserved, reported closed
                    st[8..].Clear();
                    switch (_ports[port])
                    {
                        case PortState.Unbound:
                            BitConverter.TryWriteBytes(st[8..], 1u);
                            BitConverter.TryWriteBytes(st[16..], OwnDomid); // the remote end alloc_unbound allowed: this domain
                            break;
                        case PortState.Virq:
                            BitConverter.TryWriteBytes(st[8..], 4u);
                            BitConverter.TryWriteBytes(st[16..], (uint)_portVirq[port]);
                            break;
                        case PortState.Ipi:
                            BitConverter.TryWriteBytes(st[8..], 5u);
                            break;
                    }
                    return WriteGuest(arg, st) ? 0 : -EFAULT; // vcpu (at 12) is 0: the only vCPU is notified
                }
            case 6: // alloc_unbound {dom, remote_dom, OUT port}
                {
                    if (!ReadGuest(arg, b[..4])) return -EFAULT;
                    ushort dom = BitConverter.ToUInt16(b), remote = BitConverter.ToUInt16(b[2..]);
                    if (!IsSelf(dom) || !IsSelf(remote)) return -ESRCH;
                    int port = AllocatePort(PortState.Unbound);
                    if (port < 0) return port;
                    if (!WriteGuest32(arg + 4, (uint)port)) { _ports[port] = PortState.Free; return -EFAULT; }
                    return 0;
                }
            case 7: // bind_ipi {vcpu, OUT port}
                {
                    if (!ReadGuest32(arg, out uint vcpu)) return -EFAULT;
                    if (vcpu != 0) return -ENOENT;
                    int port = AllocatePort(PortState.Ipi);
                    if (port < 0) return port;
                    if (!WriteGuest32(arg + 4, (uint)port)) { _ports[port] = PortState.Free; return -EFAULT; }
                    return 0;
                }
            case 9: // unmask {port}
                {
                    if (!ReadGuest32(arg, out uint port)) return -EFAULT;
                    if (!ValidPort(port)) return -EINVAL;
                    uint maskWord = SharedInfo + SiEvtchnMask + (port / 32) * 4;
                    uint bit = 1u << (int)(port % 32);
                    _mem.Write32(maskWord, _mem.Read32(maskWord) & ~bit);
                    if ((_mem.Read32(SharedInfo + SiEvtchnPending + (port / 32) * 4) & bit) != 0) MarkSelector((int)port);
                    return 0;
                }
            default:
                return -ENOSYS;
        }
    }

    private static bool IsSelf(ushort dom) => dom == DomidSelf || dom == OwnDomid;
}
