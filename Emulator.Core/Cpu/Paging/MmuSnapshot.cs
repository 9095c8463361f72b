using Emulator.Core.Snapshots;

namespace Emulator.Core.Cpu;

/// <summary>The MMU's part of the CPU's snapshot section: the PAE PDPTE registers and the TLB as it is.</summary>
public sealed partial class Mmu
{
    internal void SaveState(SnapshotWriter w)
    {
        foreach (ulong e in _pdpte) w.WriteUInt64(e);
        _tlb.SaveState(w);
    }

    internal void LoadState(SnapshotReader r)
    {
        for (int i = 0; i < _pdpte.Length; i++) _pdpte[i] = r.ReadUInt64();
        _tlb.LoadState(r);
        Epoch++;
    }
}
