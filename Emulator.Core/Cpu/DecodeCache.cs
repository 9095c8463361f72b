using System.Runtime.CompilerServices;
using Emulator.Core.Memory;
using Iced.Intel;

namespace Emulator.Core.Cpu;

/// <summary>
/// Decoded instructions cached per physical 4 KiB page (DESIGN.md §4). The key includes the
/// code-segment size, since the same bytes decode differently in 16- and 32-bit code.
///
/// Self-modifying code: each page tracks which 64-byte chunks hold cached instructions. A write
/// to a marked page drops only the slots of the written chunks (and of the chunk before, whose
/// instructions may reach into them), so data that shares a page with code costs little; a page
/// with no cached code left stops being watched.
/// </summary>
internal sealed class DecodeCache
{
    private const int ChunkShift = 6;

    internal sealed class Page
    {
        public readonly Instruction[] Slots = new Instruction[4096];
        /// <summary>0 = empty, 1 = decoded as 16-bit code, 2 = as 32-bit code.</summary>
        public readonly byte[] State = new byte[4096];
        /// <summary>Bit n set: chunk n (64 bytes) holds the bytes of at least one cached instruction.</summary>
        public ulong ChunkMask;
    }

    private readonly PhysicalMemory _memory;
    // Indexed by physical page frame number; pages are created the first time code runs there.
    private readonly Page?[] _pages = new Page?[1 << 20];
    private readonly List<uint> _allocated = new();
    private Page? _lastPage;
    private uint _lastPfn = uint.MaxValue;

    public DecodeCache(PhysicalMemory memory)
    {
        _memory = memory;
        memory.CodePageWritten += OnCodeWrite;
    }

    /// <summary>The page holding <paramref name="phys"/> (as the last <see cref="Lookup"/> left it: created if new).</summary>
    public Page PageOf(uint phys)
    {
        if (phys >> 12 != _lastPfn) Lookup(phys, false, out _);
        return _lastPage!;
    }

    /// <summary>Returns the slot for <paramref name="phys"/>; <paramref name="hit"/> says whether it holds a decode for this code size.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public ref Instruction Lookup(uint phys, bool code32, out bool hit)
    {
        uint pfn = phys >> 12;
        Page? page = _lastPage;
        if (pfn != _lastPfn)
        {
            page = _pages[pfn];
            if (page == null)
            {
                page = new Page();
                _pages[pfn] = page;
                _allocated.Add(pfn);
            }
            _lastPage = page;
            _lastPfn = pfn;
        }
        int off = (int)(phys & 0xFFF);
        hit = page!.State[off] == (code32 ? 2 : 1);
        return ref page.Slots[off];
    }

    /// <summary>Marks the slot for <paramref name="phys"/> (filled by the caller) as valid for <paramref name="length"/> bytes.</summary>
    public void Commit(uint phys, bool code32, int length)
    {
        uint pfn = phys >> 12;
        var page = _pages[pfn];
        if (page == null) return;
        int off = (int)(phys & 0xFFF);
        page.State[off] = (byte)(code32 ? 2 : 1);
        int first = off >> ChunkShift, last = (off + length - 1) >> ChunkShift;
        for (int c = first; c <= last; c++) page.ChunkMask |= 1ul << c;
        _memory.MarkCodePage(pfn);
    }

    private void OnCodeWrite(uint addr, int size)
    {
        uint pfn = addr >> 12;
        var page = _pages[pfn];
        if (page == null) { _memory.ClearCodePage(pfn); return; }
        int first = (int)(addr & 0xFFF) >> ChunkShift;
        int last = (int)((addr & 0xFFF) + (uint)size - 1) >> ChunkShift;
        if (last > 63) last = 63;
        for (int c = first; c <= last; c++)
        {
            if ((page.ChunkMask & (1ul << c)) == 0) continue;
            page.ChunkMask &= ~(1ul << c);
            // Instructions that start in the previous chunk may extend into this one.
            int from = (c == 0 ? 0 : c - 1) << ChunkShift;
            Array.Clear(page.State, from, (c + 1 - (c == 0 ? 0 : c - 1)) << ChunkShift);
        }
        if (page.ChunkMask == 0) _memory.ClearCodePage(pfn);
    }

    public void Clear()
    {
        foreach (uint pfn in _allocated)
        {
            var page = _pages[pfn]!;
            // No chunk marked: no slot is valid (Commit marks every chunk it fills, a write clears
            // the slots of the chunks it unmarks), and the page is no longer watched.
            if (page.ChunkMask == 0) continue;
            _memory.ClearCodePage(pfn);
            Array.Clear(page.State);
            page.ChunkMask = 0;
        }
        _lastPfn = uint.MaxValue;
        _lastPage = null;
    }
}
