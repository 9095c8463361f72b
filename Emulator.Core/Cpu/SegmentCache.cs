using System.Runtime.CompilerServices;

namespace Emulator.Core.Cpu;

/// <summary>
/// The hidden part of a segment register (SDM Vol. 3 §3.4.3): selector plus the cached base,
/// byte-granular limit and access rights loaded from the descriptor.
/// </summary>
public struct SegmentCache
{
    public ushort Selector;
    public uint Base;
    /// <summary>Effective limit in bytes (granularity already applied).</summary>
    public uint Limit;
    /// <summary>Descriptor access byte in bits 0-7 (type, S, DPL, P) and the flags nibble in bits 12-15 (AVL, L, D/B, G).</summary>
    public ushort Attributes;
    /// <summary>False for a null selector loaded into a data segment register in protected mode.</summary>
    public bool Usable;

    public const ushort AttrAccessed = 0x01;
    public const ushort AttrWritable = 0x02;   // data: writable; code: readable
    public const ushort AttrExpandDown = 0x04; // data: expand-down; code: conforming
    public const ushort AttrCode = 0x08;
    public const ushort AttrS = 0x10;          // code/data (1) vs system (0)
    public const ushort AttrPresent = 0x80;
    public const ushort AttrBig = 0x4000;      // D/B
    public const ushort AttrGranularity = 0x8000;

    public readonly int Type => Attributes & 0xF;
    public readonly int Dpl => (Attributes >> 5) & 3;
    public readonly bool Present => (Attributes & AttrPresent) != 0;
    public readonly bool IsSystem => (Attributes & AttrS) == 0;
    public readonly bool IsCode => (Attributes & (AttrS | AttrCode)) == (AttrS | AttrCode);
    public readonly bool IsData => (Attributes & (AttrS | AttrCode)) == AttrS;
    public readonly bool Big => (Attributes & AttrBig) != 0;
    public readonly int Rpl => Selector & 3;

    /// <summary>A real-mode (or reset) segment: base = selector*16, 64 KiB limit, read/write data, present.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void LoadReal(ushort selector)
    {
        Selector = selector;
        Base = (uint)selector << 4;
        // Real mode keeps the cached limit and attributes (big real mode); only base and selector change.
        Usable = true;
    }

    public static SegmentCache RealDefault(ushort selector) => new()
    {
        Selector = selector,
        Base = (uint)selector << 4,
        Limit = 0xFFFF,
        Attributes = AttrPresent | AttrS | AttrWritable | AttrAccessed,
        Usable = true,
    };

    /// <summary>Fills the cache from an 8-byte descriptor (SDM Vol. 3 §3.4.5).</summary>
    public void LoadDescriptor(ushort selector, ulong descriptor)
    {
        Selector = selector;
        uint lo = (uint)descriptor, hi = (uint)(descriptor >> 32);
        Base = (lo >> 16) | ((hi & 0xFF) << 16) | (hi & 0xFF000000);
        uint limit = (lo & 0xFFFF) | (hi & 0x000F0000);
        if ((hi & 0x00800000) != 0) limit = (limit << 12) | 0xFFF;
        Limit = limit;
        Attributes = (ushort)(((hi >> 8) & 0xFF) | ((hi >> 8) & 0xF000));
        Usable = true;
    }

    public override readonly string ToString() =>
        $"sel={Selector:X4} base={Base:X8} limit={Limit:X8} attr={Attributes:X4}{(Usable ? "" : " unusable")}";
}
