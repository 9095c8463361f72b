using System.Runtime.CompilerServices;

namespace Emulator.Core.Cpu;

/// <summary>What a linear access is for: it decides the page-level checks and the #PF error code.</summary>
public enum AccessKind : byte { Read, Write, Execute }

/// <summary>Segmented (logical) and linear memory access with the SDM's checks. Failures raise the fault and return 0.</summary>
public sealed partial class Cpu
{
    // ---- Logical (segment:offset) accesses --------------------------------------------------

    /// <summary>Reads 1, 2 or 4 bytes at seg:offset after segment checks (limit, type), then through paging.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public uint ReadMem(int seg, uint offset, int size)
    {
        ref SegmentCache s = ref Segs[seg];
        if (!CheckSegmentAccess(ref s, seg, offset, size, write: false)) return 0;
        return ReadLinear(s.Base + offset, size);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void WriteMem(int seg, uint offset, int size, uint value)
    {
        ref SegmentCache s = ref Segs[seg];
        if (!CheckSegmentAccess(ref s, seg, offset, size, write: true)) return;
        WriteLinear(s.Base + offset, size, value);
    }

    public ulong ReadMem64(int seg, uint offset)
    {
        ref SegmentCache s = ref Segs[seg];
        if (!CheckSegmentAccess(ref s, seg, offset, 8, write: false)) return 0;
        uint lin = s.Base + offset;
        uint lo = ReadLinear(lin, 4);
        if (Faulted) return 0;
        uint hi = ReadLinear(lin + 4, 4);
        return lo | ((ulong)hi << 32);
    }

    public void WriteMem64(int seg, uint offset, ulong value)
    {
        ref SegmentCache s = ref Segs[seg];
        if (!CheckSegmentAccess(ref s, seg, offset, 8, write: true)) return;
        uint lin = s.Base + offset;
        // Check both halves are writable before writing either.
        if (!ProbeWrite(lin, 4) || !ProbeWrite(lin + 4, 4)) return;
        WriteLinear(lin, 4, (uint)value);
        WriteLinear(lin + 4, 4, (uint)(value >> 32));
    }

    /// <summary>
    /// Segment-level checks of SDM Vol. 3 §5.3-5.4: usable (non-null) segment, readable or writable
    /// type, and limit (expand-up or expand-down). Raises #SS(0) for SS and #GP(0) otherwise.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public bool CheckSegmentAccess(ref SegmentCache s, int seg, uint offset, int size, bool write)
    {
        uint last = offset + (uint)size - 1;
        if (s.Usable && (s.Attributes & (SegmentCache.AttrCode | SegmentCache.AttrExpandDown)) == 0)
        {
            // The common case: expand-up data segment.
            if (last >= offset && last <= s.Limit && (!write || (s.Attributes & SegmentCache.AttrWritable) != 0 || !ProtectedMode))
                return true;
        }
        return CheckSegmentAccessSlow(ref s, seg, offset, size, write);
    }

    private bool CheckSegmentAccessSlow(ref SegmentCache s, int seg, uint offset, int size, bool write)
    {
        byte vec = seg == SS ? Vector.SS : Vector.GP;
        if (ProtectedMode)
        {
            if (!s.Usable) { RaiseFault(vec, 0); return false; }
            if (s.IsCode)
            {
                // Code segments: never writable; readable only with the R bit.
                if (write || (s.Attributes & SegmentCache.AttrWritable) == 0) { RaiseFault(vec, 0); return false; }
            }
            else if (write && (s.Attributes & SegmentCache.AttrWritable) == 0) { RaiseFault(vec, 0); return false; }
        }
        uint last = offset + (uint)size - 1;
        bool expandDown = !s.IsCode && (s.Attributes & SegmentCache.AttrExpandDown) != 0 && ProtectedMode;
        if (expandDown)
        {
            uint upper = s.Big ? 0xFFFFFFFFu : 0xFFFFu;
            if (offset <= s.Limit || last > upper || last < offset) { RaiseFault(vec, 0); return false; }
        }
        else if (last < offset || last > s.Limit)
        {
            RaiseFault(vec, 0);
            return false;
        }
        return true;
    }

    // ---- Linear accesses (paging, at the current privilege level) -------------------------

    /// <summary>True when user-mode page checks apply to this access (CPL 3).</summary>
    private bool UserAccess => Cpl == 3;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public uint ReadLinear(uint linear, int size) => ReadLinear(linear, size, UserAccess);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void WriteLinear(uint linear, int size, uint value) => WriteLinear(linear, size, value, UserAccess);

    /// <summary>A read with supervisor privilege, whatever the CPL (descriptor tables, TSS: SDM §4.6 implicit supervisor accesses).</summary>
    public uint ReadLinearSystem(uint linear, int size) => ReadLinear(linear, size, false);
    public void WriteLinearSystem(uint linear, int size, uint value) => WriteLinear(linear, size, value, false);

    /// <summary>A read at a linear address: inlined for the common cases (no paging, or within one page), the rest out of line.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public uint ReadLinear(uint linear, int size, bool user)
    {
        if (size > 1 && (linear & (uint)(size - 1)) != 0 && AlignmentCheckActive(user)) { RaiseFault(Vector.AC, 0); return 0; }
        if ((Cr0 & Cr0PG) == 0)
        {
            uint p = linear & Memory.A20Mask;
            return size == 4 ? Memory.Read32(p) : size == 2 ? Memory.Read16(p) : Memory.Read8(p);
        }
        if (((linear & 0xFFF) + (uint)size) <= 0x1000)
        {
            if (!Mmu.Translate(linear, AccessKind.Read, user, out uint phys)) return 0;
            return size == 4 ? Memory.Read32(phys) : size == 2 ? Memory.Read16(phys) : Memory.Read8(phys);
        }
        return ReadLinearAcrossPages(linear, size, user);
    }

    /// <summary>A paged read that crosses a page: translate both pages first, then read byte by byte.</summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    private uint ReadLinearAcrossPages(uint linear, int size, bool user)
    {
        if (!Mmu.Translate(linear, AccessKind.Read, user, out uint p1)) return 0;
        uint second = (linear + (uint)size - 1) & ~0xFFFu;
        if (!Mmu.Translate(second, AccessKind.Read, user, out uint p2)) return 0;
        uint v = 0;
        for (int k = 0; k < size; k++)
        {
            uint lin = linear + (uint)k;
            uint phys = (lin & ~0xFFFu) == second ? p2 + (lin & 0xFFF) : p1 + (lin - linear);
            v |= (uint)Memory.Read8(phys) << (8 * k);
        }
        return v;
    }

    /// <summary>A write at a linear address: inlined for the common cases (no paging, or within one page), the rest out of line.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void WriteLinear(uint linear, int size, uint value, bool user)
    {
        if (size > 1 && (linear & (uint)(size - 1)) != 0 && AlignmentCheckActive(user)) { RaiseFault(Vector.AC, 0); return; }
        if ((Cr0 & Cr0PG) == 0)
        {
            uint p = linear & Memory.A20Mask;
            if (size == 4) Memory.Write32(p, value); else if (size == 2) Memory.Write16(p, (ushort)value); else Memory.Write8(p, (byte)value);
            return;
        }
        if (((linear & 0xFFF) + (uint)size) <= 0x1000)
        {
            if (!Mmu.Translate(linear, AccessKind.Write, user, out uint phys)) return;
            if (size == 4) Memory.Write32(phys, value); else if (size == 2) Memory.Write16(phys, (ushort)value); else Memory.Write8(phys, (byte)value);
            return;
        }
        WriteLinearAcrossPages(linear, size, value, user);
    }

    /// <summary>A paged write that crosses a page: both pages must be writable before either is written.</summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    private void WriteLinearAcrossPages(uint linear, int size, uint value, bool user)
    {
        if (!Mmu.Translate(linear, AccessKind.Write, user, out uint p1)) return;
        uint second = (linear + (uint)size - 1) & ~0xFFFu;
        if (!Mmu.Translate(second, AccessKind.Write, user, out uint p2)) return;
        for (int k = 0; k < size; k++)
        {
            uint lin = linear + (uint)k;
            uint phys = (lin & ~0xFFFu) == second ? p2 + (lin & 0xFFF) : p1 + (lin - linear);
            Memory.Write8(phys, (byte)(value >> (8 * k)));
        }
    }

    /// <summary>Checks that a write would succeed (raising the fault if not) without writing.</summary>
    public bool ProbeWrite(uint linear, int size)
    {
        if ((Cr0 & Cr0PG) == 0) return true;
        if (!Mmu.Translate(linear, AccessKind.Write, UserAccess, out _)) return false;
        uint last = linear + (uint)size - 1;
        if ((last & ~0xFFFu) != (linear & ~0xFFFu) && !Mmu.Translate(last, AccessKind.Write, UserAccess, out _)) return false;
        return true;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private bool AlignmentCheckActive(bool user) => user && (Cr0 & Cr0AM) != 0 && (_eflags & FlagAC) != 0;
}
