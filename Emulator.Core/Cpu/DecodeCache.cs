using System.Runtime.CompilerServices;
using Emulator.Core.Memory;
using Iced.Intel;

namespace Emulator.Core.Cpu;

/// <summary>
/// Decoded instructions cached per physical 4 KiB page (DESIGN.md §4). The key includes the
/// code-segment size, since the same bytes decode differently in 16- and 32-bit code. A write to
/// a page with cached code drops that page (self-modifying code).
/// </summary>
internal sealed class DecodeCache
{
    private sealed class Page
    {
        public readonly Instruction[] Slots = new Instruction[4096];
        /// <summary>0 = empty, 1 = decoded as 16-bit code, 2 = as 32-bit code.</summary>
        public readonly byte[] State = new byte[4096];
    }

    private readonly PhysicalMemory _memory;
    private readonly Dictionary<uint, Page> _pages = new();
    private Page? _lastPage;
    private uint _lastPfn = uint.MaxValue;
    private readonly Stack<Page> _free = new();

    public DecodeCache(PhysicalMemory memory)
    {
        _memory = memory;
        memory.CodePageWritten += Invalidate;
    }

    /// <summary>Returns the slot for <paramref name="phys"/>; <paramref name="hit"/> says whether it holds a decode for this code size.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public ref Instruction Lookup(uint phys, bool code32, out bool hit)
    {
        uint pfn = phys >> 12;
        Page? page = pfn == _lastPfn ? _lastPage : null;
        if (page == null)
        {
            if (!_pages.TryGetValue(pfn, out page))
            {
                page = _free.Count > 0 ? _free.Pop() : new Page();
                _pages[pfn] = page;
                _memory.MarkCodePage(pfn);
            }
            _lastPage = page;
            _lastPfn = pfn;
        }
        int off = (int)(phys & 0xFFF);
        hit = page.State[off] == (code32 ? 2 : 1);
        return ref page.Slots[off];
    }

    /// <summary>Marks the slot last returned by Lookup for <paramref name="phys"/> as valid.</summary>
    public void Commit(uint phys, bool code32)
    {
        if (_pages.TryGetValue(phys >> 12, out var page)) page.State[phys & 0xFFF] = (byte)(code32 ? 2 : 1);
    }

    private void Invalidate(uint pfn)
    {
        if (_pages.Remove(pfn, out var page))
        {
            Array.Clear(page.State);
            _free.Push(page);
        }
        if (_lastPfn == pfn) { _lastPfn = uint.MaxValue; _lastPage = null; }
    }

    public void Clear()
    {
        foreach (var (pfn, page) in _pages)
        {
            _memory.ClearCodePage(pfn);
            Array.Clear(page.State);
            _free.Push(page);
        }
        _pages.Clear();
        _lastPfn = uint.MaxValue;
        _lastPage = null;
    }
}
