using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using Emulator.Core.Bus;
using Emulator.Core.Memory;
using Emulator.Core.Timing;
using Iced.Intel;
using Serilog;

namespace Emulator.Core.Cpu;

/// <summary>Why the CPU stopped executing.</summary>
public enum CpuStopReason { None, Requested, TripleFault, HaltForever, TickLimit }

/// <summary>
/// An i386 (with 486/Pentium/P6 integer additions) interpreter. State lives in public fields
/// so that the debugger, loaders and tests can reach it without indirection. Instruction
/// families live in partial files under Instructions/; protected-mode mechanisms under
/// ProtectedMode/; paging under Paging/.
///
/// Faults never throw .NET exceptions: an instruction that faults calls <see cref="RaiseFault(byte)"/>
/// (which sets <see cref="Faulted"/>) and returns; the loop rolls EIP and ESP back to the
/// instruction start and delivers the exception.
/// </summary>
public sealed unsafe partial class Cpu
{
    // General registers, indexed by the x86 register number.
    public const int EAX = 0, ECX = 1, EDX = 2, EBX = 3, ESP = 4, EBP = 5, ESI = 6, EDI = 7;
    // Segment registers, indexed by the x86 encoding (the same order as Iced's Register.ES..GS).
    public const int ES = 0, CS = 1, SS = 2, DS = 3, FS = 4, GS = 5;

    public readonly uint[] Regs = new uint[8];
    public uint Eip;
    public readonly SegmentCache[] Segs = new SegmentCache[6];
    public SegmentCache Ldtr;
    public SegmentCache Tr;
    public uint GdtrBase, IdtrBase;
    public ushort GdtrLimit, IdtrLimit;
    public uint Cr0, Cr2, Cr3, Cr4;
    public ulong Efer;
    public readonly uint[] Dr = new uint[8];
    /// <summary>Current privilege level (CS.RPL in protected mode, 0 in real mode).</summary>
    public int Cpl;
    public bool Halted;

    public const uint Cr0PE = 1u << 0, Cr0MP = 1u << 1, Cr0EM = 1u << 2, Cr0TS = 1u << 3, Cr0ET = 1u << 4,
        Cr0NE = 1u << 5, Cr0WP = 1u << 16, Cr0AM = 1u << 18, Cr0NW = 1u << 29, Cr0CD = 1u << 30, Cr0PG = 1u << 31;
    public const uint Cr4VME = 1u << 0, Cr4PVI = 1u << 1, Cr4TSD = 1u << 2, Cr4DE = 1u << 3, Cr4PSE = 1u << 4,
        Cr4PAE = 1u << 5, Cr4MCE = 1u << 6, Cr4PGE = 1u << 7, Cr4PCE = 1u << 8;
    public const ulong EferNXE = 1ul << 11;

    public readonly PhysicalMemory Memory;
    public readonly PortBus Ports;
    public readonly VirtualClock Clock;
    public readonly Mmu Mmu;
    public IInterruptController? InterruptController;
    private readonly ILogger _log;

    /// <summary>Set when the CPU must stop (triple fault, a device request, the debugger).</summary>
    public CpuStopReason StopReason;

    // ---- Per-instruction fault state --------------------------------------------------------
    /// <summary>An exception is pending for the current instruction; the instruction must not commit further state.</summary>
    public bool Faulted;
    public byte FaultVector;
    public bool FaultHasErrorCode;
    public uint FaultErrorCode;
    /// <summary>EIP and ESP at the start of the current instruction (faults restore them).</summary>
    public uint StartEip, StartEsp;
    /// <summary>Interrupts are inhibited for one instruction after MOV SS, POP SS and STI.</summary>
    public bool InterruptShadow;
    /// <summary>Set by an instruction that must see interrupts inhibited after it (MOV/POP SS, STI).</summary>
    internal bool SetInterruptShadow;
    /// <summary>Number of #UD raised for unimplemented or invalid opcodes (tests and stats read it).</summary>
    public long InvalidOpcodeCount;

    public Cpu(PhysicalMemory memory, PortBus ports, VirtualClock clock, ILogger? log = null)
    {
        Memory = memory;
        Ports = ports;
        Clock = clock;
        _log = log ?? Serilog.Log.Logger;
        Mmu = new Mmu(this);
        memory.A20Changed += Mmu.InvalidateCachedTranslations;
        _decodeCache = new DecodeCache(memory);
        _reader = new GuestCodeReader(this);
        _decoder16 = Decoder.Create(16, _reader, 0, DecoderOptions.None);
        _decoder32 = Decoder.Create(32, _reader, 0, DecoderOptions.None);
        Reset();
    }

    public ILogger Log => _log;

    /// <summary>The architectural power-on/reset state (SDM Vol. 3 §9.1.1): real mode at F000:FFF0.</summary>
    public void Reset()
    {
        Array.Clear(Regs);
        Regs[EDX] = CpuidSignature;
        Eip = 0xFFF0;
        for (int i = 0; i < 6; i++) Segs[i] = SegmentCache.RealDefault(0);
        Segs[CS] = SegmentCache.RealDefault(0xF000);
        Segs[CS].Base = 0xFFFF0000;
        Segs[CS].Attributes = SegmentCache.AttrPresent | SegmentCache.AttrS | SegmentCache.AttrCode | SegmentCache.AttrWritable | SegmentCache.AttrAccessed;
        Ldtr = new SegmentCache { Limit = 0xFFFF, Attributes = SegmentCache.AttrPresent | 0x2, Usable = true };
        Tr = new SegmentCache { Limit = 0xFFFF, Attributes = SegmentCache.AttrPresent | 0xB, Usable = true };
        GdtrBase = IdtrBase = 0;
        GdtrLimit = IdtrLimit = 0xFFFF;
        Cr0 = Cr0ET | Cr0CD | Cr0NW;
        Cr2 = Cr3 = Cr4 = 0;
        Efer = 0;
        Array.Clear(Dr);
        Dr[6] = 0xFFFF0FF0;
        Dr[7] = 0x400;
        Cpl = 0;
        Halted = false;
        SetEflags(0x2);
        Faulted = false;
        InterruptShadow = false;
        TscOffset = 0;
        Mmu.Reset();
        _decodeCache.Clear();
    }

    /// <summary>Family 6, model 3, stepping 3 (a Pentium II-era signature): what CPUID leaf 1 EAX reports.</summary>
    public const uint CpuidSignature = 0x00000633;

    public bool ProtectedMode => (Cr0 & Cr0PE) != 0;
    public bool PagingEnabled => (Cr0 & Cr0PG) != 0;
    public bool Code32 => Segs[CS].Big;
    public bool Stack32 => Segs[SS].Big;

    // ---- Faults -----------------------------------------------------------------------------

    /// <summary>Raises an exception without an error code. The instruction must return without committing.</summary>
    public void RaiseFault(byte vector)
    {
        if (Faulted) return; // the first fault of an instruction wins
        Faulted = true;
        FaultVector = vector;
        FaultHasErrorCode = false;
        FaultErrorCode = 0;
    }

    /// <summary>Raises an exception with an error code (#DF, #TS, #NP, #SS, #GP, #PF, #AC).</summary>
    public void RaiseFault(byte vector, uint errorCode)
    {
        if (Faulted) return;
        Faulted = true;
        FaultVector = vector;
        FaultHasErrorCode = true;
        FaultErrorCode = errorCode;
    }

    public void RaiseGP(uint errorCode = 0) => RaiseFault(Vector.GP, errorCode);
    public void RaiseUD() => RaiseFault(Vector.UD);

    // ---- The loop -----------------------------------------------------------------------------

    /// <summary>Runs until virtual time reaches <paramref name="tickLimit"/> or something stops the CPU.</summary>
    public CpuStopReason Run(ulong tickLimit)
    {
        StopReason = CpuStopReason.None;
        while (StopReason == CpuStopReason.None)
        {
            ulong now = Clock.Now;
            if (now >= tickLimit) return CpuStopReason.TickLimit;
            RunBurst(tickLimit - now > BurstTicks ? now + BurstTicks : tickLimit, tickLimit);
        }
        return StopReason;
    }

    /// <summary>
    /// Virtual time per call of <see cref="RunBurst"/>. The loop lives in a method that returns often
    /// so that tiered compilation replaces it with fully optimised, profile-guided code (a loop that
    /// never returns only ever gets on-stack-replacement code, without the profile).
    /// </summary>
    private const ulong BurstTicks = 1 << 16;

    private void RunBurst(ulong burstEnd, ulong tickLimit)
    {
        var clock = Clock;
        while (StopReason == CpuStopReason.None && clock.Now < burstEnd)
        {
            Step(tickLimit);
            // Then, while nothing can make an interrupt deliverable, instructions run without the
            // per-step checks: only a clock event (the loop stops at the next one), port I/O, a change
            // of IF or TF, an interrupt shadow, HLT or an event delivery (faults, INT n, hypercalls)
            // can, and each of those sets LeaveFastLoop.
            if (!NothingToCheckBetweenInstructions()) continue;
            LeaveFastLoop = false;
            // Events are scheduled only by devices (port I/O), the hypervisor (event delivery) and
            // event callbacks (outside this loop): none can move the next event earlier unnoticed.
            ulong end = Math.Min(burstEnd, clock.NextEventAt);
            while (clock.Now < end)
            {
                ExecuteInstruction();
                if (Faulted) HandleFault();
                clock.Now++;
                if (LeaveFastLoop)
                {
                    // Most often nothing came of it (an OUT that raised no interrupt, a CLI, a
                    // hypercall): go on here rather than through a full step.
                    if (!NothingToCheckBetweenInstructions()) break;
                    LeaveFastLoop = false;
                    end = Math.Min(burstEnd, clock.NextEventAt);
                }
            }
        }
    }

    /// <summary>
    /// True when a step would do nothing but execute the next instruction: no interrupt shadow to
    /// clear, no deliverable interrupt, not halted, no single-step trap, no stop requested.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private bool NothingToCheckBetweenInstructions() =>
        !DebugArmed && !InterruptShadow && !Halted && StopReason == CpuStopReason.None && (_eflags & FlagTF) == 0 &&
        ((_eflags & FlagIF) == 0 || InterruptController == null || !InterruptController.InterruptPending);

    /// <summary>Set by whatever may make an interrupt deliverable or needs the full step (see <see cref="RunBurst"/>).</summary>
    internal bool LeaveFastLoop;

    /// <summary>One step: a pending interrupt is taken, or the CPU idles while halted, or one instruction executes.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void Step(ulong tickLimit = ulong.MaxValue)
    {
        if (Clock.Now >= Clock.NextEventAt) Clock.RunDue();

        if (InterruptShadow)
        {
            InterruptShadow = false;
        }
        else if ((_eflags & FlagIF) != 0 && InterruptController != null && InterruptController.InterruptPending)
        {
            Halted = false;
            byte vector = InterruptController.AcknowledgeInterrupt();
            StartEip = Eip;
            StartEsp = Regs[ESP];
            DeliverExternalInterrupt(vector);
            if (Faulted) HandleFault();
        }

        if (Halted)
        {
            // With IF=0 only NMI or reset could wake the CPU (neither is modelled): no progress is possible.
            if ((_eflags & FlagIF) == 0 || InterruptController == null || !Clock.SkipToNextEvent(tickLimit))
                StopReason = CpuStopReason.HaltForever;
            return;
        }

        if (DebugArmed && !Debugger!.BeforeInstruction()) { StopReason = CpuStopReason.Requested; return; }
        ExecuteOne();
        Clock.Now++;
        if (DebugArmed) Debugger!.AfterInstruction();
    }

    /// <summary>The debugger engine, when one is attached (null otherwise).</summary>
    public Debugging.DebugEngine? Debugger;

    /// <summary>Set by the engine while it must see every instruction (breakpoints, a step, a pause or a stop pending).</summary>
    internal bool DebugArmed;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private void ExecuteOne()
    {
        _trapAfter = (_eflags & FlagTF) != 0;
        ExecuteInstruction();
        if (Faulted) HandleFault();
        else if (_trapAfter) DeliverPendingTrap();
    }

    /// <summary>Fetches and executes the instruction at CS:EIP; a fault is left pending in <see cref="Faulted"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private void ExecuteInstruction()
    {
        StartEip = Eip;
        StartEsp = Unsafe.Add(ref MemoryMarshal.GetArrayDataReference(Regs), ESP);
        ref Instruction insn = ref Fetch();
        if (Faulted) return;
        uint next = insn.NextIP32;
        Eip = Unsafe.Add(ref MemoryMarshal.GetArrayDataReference(Segs), CS).Big ? next : (ushort)next;
        Handlers[(int)insn.Code](this, ref insn);
        if (SetInterruptShadow)
        {
            LeaveFastLoop = true;
            SetInterruptShadow = false;
            InterruptShadow = !Faulted;
        }
    }

    /// <summary>Rolls the faulting instruction back and delivers its exception.</summary>
    [MethodImpl(MethodImplOptions.NoInlining)] // rare: keep it out of the instruction loop
    private void HandleFault()
    {
        Eip = StartEip;
        Regs[ESP] = StartEsp;
        SetInterruptShadow = false;
        DeliverFault();
    }

    // Single-step (TF) trap after the instruction completes: set by the instruction loop or POPF/IRET handling.
    private bool _trapAfter;

    private void DeliverPendingTrap()
    {
        _trapAfter = false;
        StartEip = Eip;
        StartEsp = Regs[ESP];
        Dr[6] |= 1u << 14; // BS
        DeliverEvent(Vector.DB, EventKind.DebugTrap, false, 0);
        if (Faulted) HandleFault();
    }

    // ---- Fetch and decode ---------------------------------------------------------------------

    private readonly DecodeCache _decodeCache;
    private readonly GuestCodeReader _reader;
    private readonly Decoder _decoder16, _decoder32;
    private Instruction _scratch;

    // The fetch fast path: the decode-cache page of the linear code page last fetched from, valid
    // while the MMU's epoch (no flush since) and the privilege of the translation are unchanged.
    private DecodeCache.Page? _fetchPage;
    private uint _fetchLinearPage;
    private uint _fetchEpoch;
    private bool _fetchUser;

    /// <summary>
    /// Fetches the instruction at CS:EIP: from the current code page's decoded instructions without
    /// translating again when possible, else through <see cref="FetchSlow"/>.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private ref Instruction Fetch()
    {
        ref SegmentCache cs = ref Unsafe.Add(ref MemoryMarshal.GetArrayDataReference(Segs), CS);
        uint eip = Eip;
        uint linear = cs.Base + eip;
        var page = _fetchPage;
        if (page != null && (linear & ~0xFFFu) == _fetchLinearPage && _fetchEpoch == Mmu.Epoch && _fetchUser == (Cpl == 3))
        {
            int off = (int)(linear & 0xFFF);
            if (page.State[off] == (cs.Big ? 2 : 1))
            {
                ref Instruction insn = ref page.Slots[off];
                // Iced keeps absolute branch targets: the decode must be from this EIP; and it must fit the limit.
                if (insn.IP32 == eip && (ulong)eip + (uint)insn.Length - 1 <= cs.Limit) return ref insn;
            }
        }
        return ref FetchSlow();
    }

    /// <summary>Fetches and decodes the instruction at CS:EIP, from the decoded-instruction cache when possible.</summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    private ref Instruction FetchSlow()
    {
        ref SegmentCache cs = ref Segs[CS];
        if (Eip > cs.Limit) { RaiseGP(0); return ref _scratch; }
        uint linear = cs.Base + Eip;
        bool code32 = cs.Big;
        if (!TranslateFetch(linear, out uint phys)) return ref _scratch;
        _fetchPage = _decodeCache.PageOf(phys);
        _fetchLinearPage = linear & ~0xFFFu;
        _fetchEpoch = Mmu.Epoch;
        _fetchUser = Cpl == 3;

        ref Instruction cached = ref _decodeCache.Lookup(phys, code32, out bool hit);
        // Iced stores branch targets as absolute addresses, so a hit must have been decoded at this EIP.
        if (hit && cached.IP32 == Eip && (ulong)Eip + (uint)cached.Length - 1 <= cs.Limit)
            return ref cached;

        var decoder = code32 ? _decoder32 : _decoder16;
        _reader.Start(linear);
        decoder.IP = Eip;
        decoder.Decode(out _scratch);
        if (_reader.FaultPending) return ref _scratch;
        if (_scratch.IsInvalid)
        {
            // A 16-byte instruction or undefined opcode: #UD (the SDM's #GP for >15 bytes is rare; noted).
            _scratch.Code = Code.INVALID;
            return ref _scratch;
        }
        if ((ulong)Eip + (uint)_scratch.Length - 1 > cs.Limit) { RaiseGP(0); return ref _scratch; }
        // Cache only instructions that do not cross a page boundary.
        if ((phys & 0xFFF) + (uint)_scratch.Length <= 0x1000 && _reader.Pages == 1)
        {
            cached = _scratch;
            _decodeCache.Commit(phys, code32, _scratch.Length);
            return ref cached;
        }
        return ref _scratch;
    }

    /// <summary>Linear address of code-fetch translation, raising #PF on failure.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal bool TranslateFetch(uint linear, out uint phys)
    {
        if ((Cr0 & Cr0PG) == 0) { phys = linear & Memory.A20Mask; return true; }
        return Mmu.Translate(linear, AccessKind.Execute, Cpl == 3, out phys);
    }

    /// <summary>Drops all cached decoded instructions (CS size changes do not need it: the key includes it).</summary>
    public void FlushDecodeCache() => _decodeCache.Clear();

    // ---- Dispatch -----------------------------------------------------------------------------

    private static readonly int CodeCount = Enum.GetValues<Code>().Length;
    private static readonly int MnemonicCount = Enum.GetValues<Mnemonic>().Length;
    private static readonly delegate*<Cpu, ref Instruction, void>[] Handlers = BuildHandlerTable();
    private static delegate*<Cpu, ref Instruction, void>[] _byMnemonic = null!;
    private static delegate*<Cpu, ref Instruction, void>[] _byCode = null!;

    /// <summary>Registers a handler for every Iced Code with this mnemonic.</summary>
    internal static void Bind(Mnemonic m, delegate*<Cpu, ref Instruction, void> handler) => _byMnemonic[(int)m] = handler;

    /// <summary>Registers a handler for one Iced Code; wins over the mnemonic's handler.</summary>
    internal static void Bind(Code c, delegate*<Cpu, ref Instruction, void> handler) => _byCode[(int)c] = handler;

    private static delegate*<Cpu, ref Instruction, void>[] BuildHandlerTable()
    {
        _byMnemonic = new delegate*<Cpu, ref Instruction, void>[MnemonicCount];
        _byCode = new delegate*<Cpu, ref Instruction, void>[CodeCount];
        RegisterAll();
        var table = new delegate*<Cpu, ref Instruction, void>[CodeCount];
        for (int c = 0; c < table.Length; c++)
        {
            var code = (Code)c;
            delegate*<Cpu, ref Instruction, void> h = _byCode[c];
            if (h == null) h = _byMnemonic[(int)code.Mnemonic()];
            table[c] = h != null ? h : &Unimplemented;
        }
        table[(int)Code.INVALID] = &Unimplemented;
        return table;
    }

    /// <summary>Every instruction family registers its handlers here (one partial method per family file).</summary>
    private static void RegisterAll()
    {
        RegisterArithmetic();
        RegisterLogic();
        RegisterShifts();
        RegisterMultiplyDivide();
        RegisterBitOps();
        RegisterBcd();
        RegisterFlagOps();
        RegisterConditional();
        RegisterDataMovement();
        RegisterStack();
        RegisterControlFlow();
        RegisterStrings();
        RegisterPortIo();
        RegisterAtomics();
        RegisterSegmentInstructions();
        RegisterFarTransfers();
        RegisterInterruptInstructions();
        RegisterDescriptorTables();
        RegisterProcessorControl();
        RegisterSystemInstructions();
        RegisterFpuAbsent();
        RegisterFastForms(); // last: its per-Code handlers replace the family handlers for their forms
    }

    static partial void RegisterArithmetic();
    static partial void RegisterLogic();
    static partial void RegisterShifts();
    static partial void RegisterMultiplyDivide();
    static partial void RegisterBitOps();
    static partial void RegisterBcd();
    static partial void RegisterFlagOps();
    static partial void RegisterConditional();
    static partial void RegisterDataMovement();
    static partial void RegisterStack();
    static partial void RegisterControlFlow();
    static partial void RegisterStrings();
    static partial void RegisterPortIo();
    static partial void RegisterAtomics();
    static partial void RegisterSegmentInstructions();
    static partial void RegisterFarTransfers();
    static partial void RegisterInterruptInstructions();
    static partial void RegisterDescriptorTables();
    static partial void RegisterSystemInstructions();
    static partial void RegisterFpuAbsent();

    private readonly HashSet<uint> _loggedUnimplemented = new();

    /// <summary>An undefined or unimplemented opcode: #UD in the guest, one warning per EIP on the host.</summary>
    private static void Unimplemented(Cpu cpu, ref Instruction insn)
    {
        cpu.InvalidOpcodeCount++;
        uint linear = cpu.Segs[CS].Base + cpu.StartEip;
        if (cpu._loggedUnimplemented.Count < 1024 && cpu._loggedUnimplemented.Add(linear))
        {
            Span<byte> bytes = stackalloc byte[15];
            int n = cpu.PeekMemory(linear, bytes);
            cpu._log.Warning("Invalid or unimplemented opcode at {Cs:X4}:{Eip:X8} ({Mnemonic}), bytes {Bytes}: raising #UD",
                cpu.Segs[CS].Selector, cpu.StartEip, insn.Code == Code.INVALID ? "invalid" : insn.Mnemonic.ToString(),
                Convert.ToHexString(bytes[..n]));
        }
        cpu.RaiseUD();
    }

    /// <summary>
    /// Reads up to bytes.Length bytes at a linear address through the current translation, without
    /// side effects or faults (logs, the debugger, fuzz checks); returns how many bytes were mapped.
    /// </summary>
    public int PeekMemory(uint linear, Span<byte> bytes)
    {
        int n = 0;
        bool quiet = Memory.QuietReads;
        Memory.QuietReads = true; // the debugger looking is not the guest reading
        for (; n < bytes.Length; n++)
        {
            if (!Mmu.Probe(linear + (uint)n, out uint phys)) break;
            bytes[n] = Memory.Read8(phys);
        }
        Memory.QuietReads = quiet;
        return n;
    }

    /// <summary>Decodes the instruction at CS:EIP without side effects (the debugger, fuzz checks); invalid when its bytes are unmapped.</summary>
    public Instruction PeekInstruction()
    {
        Span<byte> bytes = stackalloc byte[15];
        int n = PeekMemory(Segs[CS].Base + Eip, bytes);
        var decoder = Decoder.Create(Code32 ? 32 : 16, new ByteArrayCodeReader(bytes[..n].ToArray()));
        decoder.IP = Eip;
        return decoder.Decode();
    }
}
