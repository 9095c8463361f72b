using Emulator.Core.Hypervisor;
using static Emulator.Core.Hypervisor.XenAbi;

namespace Emulator.Tests.Hypervisor;

/// <summary>
/// EVTCHNOP_status (event_channel_op 5) as Xen's evtchn_status: the state of any port below the
/// 2-level limit (port 0 is reserved: closed), the VIRQ or remote domain it is bound to, vCPU 0;
/// -ESRCH for another domain, -EINVAL past the last port, -EFAULT for a bad pointer.
/// </summary>
public sealed class EventChannelStatusTests
{
    private const uint Area = 0x200000;
    private readonly PvGuest _g = new(a => a.hlt());
    private XenHypervisor Hv => _g.Hv;

    private int Call(uint cmd, uint arg) => Hv.Dispatch(EventChannelOp, cmd, arg, 0, 0, 0, inMulticall: false);

    private void Put(uint va, params uint[] words)
    {
        for (int i = 0; i < words.Length; i++) Assert.True(Hv.WriteGuest32(va + (uint)i * 4, words[i]));
    }

    private uint Get(uint va)
    {
        Assert.True(Hv.ReadGuest32(va, out uint v));
        return v;
    }

    /// <summary>status of <paramref name="port"/>: the result and the struct's status, vcpu and first union word.</summary>
    private (int Rc, uint Status, uint Vcpu, uint U) Status(uint port, uint dom = DomidSelf)
    {
        Put(Area + 0x100, dom, port, 0xAAAAAAAA, 0xAAAAAAAA, 0xAAAAAAAA, 0xAAAAAAAA);
        int rc = Call(5, Area + 0x100);
        return (rc, Get(Area + 0x108), Get(Area + 0x10C), Get(Area + 0x110));
    }

    [Fact]
    public void StatusReportsClosedUnboundVirqAndIpiPorts()
    {
        Assert.Equal((0, 0u, 0u, 0u), Status(0));            // reserved
        Assert.Equal((0, 0u, 0u, 0u), Status(1, OwnDomid));  // free
        Assert.Equal((0, 0u, 0u, 0u), Status(NrEventChannels - 1));

        Put(Area, (uint)VirqTimer, 0, 0);
        Assert.Equal(0, Call(1, Area));                       // bind_virq: port 1
        Put(Area, DomidSelf | ((uint)DomidSelf << 16), 0);
        Assert.Equal(0, Call(6, Area));                       // alloc_unbound: port 2
        Put(Area, 0, 0);
        Assert.Equal(0, Call(7, Area));                       // bind_ipi: port 3

        Assert.Equal((0, 4u, 0u, (uint)VirqTimer), Status(1));
        Assert.Equal((0, 1u, 0u, (uint)OwnDomid), Status(2));
        Assert.Equal((0, 5u, 0u, 0u), Status(3));

        Put(Area, 1);
        Assert.Equal(0, Call(3, Area));                       // close port 1
        Assert.Equal((0, 0u, 0u, 0u), Status(1));
    }

    [Fact]
    public void StatusRefusesOtherDomainsPortsPastTheLastAndBadPointers()
    {
        Assert.Equal(-ESRCH, Status(1, dom: 0).Rc);
        Assert.Equal(-EINVAL, Status(NrEventChannels).Rc);
        Assert.Equal(-EINVAL, Status(0xFFFFFFFF).Rc);
        Assert.Equal(-EFAULT, Call(5, HypervisorVirtStart));
        Assert.Equal(-EFAULT, Call(5, 0x40000000));
        Assert.Equal(-EFAULT, Call(5, _g.Info.VirtEnd - 12));   // the struct runs off the end of the mapping
    }
}
