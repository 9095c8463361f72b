using Emulator.Core.Snapshots;

namespace Emulator.Core.Cpu;

/// <summary>
/// The CPU's part of a snapshot, taken between instructions: registers, segment caches (the
/// hidden parts too), descriptor-table registers, control and debug registers, EFLAGS, the
/// interrupt shadow and halt state, the TSC offset, and the MMU (TLB and PDPTEs, which can be
/// stale relative to the page tables — architecturally visible, so they are carried as they are).
/// Per-instruction fault state is always clear at an instruction boundary and is not saved.
/// </summary>
public sealed partial class Cpu : ISnapshotState
{
    public string SnapshotSection => "cpu";

    public void SaveState(SnapshotWriter w)
    {
        foreach (uint r in Regs) w.WriteUInt32(r);
        w.WriteUInt32(Eip);
        w.WriteUInt32(GetEflags());
        foreach (var s in Segs) WriteSegment(w, s);
        WriteSegment(w, Ldtr);
        WriteSegment(w, Tr);
        w.WriteUInt32(GdtrBase);
        w.WriteUInt16(GdtrLimit);
        w.WriteUInt32(IdtrBase);
        w.WriteUInt16(IdtrLimit);
        w.WriteUInt32(Cr0);
        w.WriteUInt32(Cr2);
        w.WriteUInt32(Cr3);
        w.WriteUInt32(Cr4);
        w.WriteUInt64(Efer);
        foreach (uint d in Dr) w.WriteUInt32(d);
        w.WriteInt32(Cpl);
        w.WriteBool(Halted);
        w.WriteBool(InterruptShadow);
        w.WriteBool(TripleFaulted);
        w.WriteUInt64(TscOffset);
        w.WriteInt64(InvalidOpcodeCount);
        Mmu.SaveState(w);
    }

    public void LoadState(SnapshotReader r)
    {
        for (int i = 0; i < Regs.Length; i++) Regs[i] = r.ReadUInt32();
        Eip = r.ReadUInt32();
        SetEflags(r.ReadUInt32());
        for (int i = 0; i < Segs.Length; i++) Segs[i] = ReadSegment(r);
        Ldtr = ReadSegment(r);
        Tr = ReadSegment(r);
        GdtrBase = r.ReadUInt32();
        GdtrLimit = r.ReadUInt16();
        IdtrBase = r.ReadUInt32();
        IdtrLimit = r.ReadUInt16();
        Cr0 = r.ReadUInt32();
        Cr2 = r.ReadUInt32();
        Cr3 = r.ReadUInt32();
        Cr4 = r.ReadUInt32();
        Efer = r.ReadUInt64();
        for (int i = 0; i < Dr.Length; i++) Dr[i] = r.ReadUInt32();
        Cpl = r.ReadInt32(0, 3);
        Halted = r.ReadBool();
        InterruptShadow = r.ReadBool();
        TripleFaulted = r.ReadBool();
        TscOffset = r.ReadUInt64();
        InvalidOpcodeCount = r.ReadInt64();
        Mmu.LoadState(r);
        Faulted = false;
        SetInterruptShadow = false;
        _trapAfter = false;
        StopReason = CpuStopReason.None;
        // Memory may have changed under every decoded instruction and cached translation.
        _decodeCache.Clear();
        _fetchPage = null;
        LeaveFastLoop = true;
    }

    private static void WriteSegment(SnapshotWriter w, SegmentCache s)
    {
        w.WriteUInt16(s.Selector);
        w.WriteUInt32(s.Base);
        w.WriteUInt32(s.Limit);
        w.WriteUInt16(s.Attributes);
        w.WriteBool(s.Usable);
    }

    private static SegmentCache ReadSegment(SnapshotReader r) => new()
    {
        Selector = r.ReadUInt16(),
        Base = r.ReadUInt32(),
        Limit = r.ReadUInt32(),
        Attributes = r.ReadUInt16(),
        Usable = r.ReadBool(),
    };
}
