using Emulator.Core.Snapshots;
using static Emulator.Core.Hypervisor.XenAbi;

namespace Emulator.Core.Hypervisor;

/// <summary>
/// The hypervisor's snapshot section ("xen"): the PV MMU's frame bookkeeping, the P2M, event
/// channels and VIRQ bindings, the single-shot timer, the trap table and callbacks, the kernel
/// stack, the block state and pending continuation, and whether the domain is dead. The shared_info
/// page, the M2P table and the hypervisor's GDT are guest-visible RAM and travel with it.
/// </summary>
public sealed partial class XenHypervisor : ISnapshotState
{
    public string SnapshotSection => "xen";

    public void SaveState(SnapshotWriter w)
    {
        Mmu.SaveState(w);
        w.WriteInt32(P2m.Length);
        w.WriteBytes(System.Runtime.InteropServices.MemoryMarshal.AsBytes(P2m.AsSpan()));
        w.WriteBytes(System.Runtime.InteropServices.MemoryMarshal.AsBytes(_ports.AsSpan()));
        w.WriteBytes(_portVirq);
        foreach (int p in _virqPort) w.WriteInt32(p);
        w.WriteEvent(_timer);
        w.WriteBool(_blocked);
        for (int v = 0; v < 256; v++)
        {
            w.WriteUInt16(_trapCs[v]);
            w.WriteUInt32(_trapAddress[v]);
            w.WriteByte(_trapFlags[v]);
        }
        w.WriteUInt16(_kernelSs);
        w.WriteUInt32(_kernelSp);
        w.WriteUInt16(_eventCs);
        w.WriteUInt32(_eventEip);
        w.WriteUInt16(_failsafeCs);
        w.WriteUInt32(_failsafeEip);
        w.WriteString(_bounceFailure);
        w.WriteInt32(_workUnits);
        w.WriteBool(_continued);
        w.WriteBool(_inMulticall);
        w.WriteBool(_callPreempted);
        foreach (uint a in _continuationArgs) w.WriteUInt32(a);
        w.WriteBool(DomainDead);
    }

    public void LoadState(SnapshotReader r)
    {
        Mmu.LoadState(r);
        int pages = r.ReadInt32();
        if (pages != P2m.Length)
            throw new SnapshotFormatException($"the snapshot's domain has {pages} pages, this one {P2m.Length} (-m)");
        r.ReadBytes(System.Runtime.InteropServices.MemoryMarshal.AsBytes(P2m.AsSpan()));
        r.ReadBytes(System.Runtime.InteropServices.MemoryMarshal.AsBytes(_ports.AsSpan()));
        SnapshotReader.ExpectAtMost(System.Runtime.InteropServices.MemoryMarshal.AsBytes(_ports.AsSpan()), (byte)PortState.Ipi, "event channel state");
        r.ReadBytes(_portVirq);
        SnapshotReader.ExpectAtMost(_portVirq, (byte)(NrVirqs - 1), "VIRQ number");
        for (int i = 0; i < _virqPort.Length; i++) _virqPort[i] = r.ReadInt32(-1, _ports.Length - 1);
        _timer = _clock.Restore(r.ReadEvent(), _onTimer);
        _blocked = r.ReadBool();
        for (int v = 0; v < 256; v++)
        {
            _trapCs[v] = r.ReadUInt16();
            _trapAddress[v] = r.ReadUInt32();
            _trapFlags[v] = r.ReadByte();
        }
        _kernelSs = r.ReadUInt16();
        _kernelSp = r.ReadUInt32();
        _eventCs = r.ReadUInt16();
        _eventEip = r.ReadUInt32();
        _failsafeCs = r.ReadUInt16();
        _failsafeEip = r.ReadUInt32();
        _bounceFailure = r.ReadString();
        _workUnits = r.ReadInt32();
        _continued = r.ReadBool();
        _inMulticall = r.ReadBool();
        _callPreempted = r.ReadBool();
        for (int i = 0; i < _continuationArgs.Length; i++) _continuationArgs[i] = r.ReadUInt32();
        DomainDead = r.ReadBool();
        _inHypercall = false;
    }
}
