using System.Buffers.Binary;
using Emulator.Core.Hypervisor;
using static Emulator.Core.Hypervisor.XenAbi;

namespace Emulator.Core.Fuzzing;

/// <summary>
/// Makes the hostile guest's next hypercall: a seeded mix of mmu_update, mmuext_op,
/// update_va_mapping, multicall (nested and long ones too), set_trap_table, event_channel_op,
/// set_timer_op, vcpu_op timers and unknown numbers. Values are biased toward what matters to the
/// PV MMU (XEN-ABI.md §6): entries of the domain's live page tables and of a pool of spare frames it
/// builds tables in, targets that are its own frames, its page-table frames, shared_info, the
/// hypervisor's frames or beyond RAM, allowed and forbidden flags, and pointers that are good,
/// read-only, unmapped, straddling the end of the mapping or in the hypervisor hole. A share of the
/// calls mutates one that succeeded before. Argument buffers are written into guest memory through
/// the guest's own mappings, as the guest would write them.
/// </summary>
public sealed class HypercallGenerator
{
    /// <summary>The spare frames (outside the bootstrap mapping) the guest builds page tables in.</summary>
    public const int SpareFrames = 48;
    /// <summary>Entries in a long list: past <see cref="XenHypervisor.PreemptUnits"/>, so the call is continued.</summary>
    public const int LongList = XenHypervisor.PreemptUnits + 100;
    /// <summary>The size of the guest's argument area.</summary>
    public const uint BufferBytes = 0x40000;
    private const int Remembered = 64;

    private readonly XenHypervisor _hv;
    private readonly XenDomainInfo _info;
    private readonly SplitMix64 _rng;
    private readonly uint[] _bootstrapTables;
    private readonly uint[] _spares;
    private readonly uint[] _pool;
    private readonly uint _mappedPages;
    private readonly uint _bufferBase;
    private uint _bufferNext;
    private List<FuzzBuffer> _buffers = new();
    private readonly List<uint> _ports = new();
    private readonly (ulong Ptr, ulong Val)[] _goodUpdates = new (ulong, ulong)[Remembered];
    private int _goodUpdateCount;
    private readonly (uint Va, ulong Val)[] _goodMappings = new (uint, ulong)[Remembered];
    private int _goodMappingCount;

    public HypercallGenerator(XenHypervisor hv, XenDomainInfo info, ulong seed)
    {
        _hv = hv;
        _info = info;
        _rng = new SplitMix64(seed);
        _mappedPages = (info.VirtEnd - info.VirtStart) >> 12;
        if (_mappedPages + SpareFrames > hv.NrPages)
            throw new ArgumentException($"the domain has {hv.NrPages} pages: too few for {SpareFrames} spare frames after its {_mappedPages} mapped ones");
        _bootstrapTables = new uint[info.PageTableFrames];
        for (uint k = 0; k < info.PageTableFrames; k++) _bootstrapTables[k] = MfnOf(info.PageTablesVa + k * 4096);
        _spares = new uint[SpareFrames];
        for (uint k = 0; k < SpareFrames; k++) _spares[k] = hv.P2m[_mappedPages + k];
        _pool = _bootstrapTables.Concat(_spares).ToArray();
        _bufferBase = info.StackTop;
        if (_bufferBase + BufferBytes > info.VirtEnd)
            throw new ArgumentException("the bootstrap mapping leaves no room for argument buffers after the stack");
    }

    /// <summary>Where the guest keeps argument buffers: read-write pages after its stack.</summary>
    public uint BufferBase => _bufferBase;

    private uint MfnOf(uint va) => _hv.P2m[(va - _info.VirtStart) >> 12];

    /// <summary>The next call; its buffers are already in guest memory.</summary>
    public FuzzedCall Next()
    {
        _bufferNext = _bufferBase;
        _buffers = new List<FuzzBuffer>();
        uint r = _rng.Below(100);
        var (nr, a) = r switch
        {
            < 25 => MmuUpdateCall(),
            < 43 => MmuextCall(),
            < 60 => UpdateVaMappingCall(),
            < 70 => MulticallCall(),
            < 75 => TrapTableCall(),
            < 88 => EventChannelCall(),
            < 93 => TimerCall(),
            < 97 => VcpuTimerCall(),
            _ => UnknownCall(),
        };
        return new FuzzedCall(nr, a[0], a[1], a[2], a[3], a[4], _buffers);
    }

    /// <summary>Tells the generator how a call ended, so that successful ones can be mutated later and bound ports reused.</summary>
    public void Learn(FuzzedCall call, int result)
    {
        if (result < 0) return;
        switch (call.Number)
        {
            case XenAbi.MmuUpdate:
                foreach (var b in call.Buffers)
                    if (b.Kind == FuzzBufferKind.MmuUpdates && b.Bytes.Length >= 16)
                        _goodUpdates[_goodUpdateCount++ % Remembered] =
                            (BinaryPrimitives.ReadUInt64LittleEndian(b.Bytes), BinaryPrimitives.ReadUInt64LittleEndian(b.Bytes.AsSpan(8)));
                break;
            case XenAbi.UpdateVaMapping:
                _goodMappings[_goodMappingCount++ % Remembered] = (call.Arg1, call.Arg2 | ((ulong)call.Arg3 << 32));
                break;
            case EventChannelOp when call.Arg1 is 1 or 6 or 7 && call.Buffers.Count > 0 && call.Buffers[0].Written:
                // The port the hypervisor wrote back (bind_virq at +8, alloc_unbound at +4, bind_ipi at +4).
                uint at = call.Buffers[0].Va + (call.Arg1 == 1 ? 8u : 4u);
                if (_hv.ReadGuest32(at, out uint port) && _ports.Count < 256) _ports.Add(port);
                break;
        }
    }

    // ---- Buffers and pointers ---------------------------------------------------------------

    private uint Allocate(int bytes)
    {
        uint va = _bufferNext;
        _bufferNext = (uint)((_bufferNext + (uint)bytes + 7) & ~7u);
        if (_bufferNext > _bufferBase + BufferBytes) throw new InvalidOperationException("argument buffers overflowed their area");
        return va;
    }

    /// <summary>Writes <paramref name="bytes"/> where the guest keeps buffers and returns a pointer: usually to them, sometimes a bad one.</summary>
    private uint Buffer(FuzzBufferKind kind, byte[] bytes, uint badPercent = 6)
    {
        if (_rng.Chance(badPercent)) return BadPointer((uint)bytes.Length);
        uint va = Allocate(bytes.Length);
        bool written = _hv.WriteGuest(va, bytes);
        _buffers.Add(new FuzzBuffer(va, kind, bytes, written));
        return va;
    }

    /// <summary>A pointer a careful hypervisor must not trust.</summary>
    private uint BadPointer(uint length) => _rng.Below(8) switch
    {
        0 => 0,
        1 => HypervisorVirtStart + (_rng.Below(0x100000) & ~3u),                  // the M2P: mapped, but the hypervisor's
        2 => XenMachineLayout.GdtVirt + _rng.Below(0x10000),
        3 => 0x40000000 + (_rng.Below(0x100000) & ~3u),                           // no L2 there
        4 => _info.VirtEnd - Math.Max(1, length / 2),                             // straddles the end of the mapping
        5 => _info.PageTablesVa + (_rng.Below(_info.PageTableFrames * 4096) & ~7u), // readable, read-only: the guest's page tables
        6 => 0xFFFFFFFF - _rng.Below(16),                                         // wraps
        _ => _rng.Next32(),
    };

    // ---- Frames, entries and virtual addresses --------------------------------------------

    /// <summary>A pseudo-physical page of the guest's free memory after its argument area.</summary>
    private uint FreePage() => (_bufferBase + BufferBytes - _info.VirtStart >> 12) + _rng.Below((_info.VirtEnd - _bufferBase - BufferBytes) >> 12);

    private uint DataFrame() => _hv.P2m[_rng.Below(_mappedPages)];
    private uint AnyDomainFrame() => _hv.P2m[_rng.Below(_hv.NrPages)];
    private uint PoolFrame() => _rng.Chance(35) ? _rng.Pick(_bootstrapTables) : _rng.Pick(_spares);

    /// <summary>A pool frame the PV MMU currently has as <paramref name="t"/> (a guest knows its own tables), else any pool frame.</summary>
    private uint PoolFrameTyped(PageType t)
    {
        uint start = _rng.Below((uint)_pool.Length);
        for (int k = 0; k < _pool.Length; k++)
        {
            uint f = _pool[(start + k) % _pool.Length];
            if (_hv.Mmu.TypeOf(f) == t) return f;
        }
        return PoolFrame();
    }

    private uint HypervisorFrame() => _rng.Below(6) switch
    {
        0 => XenMachineLayout.GdtFrame,
        1 => XenMachineLayout.GdtL1Frame,
        2 => XenMachineLayout.FirstM2pL1Frame,
        3 => _hv.Layout.FirstM2pFrame + _rng.Below(_hv.Layout.M2pFrames),
        4 => XenMachineLayout.ZeroFrame,
        _ => _rng.Below(_hv.Layout.FirstDomainFrame),
    };

    /// <summary>A frame an entry at <paramref name="level"/> might point at: mostly one that validates there, sometimes one that must not.</summary>
    private ulong Target(PageType level)
    {
        uint r = _rng.Below(100);
        if (r < 55)
            return level switch
            {
                // Mostly data: a pool frame mapped writable can no longer become a table (until it is unmapped).
                PageType.L1 => _rng.Chance(85) ? DataFrame() : PoolFrame(),
                PageType.L2 => _rng.Chance(60) ? PoolFrameTyped(PageType.L1) : PoolFrame(),
                _ => _rng.Chance(60) ? PoolFrameTyped(PageType.L2) : PoolFrame(),
            };
        if (r < 70) return PoolFrame();
        if (r < 78) return AnyDomainFrame();
        if (r < 83) return XenMachineLayout.SharedInfoFrame;
        if (r < 91) return HypervisorFrame();
        if (r < 96) return _hv.Mmu.FrameCount + _rng.Below(0x10000);
        return _rng.Next() & (PvMmu.AddressMask >> 12);
    }

    private ulong Flags(PageType level)
    {
        const ulong P = PvMmu.P, RW = PvMmu.RW, US = PvMmu.US, A = PvMmu.A, D = PvMmu.D;
        uint r = _rng.Below(100);
        ulong f = level switch
        {
            PageType.L1 => r switch { < 30 => P | RW | A | D, < 55 => P | A, < 65 => P | RW | US | A | D, < 72 => P | US, _ => 0 },
            PageType.L2 => r switch { < 50 => P | RW | US | A | D, < 70 => P | A, _ => 0 },
            _ => r < 70 ? P : 0,
        };
        if (f == 0)
        {
            // Anything: forbidden bits (PWT, PCD, PSE, G at L2, PAT), bit 62, NX, AVL, not present.
            f = _rng.Next() & 0xFFF;
            if (_rng.Chance(20)) f |= 1ul << 63;
            if (_rng.Chance(10)) f |= 1ul << 62;
            if (_rng.Chance(10)) f |= (ulong)_rng.Below(0x800) << 52;
        }
        return f;
    }

    private ulong Entry(PageType level)
    {
        if (_rng.Chance(8)) return _rng.Chance(50) ? 0 : _rng.Next();
        ulong target = Target(level), flags = Flags(level);
        // A guest maps its table frames read-only, mostly: a writable mapping keeps a frame from becoming a table.
        if (level == PageType.L1 && Array.IndexOf(_pool, (uint)target) >= 0 && _rng.Chance(85)) flags &= ~PvMmu.RW;
        return (target << 12) | flags;
    }

    /// <summary>The level a pool frame's entries are written for: its type if it has one, else a guess.</summary>
    private PageType LevelOf(uint mfn)
    {
        PageType t = _hv.Mmu.TypeOf(mfn);
        return t switch
        {
            PageType.L1 or PageType.L2 or PageType.L3 => t,
            PageType.L2Xen => PageType.L2,
            _ => _rng.Below(3) switch { 0 => PageType.L1, 1 => PageType.L2, _ => PageType.L3 },
        };
    }

    private uint Slot(PageType level) => level == PageType.L3 && _rng.Chance(80) ? _rng.Below(4)
        : _rng.Chance(10) ? (uint)PvMmu.XenL2FirstSlot + _rng.Below(512 - PvMmu.XenL2FirstSlot) : _rng.Below(512);

    /// <summary>A virtual address for update_va_mapping or INVLPG.</summary>
    private uint VirtualAddress() => _rng.Below(100) switch
    {
        < 35 => _bufferBase + BufferBytes + _rng.Below(_info.VirtEnd - _bufferBase - BufferBytes) & ~0xFFFu, // mapped, the guest's free pages
        < 55 => _info.VirtStart + (_rng.Below(_mappedPages) << 12),                                            // anywhere it maps
        < 62 => _info.PageTablesVa + (_rng.Below(_info.PageTableFrames) << 12),                                 // its page tables
        < 67 => _bufferBase + (_rng.Below(BufferBytes >> 12) << 12),                                             // its own buffers
        < 77 => _info.VirtEnd + (_rng.Below(0x200000) & ~0xFFFu),                                               // past the mapping
        < 85 => HypervisorVirtStart + (_rng.Below(0x0A800000) & ~0xFFFu),                                       // the hole
        _ => _rng.Next32() & ~(_rng.Chance(50) ? 0xFFFu : 0u),
    };

    // ---- The calls -------------------------------------------------------------------------

    private static uint[] Args(uint a1 = 0, uint a2 = 0, uint a3 = 0, uint a4 = 0, uint a5 = 0) => new[] { a1, a2, a3, a4, a5 };

    private uint ForeignDom() => _rng.Below(100) switch
    {
        < 85 => DomidSelf,
        < 90 => OwnDomid,
        < 94 => 0,
        _ => _rng.Next32(),
    };

    /// <summary>*done: usually a good pointer, sometimes none, sometimes a bad one.</summary>
    private uint DonePointer() => _rng.Below(100) switch
    {
        < 55 => Buffer(FuzzBufferKind.Bytes, new byte[4], 0),
        < 90 => 0,
        _ => BadPointer(4),
    };

    private int ListLength() => _rng.Below(100) switch
    {
        < 70 => 1,
        < 90 => 2 + (int)_rng.Below(4),
        < 97 => 6 + (int)_rng.Below(30),
        _ => LongList + (int)_rng.Below(200),
    };

    /// <summary>Entries past this index of a list are ones that succeed, so that long lists get far enough to be continued.</summary>
    private const int FuzzedEntries = 32;

    private (ulong Ptr, ulong Val) MmuUpdateRequest()
    {
        if (_goodUpdateCount > 0 && _rng.Chance(25))
        {
            var (ptr, val) = _goodUpdates[_rng.Below((uint)Math.Min(_goodUpdateCount, Remembered))];
            switch (_rng.Below(5))
            {
                case 0: val ^= 1ul << (int)_rng.Below(64); break;                          // one bit of the entry
                case 1: val = (val & ~PvMmu.AddressMask) | (Target(LevelOf((uint)(ptr >> 12))) << 12); break; // another target
                case 2: ptr = (ptr & ~0xFFFul) | ((ptr + 8 * (_rng.Below(3) - 1u)) & 0xFF8) | (ptr & 7); break; // a neighbouring slot
                case 3: val = 0; break;                                                    // undo it
                default: break;                                                            // again, as it was
            }
            return (ptr, val);
        }
        uint r = _rng.Below(100);
        if (r < 60)
        {
            uint table = PoolFrame();
            PageType level = LevelOf(table);
            ulong ptr = ((ulong)table << 12) + Slot(level) * 8;
            if (_rng.Chance(8)) ptr |= 2; // MMU_PT_UPDATE_PRESERVE_AD
            return (ptr, Entry(level));
        }
        if (r < 78) return (((ulong)DataFrame() << 12) + (_rng.Below(512) * 8), _rng.Next()); // a plain store
        if (r < 85) return (((ulong)AnyDomainFrame() << 12) | 1, _rng.Chance(80) ? _rng.Below(_hv.NrPages) : _rng.Next()); // MMU_MACHPHYS_UPDATE
        if (r < 90) return (((ulong)HypervisorFrame() << 12) + _rng.Below(512) * 8 + (_rng.Chance(20) ? 1u : 0u), Entry(PageType.L1));
        if (r < 93) return (((ulong)XenMachineLayout.SharedInfoFrame << 12) + _rng.Below(512) * 8, _rng.Next());
        if (r < 96) return ((((ulong)_hv.Mmu.FrameCount + _rng.Below(0x1000)) << 12) | _rng.Below(3), Entry(PageType.L1));
        return (_rng.Next(), _rng.Next());
    }

    private (uint, uint[]) MmuUpdateCall()
    {
        int n = ListLength();
        var bytes = new byte[n * 16];
        for (int i = 0; i < n; i++)
        {
            // Past the fuzzed head: plain stores of zero into the guest's free pages (they succeed).
            var (ptr, val) = i < FuzzedEntries ? MmuUpdateRequest() : (((ulong)_hv.P2m[FreePage()] << 12) + (uint)(i % 512) * 8, 0ul);
            BinaryPrimitives.WriteUInt64LittleEndian(bytes.AsSpan(i * 16), ptr);
            BinaryPrimitives.WriteUInt64LittleEndian(bytes.AsSpan(i * 16 + 8), val);
        }
        uint reqs = Buffer(FuzzBufferKind.MmuUpdates, bytes);
        uint count = _rng.Chance(3) ? (uint)n | XenHypervisor.MmuUpdatePreempted : _rng.Chance(2) ? _rng.Next32() : (uint)n;
        return (XenAbi.MmuUpdate, Args(reqs, count, DonePointer(), ForeignDom()));
    }

    private (uint Cmd, uint Arg1, uint Arg2) MmuextOperation()
    {
        uint r = _rng.Below(100);
        uint Frame() => _rng.Below(100) switch
        {
            < 75 => PoolFrame(),
            < 85 => DataFrame(),
            < 92 => HypervisorFrame(),
            < 95 => XenMachineLayout.SharedInfoFrame,
            _ => _rng.Chance(50) ? _hv.Mmu.FrameCount + _rng.Below(100) : _rng.Next32(),
        };
        if (r < 36) return (_rng.Below(4), Frame(), 0);                               // PIN_L1..L4
        if (r < 52) return (4, _rng.Chance(60) ? PoolFrameTyped(_rng.Chance(50) ? PageType.L1 : PageType.L2) : Frame(), 0); // UNPIN
        if (r < 64)                                                                  // NEW_BASEPTR
            return (5, _rng.Below(100) switch { < 40 => _info.L3Mfn, < 70 => PoolFrameTyped(PageType.L3), _ => Frame() }, 0);
        if (r < 72) return (_rng.Chance(50) ? 6u : 10u, _rng.Next32(), 0);            // TLB flushes
        if (r < 82) return (_rng.Chance(50) ? 7u : 11u, VirtualAddress(), 0);         // INVLPG
        if (r < 88)                                                                  // the _MULTI forms read a vCPU mask
        {
            uint mask = _rng.Chance(70) ? Buffer(FuzzBufferKind.Bytes, new byte[] { 1, 0, 0, 0 }, 0) : BadPointer(4);
            return (_rng.Chance(50) ? 8u : 9u, VirtualAddress(), mask);
        }
        if (r < 92) return (13, _rng.Chance(50) ? 0 : _rng.Next32(), _rng.Chance(50) ? 0 : _rng.Below(8192)); // SET_LDT
        return (_rng.Below(24), _rng.Next32(), _rng.Next32());                         // anything, cache flushes and unknowns too
    }

    private (uint, uint[]) MmuextCall()
    {
        int n = ListLength();
        var bytes = new byte[n * 12];
        for (int i = 0; i < n; i++)
        {
            var (cmd, a1, a2) = i >= FuzzedEntries ? (6u, 0u, 0u) : MmuextOperation(); // past the fuzzed head: TLB flushes
            BinaryPrimitives.WriteUInt32LittleEndian(bytes.AsSpan(i * 12), cmd);
            BinaryPrimitives.WriteUInt32LittleEndian(bytes.AsSpan(i * 12 + 4), a1);
            BinaryPrimitives.WriteUInt32LittleEndian(bytes.AsSpan(i * 12 + 8), a2);
        }
        uint ops = Buffer(FuzzBufferKind.MmuextOps, bytes);
        uint count = _rng.Chance(3) ? (uint)n | XenHypervisor.MmuUpdatePreempted : _rng.Chance(2) ? _rng.Next32() : (uint)n;
        return (XenAbi.MmuextOp, Args(ops, count, DonePointer(), ForeignDom()));
    }

    private (uint, uint[]) UpdateVaMappingCall()
    {
        uint va;
        ulong val;
        if (_goodMappingCount > 0 && _rng.Chance(25))
        {
            (va, val) = _goodMappings[_rng.Below((uint)Math.Min(_goodMappingCount, Remembered))];
            if (_rng.Chance(70)) val ^= 1ul << (int)_rng.Below(64);
        }
        else
        {
            va = VirtualAddress();
            val = Entry(PageType.L1);
        }
        if (_rng.Chance(3)) va |= _rng.Below(0x1000);
        uint flush = _rng.Below(4);
        uint who = _rng.Below(100) switch
        {
            < 60 => 0,
            < 70 => 4, // UVMF_ALL
            < 85 => Buffer(FuzzBufferKind.Bytes, new byte[] { 1, 0, 0, 0 }, 0),
            _ => BadPointer(4) & ~3u,
        };
        return (XenAbi.UpdateVaMapping, Args(va, (uint)val, (uint)(val >> 32), flush | who));
    }

    private (uint, uint[]) MulticallCall()
    {
        int n = _rng.Below(100) switch { < 70 => 1 + (int)_rng.Below(6), < 95 => 7 + (int)_rng.Below(40), _ => LongList };
        // A count past the list's end: the list then ends the guest's mapping, so the hypervisor runs
        // off it into unmapped memory (-EFAULT) instead of running whatever the guest's memory holds.
        bool overrun = _rng.Chance(4);
        uint list = overrun ? _info.VirtEnd - (uint)n * 32 : Allocate(n * 32);
        var bytes = new byte[n * 32];
        for (int i = 0; i < n; i++)
        {
            uint nr;
            uint[] a;
            if (i >= FuzzedEntries) (nr, a) = (XenAbi.MmuextOp, Args(0, 0, 0, DomidSelf));     // long lists: empty mmuext_ops
            else
                (nr, a) = _rng.Below(100) switch
                {
                    < 25 => MmuUpdateCall(),
                    < 45 => MmuextCall(),
                    < 65 => UpdateVaMappingCall(),
                    < 70 => ((uint)XenAbi.Multicall, Args(list, (uint)n)),                       // nested: refused
                    < 78 => TrapTableCall(),
                    < 90 => EventChannelCall(),
                    < 95 => TimerCall(),
                    _ => UnknownCall(),
                };
            var e = bytes.AsSpan(i * 32);
            BinaryPrimitives.WriteUInt32LittleEndian(e, nr);
            BinaryPrimitives.WriteUInt32LittleEndian(e[4..], 0xDEADBEEF); // the result field, overwritten by the hypervisor
            for (int k = 0; k < 5; k++) BinaryPrimitives.WriteUInt32LittleEndian(e[(8 + 4 * k)..], a[k]);
        }
        // A bad list pointer is one the hypervisor must refuse, never guest memory holding something else.
        bool bad = _rng.Chance(5);
        uint ptr = bad ? _rng.Below(4) switch
        {
            0 => 0x40000000u,
            1 => HypervisorVirtStart + (_rng.Below(0x100000) & ~31u),
            2 => 0xFFFFFFE0u,
            _ => _info.VirtEnd,
        } : list;
        if (!bad) _buffers.Insert(0, new FuzzBuffer(list, FuzzBufferKind.MulticallEntries, bytes, _hv.WriteGuest(list, bytes)));
        uint count = overrun ? (_rng.Chance(50) ? (uint)n + 1 + _rng.Below(8) : _rng.Next32()) : _rng.Chance(2) ? 0 : (uint)n;
        return (XenAbi.Multicall, Args(ptr, count));
    }

    private (uint, uint[]) TrapTableCall()
    {
        if (_rng.Chance(10)) return (SetTrapTable, Args(0));
        int n = 1 + (int)_rng.Below(8);
        var bytes = new byte[(n + 1) * 8];
        for (int i = 0; i < n; i++)
        {
            var e = bytes.AsSpan(i * 8);
            e[0] = _rng.Chance(70) ? (byte)_rng.Below(32) : (byte)_rng.Below(256);
            e[1] = (byte)(_rng.Chance(70) ? _rng.Below(4) : _rng.Below(256));
            BinaryPrimitives.WriteUInt16LittleEndian(e[2..], _rng.Chance(70) ? FlatRing1Cs : (ushort)_rng.Below(0x10000));
            BinaryPrimitives.WriteUInt32LittleEndian(e[4..], _rng.Chance(90) ? _info.VirtStart + _rng.Below(_mappedPages << 12) | 1 : _rng.Next32());
        }
        // The terminating entry (address 0), unless the table runs on into whatever follows it.
        if (_rng.Chance(10)) BinaryPrimitives.WriteUInt32LittleEndian(bytes.AsSpan(n * 8 + 4), _rng.Next32() | 1);
        return (SetTrapTable, Args(Buffer(FuzzBufferKind.TrapTable, bytes)));
    }

    private uint Port() => _rng.Below(100) switch
    {
        < 60 when _ports.Count > 0 => _ports[(int)_rng.Below((uint)_ports.Count)],
        < 80 => 1 + _rng.Below(16),
        < 90 => _rng.Below(NrEventChannels + 8),
        _ => _rng.Next32(),
    };

    private (uint, uint[]) EventChannelCall()
    {
        uint r = _rng.Below(100);
        uint cmd;
        var b = new byte[24]; // the largest argument: evtchn_status
        var s = b.AsSpan();
        if (r < 18)
        {
            cmd = 1; // bind_virq {virq, vcpu, OUT port}
            BinaryPrimitives.WriteUInt32LittleEndian(s, _rng.Chance(70) ? _rng.Below(NrVirqs) : _rng.Next32());
            BinaryPrimitives.WriteUInt32LittleEndian(s[4..], _rng.Chance(85) ? 0 : _rng.Below(4));
        }
        else if (r < 30)
        {
            cmd = 6; // alloc_unbound {dom, remote_dom, OUT port}
            BinaryPrimitives.WriteUInt16LittleEndian(s, _rng.Chance(80) ? DomidSelf : (ushort)_rng.Below(4));
            BinaryPrimitives.WriteUInt16LittleEndian(s[2..], _rng.Chance(80) ? DomidSelf : (ushort)_rng.Below(4));
        }
        else if (r < 40)
        {
            cmd = 7; // bind_ipi {vcpu, OUT port}
            BinaryPrimitives.WriteUInt32LittleEndian(s, _rng.Chance(85) ? 0 : _rng.Below(4));
        }
        else if (r < 95)
        {
            cmd = _rng.Below(4) switch { 0 => 3u, 1 => 4u, 2 => 9u, _ => 5u }; // close, send, unmask {port}; status {dom, port, OUT ...}
            if (cmd == 5)
            {
                BinaryPrimitives.WriteUInt16LittleEndian(s, _rng.Chance(85) ? DomidSelf : (ushort)_rng.Below(4));
                BinaryPrimitives.WriteUInt32LittleEndian(s[4..], Port());
            }
            else
            {
                BinaryPrimitives.WriteUInt32LittleEndian(s, Port());
                BinaryPrimitives.WriteUInt32LittleEndian(s[4..], _rng.Next32());
            }
        }
        else
        {
            cmd = _rng.Below(16);
            BinaryPrimitives.WriteUInt64LittleEndian(s, _rng.Next());
        }
        return (EventChannelOp, Args(cmd, Buffer(FuzzBufferKind.Bytes, b)));
    }

    private (uint, uint[]) TimerCall()
    {
        ulong now = _hv.SystemTimeNs;
        ulong ns = _rng.Below(100) switch
        {
            < 40 => now + _rng.Below(2_000_000),       // soon: it fires while the fuzzer runs
            < 55 => 0,                                 // cancel
            < 70 => now > 1000 ? now - _rng.Below(1000) : 1, // past
            < 80 => now + (1ul << 51),                 // a jiffies wrap: moved to 100 ms
            < 90 => 0x8000000000000000ul | _rng.Next(), // "negative"
            _ => _rng.Next(),
        };
        return (XenAbi.SetTimerOp, Args((uint)ns, (uint)(ns >> 32)));
    }

    private (uint, uint[]) VcpuTimerCall()
    {
        uint cmd = _rng.Below(100) switch { < 45 => 8u, < 65 => 9u, < 80 => 3u, _ => _rng.Below(16) };
        var b = new byte[12];
        ulong now = _hv.SystemTimeNs;
        BinaryPrimitives.WriteUInt64LittleEndian(b, _rng.Chance(60) ? now + _rng.Below(2_000_000) : _rng.Chance(50) ? now / 2 : _rng.Next());
        BinaryPrimitives.WriteUInt32LittleEndian(b.AsSpan(8), _rng.Chance(70) ? _rng.Below(2) : _rng.Next32()); // VCPU_SSHOTTMR_future
        uint vcpu = _rng.Chance(90) ? 0 : _rng.Next32();
        return (VcpuOp, Args(cmd, vcpu, Buffer(FuzzBufferKind.Bytes, b)));
    }

    private (uint, uint[]) UnknownCall()
    {
        // Numbers the hypervisor does not implement (never iret, sched_op or the callback registrations:
        // the harness does not run the guest's code, so it could not take the frames they would bounce).
        uint[] unknown = { 2, 6, 7, 8, 9, 10, 11, 16, 19, 20, 22, 25, 27, 28, 31, 33, 34, 35, 36, 37, 38, 39, 40, 41, 42, 48, 64, 127 };
        uint nr = _rng.Chance(90) ? _rng.Pick(unknown) : 43 + _rng.Below(0xFFFF);
        return (nr, Args(_rng.Next32(), _rng.Next32(), _rng.Next32(), _rng.Next32(), _rng.Next32()));
    }
}
