using System.Buffers.Binary;
using System.Runtime.CompilerServices;
using Emulator.Core.Bus;

namespace Emulator.Core.Memory;

/// <summary>
/// The physical address space: RAM from 0, ROM regions, MMIO regions, and holes that read as
/// all ones. A per-4-KiB-page kind map makes every access one array lookup. The A20 gate masks
/// address bit 20 when disabled. Writes to pages that hold decoded code notify the decode cache.
/// </summary>
public sealed class PhysicalMemory : Snapshots.ISnapshotState
{
    public const int PageShift = 12;
    public const uint PageSize = 1u << PageShift;
    private const int PageCount = 1 << (32 - PageShift);

    // RamReadWatched: RAM holding a debugger read watch; every access to it takes the slow path, so
    // plain RAM pays nothing for the feature.
    private enum PageKind : byte { Ram = 0, Rom = 1, Mmio = 2, Unmapped = 3, RamReadWatched = 4 }

    private readonly byte[] _ram;
    private readonly PageKind[] _kind = new PageKind[PageCount];
    private readonly ushort[] _region = new ushort[PageCount];
    private readonly List<(uint Base, byte[] Data)> _roms = new();
    private readonly List<(uint Base, uint Size, IMmioDevice Device)> _mmio = new();
    /// <summary>Per page: <see cref="CodeWatch"/> and/or <see cref="TableWatch"/>; 0 for almost every page, so a write costs one load and test.</summary>
    private readonly byte[] _watch = new byte[PageCount];
    private const byte CodeWatch = 1, TableWatch = 2, DebugWatch = 4, DirtyTrack = 8;

    /// <summary>Called with the address and size of every write to a page marked as holding cached decoded code.</summary>
    public Action<uint, int>? CodePageWritten;

    /// <summary>
    /// Called before a guest store to a page marked as a live page table (tracing only), with the
    /// address, size and value about to be written. The page walker's accessed/dirty updates are not stores.
    /// </summary>
    public Action<uint, int, uint>? TablePageWriting;

    /// <summary>All ones, or all ones but bit 20 while the A20 gate is disabled.</summary>
    public uint A20Mask { get; private set; } = 0xFFFFFFFF;

    public PhysicalMemory(uint ramBytes)
    {
        if (ramBytes < 1024 * 1024) throw new ArgumentOutOfRangeException(nameof(ramBytes), "RAM must be at least 1 MiB");
        if (ramBytes > 0xC000_0000u) throw new ArgumentOutOfRangeException(nameof(ramBytes), "RAM must end below 3 GiB");
        ramBytes = (ramBytes + PageSize - 1) & ~(PageSize - 1);
        _ram = new byte[ramBytes];
        for (uint p = ramBytes >> PageShift; p < PageCount; p++) _kind[p] = PageKind.Unmapped;
    }

    /// <summary>The RAM array itself (index = physical address), for loaders, devices and fast paths.</summary>
    public byte[] Ram => _ram;
    public uint RamSize => (uint)_ram.Length;

    public bool A20Enabled
    {
        get => A20Mask == 0xFFFFFFFF;
        set
        {
            uint mask = value ? 0xFFFFFFFF : ~(1u << 20);
            if (mask == A20Mask) return;
            A20Mask = mask;
            A20Changed?.Invoke();
        }
    }

    /// <summary>The A20 gate changed: every cached linear-to-physical translation is stale.</summary>
    public event Action? A20Changed;

    /// <summary>Maps a read-only region. Writes to it are ignored. Size must be page aligned.</summary>
    public void MapRom(uint baseAddress, byte[] data)
    {
        if ((baseAddress & (PageSize - 1)) != 0 || (data.Length & (PageSize - 1)) != 0)
            throw new ArgumentException("ROM base and size must be 4 KiB aligned");
        _roms.Add((baseAddress, data));
        ushort idx = (ushort)(_roms.Count - 1);
        for (uint off = 0; off < data.Length; off += PageSize)
        {
            uint p = (baseAddress + off) >> PageShift;
            _kind[p] = PageKind.Rom;
            _region[p] = idx;
        }
    }

    /// <summary>Maps an MMIO device over [base, base+size). Size must be page aligned.</summary>
    public void MapMmio(uint baseAddress, uint size, IMmioDevice device)
    {
        if ((baseAddress & (PageSize - 1)) != 0 || (size & (PageSize - 1)) != 0)
            throw new ArgumentException("MMIO base and size must be 4 KiB aligned");
        _mmio.Add((baseAddress, size, device));
        ushort idx = (ushort)(_mmio.Count - 1);
        for (ulong a = baseAddress; a < (ulong)baseAddress + size; a += PageSize)
        {
            uint p = (uint)(a >> PageShift);
            _kind[p] = PageKind.Mmio;
            _region[p] = idx;
        }
    }

    /// <summary>True when [addr, addr+length) is entirely RAM.</summary>
    public bool IsRam(uint addr, uint length)
    {
        if (length == 0) return addr <= _ram.Length;
        ulong end = (ulong)addr + length;
        if (end > (ulong)_ram.Length) return false;
        for (ulong a = addr & ~(ulong)(PageSize - 1); a < end; a += PageSize)
            if (_kind[a >> PageShift] is not (PageKind.Ram or PageKind.RamReadWatched)) return false;
        return true;
    }

    /// <summary>
    /// The RAM bytes of [addr, addr+length) when they lie within one page of plain RAM and, for a
    /// write, in a page nobody watches (decode cache, page-table watch): then a bulk copy or fill is
    /// exactly what byte-by-byte writes would do. False otherwise (the caller goes element by element).
    /// </summary>
    public bool TryGetRamSpan(uint addr, int length, bool forWrite, out Span<byte> span)
    {
        span = default;
        addr &= A20Mask;
        if (length <= 0 || (addr & (PageSize - 1)) + (uint)length > PageSize || addr >= (uint)_ram.Length) return false;
        uint pfn = addr >> PageShift;
        if (_kind[pfn] != PageKind.Ram || (forWrite && _watch[pfn] != 0)) return false;
        span = _ram.AsSpan((int)addr, length);
        return true;
    }

    // ---- Decode-cache support -------------------------------------------------------------

    public void MarkCodePage(uint pfn) => _watch[pfn] |= CodeWatch;

    public void ClearCodePage(uint pfn) => _watch[pfn] &= unchecked((byte)~CodeWatch);

    // ---- Page-table watch (tracing) -----------------------------------------------------------

    public void WatchTablePage(uint pfn) => _watch[pfn] |= TableWatch;

    public void UnwatchTablePage(uint pfn) => _watch[pfn] &= unchecked((byte)~TableWatch);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private void NotifyWrite(uint addr, int size, uint value)
    {
        byte w = _watch[addr >> PageShift];
        if (w != 0) WatchedWrite(addr, size, value, w);
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private void WatchedWrite(uint addr, int size, uint value, byte w)
    {
        if ((w & DirtyTrack) != 0) MarkDirty(addr >> PageShift); // first: the pre-image is the page before any of this write
        if ((w & TableWatch) != 0) TablePageWriting?.Invoke(addr, size, value);
        if ((w & CodeWatch) != 0) CodePageWritten?.Invoke(addr, size);
        if ((w & DebugWatch) != 0) DebugWatchWrite?.Invoke(addr, size);
    }

    // ---- Snapshots ------------------------------------------------------------------------------

    /// <summary>The "memory" section: the RAM size (a snapshot only fits the same size) and the A20 gate. RAM contents travel by pages, outside the sections.</summary>
    public string SnapshotSection => "memory";

    public void SaveState(Snapshots.SnapshotWriter w)
    {
        w.WriteUInt32(RamSize);
        w.WriteBool(A20Enabled);
    }

    public void LoadState(Snapshots.SnapshotReader r)
    {
        uint size = r.ReadUInt32();
        if (size != RamSize)
            throw new Snapshots.SnapshotFormatException($"the snapshot's machine has {size / (1024 * 1024)} MiB of RAM, this one {RamSize / (1024 * 1024)} MiB (-m)");
        A20Enabled = r.ReadBool();
    }

    // ---- Dirty-page tracking (snapshots) -------------------------------------------------------
    // While tracking, every RAM page carries the DirtyTrack bit; the first write to a page takes the
    // watched path once — before the bytes change — records the page with a copy of its content
    // (its pre-image) and clears the bit, so later writes run at full speed.

    private readonly List<(uint Pfn, byte[] Before)> _dirtyPages = new();
    private bool _trackingDirty;

    /// <summary>Whether <see cref="StartDirtyTracking"/> is in effect.</summary>
    public bool TrackingDirtyPages => _trackingDirty;

    /// <summary>Starts recording which RAM pages are written, with their content before the first write (the set starts empty).</summary>
    public void StartDirtyTracking()
    {
        _trackingDirty = true;
        _dirtyPages.Clear();
        uint pages = (uint)_ram.Length >> PageShift;
        for (uint p = 0; p < pages; p++) _watch[p] |= DirtyTrack;
    }

    /// <summary>Stops recording (nothing is left armed).</summary>
    public void StopDirtyTracking()
    {
        _trackingDirty = false;
        _dirtyPages.Clear();
        uint pages = (uint)_ram.Length >> PageShift;
        for (uint p = 0; p < pages; p++) _watch[p] &= unchecked((byte)~DirtyTrack);
    }

    /// <summary>
    /// The pages written since tracking started or since the last call, each once with its content
    /// before that first write; and a fresh empty set.
    /// </summary>
    public (uint Pfn, byte[] Before)[] TakeDirtyPages()
    {
        var pages = _dirtyPages.ToArray();
        _dirtyPages.Clear();
        foreach (var (p, _) in pages) _watch[p] |= DirtyTrack;
        return pages;
    }

    /// <summary>The pages written since the last <see cref="TakeDirtyPages"/> (with their pre-images), without resetting.</summary>
    public IReadOnlyList<(uint Pfn, byte[] Before)> DirtyPagesSoFar => _dirtyPages;

    [MethodImpl(MethodImplOptions.NoInlining)]
    private void MarkDirty(uint pfn)
    {
        _watch[pfn] &= unchecked((byte)~DirtyTrack);
        var page = _ram.AsSpan((int)(pfn << PageShift), (int)PageSize);
        // Most pages a run writes for the first time were all zero (BSS, new page tables, heap): they share one pre-image.
        _dirtyPages.Add((pfn, page.ContainsAnyExcept((byte)0) ? page.ToArray() : ZeroPage));
    }

    /// <summary>The pre-image of every page that was all zero (shared; never written).</summary>
    private static readonly byte[] ZeroPage = new byte[PageSize];

    // ---- Debugger watchpoints ------------------------------------------------------------------

    private readonly Dictionary<uint, int> _debugWatchesPerPage = new();

    /// <summary>A write into a page holding a debugger watchpoint (the debugger checks the range).</summary>
    public event Action<uint, int>? DebugWatchWrite;

    /// <summary>Reports writes into [addr, addr+length) (within one page) through <see cref="DebugWatchWrite"/>.</summary>
    public void WatchDebugRange(uint addr, uint length)
    {
        uint pfn = (addr & A20Mask) >> PageShift;
        _debugWatchesPerPage[pfn] = _debugWatchesPerPage.GetValueOrDefault(pfn) + 1;
        _watch[pfn] |= DebugWatch;
    }

    public void UnwatchDebugRange(uint addr, uint length)
    {
        uint pfn = (addr & A20Mask) >> PageShift;
        int n = _debugWatchesPerPage.GetValueOrDefault(pfn) - 1;
        if (n > 0) { _debugWatchesPerPage[pfn] = n; return; }
        _debugWatchesPerPage.Remove(pfn);
        _watch[pfn] &= unchecked((byte)~DebugWatch);
    }

    // ---- Debugger read watches -----------------------------------------------------------------

    private readonly Dictionary<uint, int> _readWatchesPerPage = new();

    /// <summary>A read of a page holding a debugger read watch (the debugger checks the range).</summary>
    public event Action<uint, int>? DebugWatchRead;

    /// <summary>While set, reads do not report to <see cref="DebugWatchRead"/> (page walks: x86 data breakpoints never see them).</summary>
    public bool QuietReads;

    /// <summary>Reports reads of [addr, addr+length) (within one RAM page) through <see cref="DebugWatchRead"/>; false for ROM, MMIO and holes.</summary>
    public bool WatchDebugReads(uint addr, uint length)
    {
        uint pfn = (addr & A20Mask) >> PageShift;
        if (_kind[pfn] is not (PageKind.Ram or PageKind.RamReadWatched)) return false;
        _readWatchesPerPage[pfn] = _readWatchesPerPage.GetValueOrDefault(pfn) + 1;
        _kind[pfn] = PageKind.RamReadWatched;
        return true;
    }

    public void UnwatchDebugReads(uint addr, uint length)
    {
        uint pfn = (addr & A20Mask) >> PageShift;
        if (!_readWatchesPerPage.TryGetValue(pfn, out int n)) return;
        if (n > 1) { _readWatchesPerPage[pfn] = n - 1; return; }
        _readWatchesPerPage.Remove(pfn);
        _kind[pfn] = PageKind.Ram;
    }

    /// <summary>An instruction-fetch read: as <see cref="Read8"/>, but never a read-watch hit (fetches are not data reads).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public byte ReadCode8(uint addr)
    {
        addr &= A20Mask;
        if (addr < (uint)_ram.Length && _kind[addr >> PageShift] is PageKind.Ram or PageKind.RamReadWatched) return _ram[addr];
        return (byte)ReadSlow(addr, 1);
    }

    /// <summary>The page walker's accessed/dirty update of an entry: invalidates decoded code like any write, but is no page-table store.</summary>
    public void WriteEntryFlags32(uint addr, uint value)
    {
        addr &= A20Mask;
        if (addr < (uint)_ram.Length - 3 && (addr & 0xFFF) <= 0xFFC && _kind[addr >> PageShift] == PageKind.Ram)
        {
            byte w = _watch[addr >> PageShift];
            if ((w & CodeWatch) != 0) CodePageWritten?.Invoke(addr, 4);
            if ((w & DirtyTrack) != 0) MarkDirty(addr >> PageShift);
            BinaryPrimitives.WriteUInt32LittleEndian(_ram.AsSpan((int)addr), value);
            return;
        }
        Write32(addr, value);
    }

    // ---- Accesses ---------------------------------------------------------------------------

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public byte Read8(uint addr)
    {
        addr &= A20Mask;
        if (addr < (uint)_ram.Length && _kind[addr >> PageShift] == PageKind.Ram) return _ram[addr];
        return (byte)ReadSlow(addr, 1);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public ushort Read16(uint addr)
    {
        addr &= A20Mask;
        if (addr < (uint)_ram.Length - 1 && (addr & 0xFFF) != 0xFFF && _kind[addr >> PageShift] == PageKind.Ram)
            return BinaryPrimitives.ReadUInt16LittleEndian(_ram.AsSpan((int)addr));
        return (ushort)(Read8Slow(addr) | (Read8Slow(addr + 1) << 8));
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public uint Read32(uint addr)
    {
        addr &= A20Mask;
        if (addr < (uint)_ram.Length - 3 && (addr & 0xFFF) <= 0xFFC && _kind[addr >> PageShift] == PageKind.Ram)
            return BinaryPrimitives.ReadUInt32LittleEndian(_ram.AsSpan((int)addr));
        if ((addr & 3) == 0 && _kind[addr >> PageShift] == PageKind.Mmio) return ReadSlow(addr, 4);
        return (uint)(Read8Slow(addr) | (Read8Slow(addr + 1) << 8) | (Read8Slow(addr + 2) << 16) | (Read8Slow(addr + 3) << 24));
    }

    public ulong Read64(uint addr) => Read32(addr) | ((ulong)Read32(addr + 4) << 32);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void Write8(uint addr, byte value)
    {
        addr &= A20Mask;
        if (addr < (uint)_ram.Length && _kind[addr >> PageShift] == PageKind.Ram)
        {
            NotifyWrite(addr, 1, value);
            _ram[addr] = value;
            return;
        }
        WriteSlow(addr, 1, value);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void Write16(uint addr, ushort value)
    {
        addr &= A20Mask;
        if (addr < (uint)_ram.Length - 1 && (addr & 0xFFF) != 0xFFF && _kind[addr >> PageShift] == PageKind.Ram)
        {
            NotifyWrite(addr, 2, value);
            BinaryPrimitives.WriteUInt16LittleEndian(_ram.AsSpan((int)addr), value);
            return;
        }
        Write8Slow(addr, (byte)value);
        Write8Slow(addr + 1, (byte)(value >> 8));
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void Write32(uint addr, uint value)
    {
        addr &= A20Mask;
        if (addr < (uint)_ram.Length - 3 && (addr & 0xFFF) <= 0xFFC && _kind[addr >> PageShift] == PageKind.Ram)
        {
            NotifyWrite(addr, 4, value);
            BinaryPrimitives.WriteUInt32LittleEndian(_ram.AsSpan((int)addr), value);
            return;
        }
        if ((addr & 3) == 0 && _kind[addr >> PageShift] == PageKind.Mmio) { WriteSlow(addr, 4, value); return; }
        Write8Slow(addr, (byte)value);
        Write8Slow(addr + 1, (byte)(value >> 8));
        Write8Slow(addr + 2, (byte)(value >> 16));
        Write8Slow(addr + 3, (byte)(value >> 24));
    }

    public void Write64(uint addr, ulong value)
    {
        Write32(addr, (uint)value);
        Write32(addr + 4, (uint)(value >> 32));
    }

    /// <summary>Copies bytes into physical memory (loaders); ROM and holes are skipped.</summary>
    public void WriteBytes(uint addr, ReadOnlySpan<byte> data)
    {
        for (int i = 0; i < data.Length; i++) Write8(addr + (uint)i, data[i]);
    }

    public void ReadBytes(uint addr, Span<byte> into)
    {
        for (int i = 0; i < into.Length; i++) into[i] = Read8(addr + (uint)i);
    }

    private byte Read8Slow(uint addr) => (byte)ReadSlow(addr & A20Mask, 1);

    private void Write8Slow(uint addr, byte value) => WriteSlow(addr & A20Mask, 1, value);

    private uint ReadSlow(uint addr, int size)
    {
        uint p = addr >> PageShift;
        switch (_kind[p])
        {
            case PageKind.Ram:
                return _ram[addr];
            case PageKind.RamReadWatched:
                if (!QuietReads) DebugWatchRead?.Invoke(addr, size);
                return _ram[addr];
            case PageKind.Rom:
                {
                    var (b, data) = _roms[_region[p]];
                    return data[addr - b];
                }
            case PageKind.Mmio:
                {
                    var (b, _, dev) = _mmio[_region[p]];
                    return dev.ReadMmio(addr - b, size);
                }
            default:
                return size == 1 ? 0xFFu : size == 2 ? 0xFFFFu : 0xFFFFFFFFu;
        }
    }

    private void WriteSlow(uint addr, int size, uint value)
    {
        uint p = addr >> PageShift;
        switch (_kind[p])
        {
            case PageKind.Ram:
            case PageKind.RamReadWatched:
                NotifyWrite(addr, 1, value & 0xFF);
                _ram[addr] = (byte)value;
                break;
            case PageKind.Mmio:
                {
                    var (b, _, dev) = _mmio[_region[p]];
                    dev.WriteMmio(addr - b, size, value);
                    break;
                }
            default:
                break; // ROM and holes ignore writes
        }
    }
}
