using Emulator.Core.Bus;
using Emulator.Core.Cpu;
using Emulator.Core.Machine;
using Emulator.Core.Memory;
using Emulator.Core.Timing;
using Emulator.Core.Tracing;
using Serilog;
using static Emulator.Core.Hypervisor.XenAbi;
using CpuCore = Emulator.Core.Cpu.Cpu;

namespace Emulator.Core.Hypervisor;

/// <summary>
/// The in-emulator Xen-like hypervisor for one 32-bit PAE PV guest in ring 1 (DESIGN.md §5-§6,
/// XEN-ABI.md). It owns the machine: the CPU hands it every exception, interrupt and int 0x82
/// first (<see cref="Intercept"/>); hypercalls are dispatched by Xen's numbers; exceptions are
/// reflected to the guest's trap table as bounce frames on its ring-1 stack; page tables change
/// only through the <see cref="PvMmu"/>. Its own state lives here, in C#, outside guest memory.
/// </summary>
public sealed partial class XenHypervisor : ICpuHypervisor
{
    private readonly CpuCore _cpu;
    private readonly PhysicalMemory _mem;
    private readonly VirtualClock _clock;
    private readonly IMachineControl _control;
    private readonly ILogger _log;
    private readonly Stream? _console;

    public XenMachineLayout Layout { get; }
    /// <summary>Machine memory.</summary>
    public PhysicalMemory Memory => _mem;
    public PvMmu Mmu { get; }
    /// <summary>The P2M: the machine frame behind each pseudo-physical frame of the domain.</summary>
    public uint[] P2m { get; }
    public ulong P2mSeed { get; }
    public uint NrPages => Layout.DomainPages;
    /// <summary>Machine address of the shared_info page.</summary>
    public uint SharedInfo => XenMachineLayout.SharedInfoFrame << 12;

    /// <summary>Raised after every hypercall (also each entry of a multicall). Nothing is allocated when nobody listens.</summary>
    public event Action<HypercallEvent>? HypercallCompleted;

    /// <summary>Where trace events go (hypercalls are traced by listening to <see cref="HypercallCompleted"/>); null when nothing records.</summary>
    public Tracer? Tracer
    {
        get => _tracer;
        set { _tracer = value; Mmu.Tracer = value; }
    }
    private Tracer? _tracer;

    /// <summary>Set once the domain shut down or crashed.</summary>
    public bool DomainDead { get; private set; }

    /// <summary>The machine RAM a domain of <paramref name="domainPages"/> pages needs, hypervisor area included.</summary>
    public static ulong MachineRamBytes(uint domainPages) => new XenMachineLayout(domainPages).MachineBytes;

    /// <summary>
    /// Takes over a machine whose RAM is <see cref="MachineRamBytes"/>: assigns frames, builds the
    /// hypervisor area (GDT, M2P, shared_info) and hooks into the CPU. The domain's memory is empty
    /// until <see cref="DomainBuilder"/> loads a kernel.
    /// </summary>
    public XenHypervisor(CpuCore cpu, IMachineControl control, uint domainPages, ulong p2mSeed, Stream? console, ILogger? log = null)
    {
        _cpu = cpu;
        _mem = cpu.Memory;
        _clock = cpu.Clock;
        _control = control;
        _console = console;
        _log = log ?? Serilog.Log.Logger;
        Layout = new XenMachineLayout(domainPages);
        if (_mem.RamSize >> 12 < Layout.TotalFrames)
            throw new ArgumentException($"the machine has {_mem.RamSize >> 12} frames; the domain needs {Layout.TotalFrames}");
        Mmu = new PvMmu(_mem, cpu, _clock);
        P2mSeed = p2mSeed;
        P2m = BuildP2m(domainPages, Layout.FirstDomainFrame, p2mSeed);
        BuildHypervisorArea();
        _onTimer = OnTimer;
        cpu.Hypervisor = this;
        // sched_op(block) idles the vCPU with HLT semantics: the CPU loop needs an interrupt source to wait for time.
        cpu.InterruptController ??= NoInterrupts.Instance;
        (control as Machine.Machine)?.RegisterSnapshotState(this);
    }

    private sealed class NoInterrupts : IInterruptController
    {
        public static readonly NoInterrupts Instance = new();
        public bool InterruptPending => false;
        public byte AcknowledgeInterrupt() => 0;
    }

    /// <summary>
    /// A deterministic non-identity permutation of the domain's machine frames: a Fisher-Yates
    /// shuffle driven by SplitMix64 from the seed (DESIGN.md §3: seeded, never random).
    /// </summary>
    public static uint[] BuildP2m(uint pages, uint firstFrame, ulong seed)
    {
        var p2m = new uint[pages];
        for (uint i = 0; i < pages; i++) p2m[i] = firstFrame + i;
        ulong state = seed;
        for (uint i = pages - 1; i > 0; i--)
        {
            state += 0x9E3779B97F4A7C15ul;
            ulong z = state;
            z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ul;
            z = (z ^ (z >> 27)) * 0x94D049BB133111EBul;
            z ^= z >> 31;
            uint j = (uint)(z % (i + 1));
            (p2m[i], p2m[j]) = (p2m[j], p2m[i]);
        }
        // Never the identity order (relative to the first domain frame), however small the domain.
        bool identity = true;
        for (uint i = 0; i < pages && identity; i++) identity = p2m[i] == firstFrame + i;
        if (identity && pages > 1) (p2m[0], p2m[1]) = (p2m[1], p2m[0]);
        return p2m;
    }

    private void BuildHypervisorArea()
    {
        var L = Layout;
        for (uint f = 0; f < L.FirstDomainFrame; f++) Mmu.SetOwner(f, FrameOwner.Xen);
        for (uint f = L.FirstDomainFrame; f < L.TotalFrames; f++) Mmu.SetOwner(f, FrameOwner.Domain);
        // shared_info belongs to the hypervisor but is shared with the domain: mappable, never a page table.
        Mmu.SetOwner(XenMachineLayout.SharedInfoFrame, FrameOwner.Domain);
        Mmu.ForbidPageTable(XenMachineLayout.SharedInfoFrame);

        // M2P: invalid (all ones) except for the domain's frames.
        for (uint mfn = 0; mfn < L.TotalFrames; mfn++) _mem.Write32(L.M2pEntryAddress(mfn), 0xFFFFFFFF);
        for (uint pfn = 0; pfn < P2m.Length; pfn++) _mem.Write32(L.M2pEntryAddress(P2m[pfn]), pfn);

        // The hypervisor's L1s (read-only, supervisor) and the L2 entries every pae_xen_l2 carries.
        const ulong l1Flags = PvMmu.P | PvMmu.A, l2Flags = PvMmu.P | PvMmu.RW | PvMmu.A | PvMmu.D;
        for (uint k = 0; k < L.M2pL1Frames; k++)
        {
            uint l1 = (XenMachineLayout.FirstM2pL1Frame + k) << 12;
            for (uint j = 0; j < 512; j++)
            {
                uint frame = k * 512 + j;
                if (frame < L.M2pFrames) _mem.Write64(l1 + j * 8, ((ulong)(L.FirstM2pFrame + frame) << 12) | l1Flags);
            }
            Mmu.XenL2Entries[k] = ((ulong)(XenMachineLayout.FirstM2pL1Frame + k) << 12) | l2Flags;
        }
        uint gdtL1 = XenMachineLayout.GdtL1Frame << 12;
        for (uint p = 0; p < XenMachineLayout.GdtPages; p++)
        {
            uint frame = p == XenMachineLayout.ReservedGdtPage ? XenMachineLayout.GdtFrame : XenMachineLayout.ZeroFrame;
            _mem.Write64(gdtL1 + (((XenMachineLayout.GdtVirt >> 12) + p) & 511) * 8, ((ulong)frame << 12) | l1Flags);
        }
        Mmu.XenL2Entries[(int)((XenMachineLayout.GdtVirt - 0xC0000000u) >> 21) - PvMmu.XenL2FirstSlot] =
            ((ulong)XenMachineLayout.GdtL1Frame << 12) | l2Flags;

        // The flat selectors (accessed bits preset: the GDT is read-only to everyone).
        uint gdt = XenMachineLayout.GdtFrame << 12;
        _mem.Write64(gdt + (FlatRing1Cs & 0xFF8u), FlatDescriptor(code: true, dpl: 1));
        _mem.Write64(gdt + (FlatRing1Ds & 0xFF8u), FlatDescriptor(code: false, dpl: 1));
        _mem.Write64(gdt + (FlatRing3Cs & 0xFF8u), FlatDescriptor(code: true, dpl: 3));
        _mem.Write64(gdt + (FlatRing3Ds & 0xFF8u), FlatDescriptor(code: false, dpl: 3));

        // shared_info: events masked on vCPU 0, max_pfn, and the time.
        _mem.Write8(SharedInfo + SiUpcallMask, 1);
        _mem.Write32(SharedInfo + SiMaxPfn, NrPages);
        UpdateTime();
    }

    /// <summary>A flat 4 GiB, 32-bit, present and accessed code (execute/read) or data (read/write) descriptor.</summary>
    public static ulong FlatDescriptor(bool code, int dpl)
    {
        ulong access = (ulong)(0x80 | (dpl << 5) | 0x10 | (code ? 0x0B : 0x03));
        return 0x0000FFFFul | (access << 40) | (0xCFul << 48);
    }

    /// <summary>Puts vCPU 0 at the kernel's entry: ring 1 on the flat selectors, paging on with CR3 = the bootstrap L3, events masked.</summary>
    public void StartVcpu(uint l3Mfn, uint entry, uint stackTop, uint startInfoVa)
    {
        var c = _cpu;
        c.Cr0 = CpuCore.Cr0PE | CpuCore.Cr0ET | CpuCore.Cr0NE | CpuCore.Cr0WP | CpuCore.Cr0PG;
        c.Cr4 = CpuCore.Cr4PAE;
        c.Efer = CpuCore.EferNXE;
        c.GdtrBase = XenMachineLayout.GdtVirt;
        c.GdtrLimit = (ushort)(XenMachineLayout.GdtPages * 4096 - 1);
        c.IdtrBase = 0;
        c.IdtrLimit = 0;
        int rc = Mmu.NewBaseptr(l3Mfn);
        if (rc < 0) throw new InvalidOperationException($"the bootstrap L3 did not validate ({rc})");
        c.LoadCodeSegment(FlatRing1Cs, FlatDescriptor(true, 1), 1);
        for (int s = 0; s < 6; s++)
            if (s != CpuCore.CS) c.Segs[s].LoadDescriptor(FlatRing1Ds, FlatDescriptor(false, 1));
        c.Ldtr = new SegmentCache { Selector = 0, Usable = false };
        // No TSS of the guest's: ring changes go through the hypervisor, and IN/OUT above IOPL 0 find
        // no I/O bitmap, so they raise #GP(0), the fault Xen reflects for a domU without I/O rights.
        c.Tr = new SegmentCache { Selector = 0, Usable = false };
        for (int r = 0; r < 8; r++) c.Regs[r] = 0;
        c.Regs[CpuCore.ESI] = startInfoVa;
        c.Regs[CpuCore.ESP] = stackTop;
        c.Eip = entry;
        c.SetEflags(CpuCore.FlagIF);
        c.Halted = false;
        c.Mmu.FlushAll();
        c.FlushDecodeCache();
    }

    // ---- The CPU hooks ------------------------------------------------------------------------

    /// <summary>Every exception, interrupt and software interrupt of the guest comes here first.</summary>
    public bool Intercept(byte vector, EventKind kind, bool hasError, uint errorCode)
    {
        _clock.Now += HypervisorCosts.Trap;
        if (_tracer != null && !(kind == EventKind.SoftwareInt && vector == HypercallVector && _cpu.Cpl == 1))
            _cpu.TraceDelivery(vector, kind, hasError, errorCode, "hypervisor");
        switch (kind)
        {
            case EventKind.External:
                // The PC devices belong to the hypervisor; nothing routes their interrupts to the domain.
                LogOnce(1000u + vector, "external interrupt {Vector} ignored in the xen profile", vector);
                if (_blocked) _cpu.Halted = true;
                return true;
            case EventKind.SoftwareInt:
                if (vector == HypercallVector)
                {
                    // Hypercalls come from the guest kernel only; from ring 3 it is the #GP Xen's IDT (DPL 1) gives.
                    if (_cpu.Cpl == 1) Hypercall();
                    else
                    {
                        _cpu.Eip = _cpu.StartEip; // a #GP reports the INT instruction itself
                        ReflectException(Vector.GP, true, (uint)vector * 8 + 2);
                    }
                    return true;
                }
                SoftwareInterrupt(vector);
                return true;
            case EventKind.SoftwareException:
                SoftwareInterrupt(vector);
                return true;
            case EventKind.DebugTrap:
                ReflectException(vector, false, 0);
                return true;
            default:
                if (vector == Vector.UD && TryForcedEmulation()) return true;
                if (vector == Vector.PF) _mem.Write32(SharedInfo + SiCr2, _cpu.Cr2);
                ReflectException(vector, hasError, errorCode);
                return true;
        }
    }

    /// <summary>CPUID leaves 40000000H.. (XEN-ABI.md §3): signature, version, hypercall-page information.</summary>
    public bool Cpuid(uint leaf, out uint eax, out uint ebx, out uint ecx, out uint edx)
    {
        eax = ebx = ecx = edx = 0;
        switch (leaf)
        {
            case 0x40000000:
                eax = 0x40000002; // highest Xen leaf we implement (the ABI allows lowering it to base+2)
                ebx = 0x566e6558; ecx = 0x65584d4d; edx = 0x4d4d566e; // "XenVMMXenVMM"
                return true;
            case 0x40000001:
                eax = XenAbi.Version;
                return true;
            case 0x40000002:
                eax = 1;           // one hypercall page
                ebx = 0x40000000;  // the MSR that would ask for it (HVM)
                ecx = 1;           // MMU_PT_UPDATE_PRESERVE_AD is supported (PV)
                return true;
            default:
                return true;       // the rest of the range reads as zeros
        }
    }

    /// <summary>Xen's forced-emulation prefix: ud2; .ascii "xen"; cpuid — the CPUID a PV kernel asks the hypervisor for.</summary>
    private bool TryForcedEmulation()
    {
        Span<byte> b = stackalloc byte[7];
        uint lin = _cpu.Segs[CpuCore.CS].Base + _cpu.Eip;
        if (!ReadGuest(lin, b)) return false;
        if (b[0] != 0x0F || b[1] != 0x0B || b[2] != (byte)'x' || b[3] != (byte)'e' || b[4] != (byte)'n' || b[5] != 0x0F || b[6] != 0xA2)
            return false;
        _cpu.CpuidQuery(_cpu.Regs[CpuCore.EAX], out uint a, out uint bx, out uint cx, out uint d);
        _cpu.Regs[CpuCore.EAX] = a; _cpu.Regs[CpuCore.EBX] = bx; _cpu.Regs[CpuCore.ECX] = cx; _cpu.Regs[CpuCore.EDX] = d;
        _cpu.Eip += 7;
        return true;
    }

    // ---- Guest memory ----------------------------------------------------------------------

    /// <summary>Translates a guest virtual address through the current page tables with supervisor rights; the hole is never guest memory.</summary>
    private bool GuestAddress(uint va, bool write, out uint pa)
    {
        pa = 0;
        if (va >= HypervisorVirtStart) return false;
        return _cpu.Mmu.Probe(va, out pa, write ? AccessKind.Write : AccessKind.Read);
    }

    /// <summary>copy_from_guest: false (the caller returns -EFAULT) if any byte is unmapped or in the hypervisor hole.</summary>
    public bool ReadGuest(uint va, Span<byte> into)
    {
        int done = 0;
        while (done < into.Length)
        {
            uint a = va + (uint)done;
            if (a < va) return false; // wrapped
            if (!GuestAddress(a, false, out uint pa)) return false;
            int n = Math.Min(into.Length - done, (int)(0x1000 - (a & 0xFFF)));
            _mem.ReadBytes(pa, into.Slice(done, n));
            done += n;
        }
        return true;
    }

    /// <summary>copy_to_guest: checks every page first, so a failing copy writes nothing.</summary>
    public bool WriteGuest(uint va, ReadOnlySpan<byte> data)
    {
        if (data.Length == 0) return true;
        if ((ulong)va + (ulong)data.Length > 0x1_0000_0000ul) return false;
        for (uint a = va & ~0xFFFu; a <= va + (uint)data.Length - 1 && a >= (va & ~0xFFFu); a += 0x1000)
        {
            if (!GuestAddress(Math.Max(a, va), true, out _)) return false;
            if (a + 0x1000 < a) break;
        }
        int done = 0;
        while (done < data.Length)
        {
            uint a = va + (uint)done;
            GuestAddress(a, true, out uint pa);
            int n = Math.Min(data.Length - done, (int)(0x1000 - (a & 0xFFF)));
            _mem.WriteBytes(pa, data.Slice(done, n));
            done += n;
        }
        return true;
    }

    public bool ReadGuest32(uint va, out uint value)
    {
        Span<byte> b = stackalloc byte[4];
        bool ok = ReadGuest(va, b);
        value = ok ? BitConverter.ToUInt32(b) : 0;
        return ok;
    }

    public bool WriteGuest32(uint va, uint value)
    {
        Span<byte> b = stackalloc byte[4];
        BitConverter.TryWriteBytes(b, value);
        return WriteGuest(va, b);
    }

    // ---- Domain end ------------------------------------------------------------------------

    /// <summary>The domain crashed (a fault it cannot take, a bad iret...): the run ends with exit status 4.</summary>
    public void CrashDomain(string why)
    {
        if (DomainDead) return;
        DomainDead = true;
        _log.Error("xen: domain crashed: {Why}", why);
        _cpu.Halted = true;
        _control.RequestExit(MachineExit.Crash("xen: the domain crashed: " + why));
    }

    private void Shutdown(MachineExit exit)
    {
        if (DomainDead) return;
        DomainDead = true;
        _cpu.Halted = true;
        _control.RequestExit(exit);
    }

    private readonly HashSet<uint> _logged = new();

    private void LogOnce(uint key, string template, object? value)
    {
        if (_logged.Count < 256 && _logged.Add(key)) _log.Warning("xen: " + template, value);
    }
}
