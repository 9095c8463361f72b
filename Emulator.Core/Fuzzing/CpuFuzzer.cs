using Emulator.Core.Bus;
using Emulator.Core.Cpu;
using Emulator.Core.Memory;
using Emulator.Core.Timing;
using Iced.Intel;
using Serilog.Core;
using CpuCore = Emulator.Core.Cpu.Cpu;

namespace Emulator.Core.Fuzzing;

/// <summary>One CPU-fuzz case that broke an invariant: how to reproduce it and what went wrong.</summary>
public sealed record CpuFuzzFinding(ulong Seed, long Case, string Setup, string CodeHex, int Step, uint Eip, string What)
{
    public override string ToString() =>
        $"case {Case} (seed {Seed}; {Setup}), step {Step} at EIP 0x{Eip:x8}: {What}\n  code: {CodeHex}";
}

/// <summary>What a CPU-fuzz campaign did: cases, instructions executed, how cases ended, findings.</summary>
public sealed record CpuFuzzResult(long Cases, long Instructions, long Faulted, long TripleFaults, long TlbChecks, IReadOnlyList<CpuFuzzFinding> Findings);

/// <summary>
/// CPU fuzzing (issue 9): each case builds a fresh bare CPU (no devices: every port is unclaimed)
/// in one of five set-ups — real mode, 32-bit protected mode at ring 0, ring 1 or ring 3, each with
/// paging on or off where protected — with a GDT (ring 0/1/3 code and data, a TSS with ring 0 and 1
/// stacks), an IDT whose every gate leads to a HLT, and identity-mapped 2-level paging whose pages
/// are supervisor or user, read-only or writable at random. It loads random bytes, or a stream of
/// random valid instructions (random bytes decoded with Iced, invalid ones dropped), and steps up to
/// <see cref="StepsPerCase"/> instructions. Invariants after every step: no host exception of any
/// kind escapes the CPU; CPL equals CS.RPL in protected mode and 0 in real mode; EFLAGS bit 1 is set
/// and bits 3, 5 and 15 are clear; a halted CPU sits right after a HLT; after an INVLPG the TLB holds
/// no translation of its page and after a CR3 load no non-global entry. Faults and triple faults are
/// the guest's business: they are counted, not findings. Deterministic for a seed.
/// </summary>
public sealed class CpuFuzzer
{
    public const int StepsPerCase = 64;
    private const uint Ram = 4u << 20;
    private const uint Gdt = 0x1000, Idt = 0x2000, Tss = 0x3000, Pd = 0x4000, Pt = 0x5000;
    private const uint HandlerBase = 0x6000; // 256 HLTs, one per vector
    private const uint Code = 0x10000, Data = 0x20000, StackTop = 0x30000, Stack1Top = 0x38000, Stack0Top = 0x3F000;

    private readonly ulong _seed;
    private readonly SplitMix64 _random;
    // One machine for the whole campaign, wiped between cases (a CPU's decode cache and 4 MiB of
    // RAM per case would cost more than the cases themselves).
    private readonly PhysicalMemory _memory = new(Ram);
    private readonly CpuCore _cpu;
    private long _tlbChecks;

    public CpuFuzzer(ulong seed)
    {
        _seed = seed;
        _random = new SplitMix64(seed);
        _cpu = new CpuCore(_memory, new PortBus(Logger.None), new VirtualClock(), Logger.None);
    }

    public CpuFuzzResult Run(long cases, Action<long>? progress = null, long progressEvery = 10_000)
    {
        long instructions = 0, faulted = 0, triple = 0, done = 0;
        var findings = new List<CpuFuzzFinding>();
        for (long n = 0; n < cases; n++)
        {
            done++;
            var outcome = RunCase(n);
            instructions += outcome.Steps;
            if (outcome.Faulted) faulted++;
            if (outcome.TripleFault) triple++;
            if (outcome.Finding != null)
            {
                findings.Add(outcome.Finding);
                if (findings.Count >= 20) break;
            }
            if (progress != null && (n + 1) % progressEvery == 0) progress(n + 1);
        }
        return new CpuFuzzResult(done, instructions, faulted, triple, _tlbChecks, findings);
    }

    private sealed record CaseOutcome(int Steps, bool Faulted, bool TripleFault, CpuFuzzFinding? Finding);

    private CaseOutcome RunCase(long caseNumber)
    {
        int mode = (int)_random.Below(4);           // 0 real, 1 ring 0, 2 ring 1, 3 ring 3
        bool paging = mode != 0 && _random.Chance(50);
        bool valid = _random.Chance(60);
        var memory = _memory;
        var cpu = _cpu;
        Array.Clear(memory.Ram);
        cpu.Reset();
        cpu.StopReason = CpuStopReason.None;
        cpu.TripleFaulted = false;
        cpu.Clock.Now = 0; // RDTSC reads virtual time: each case starts at 0, as on a fresh machine
        byte[] code = valid ? ValidInstructions(mode == 0 ? 16 : 32) : RandomBytes(16 + (int)_random.Below(48));
        string setup = $"{(mode == 0 ? "real mode" : $"ring {(mode == 1 ? 0 : mode == 2 ? 1 : 3)}")}, paging {(paging ? "on" : "off")}, {(valid ? "valid instructions" : "random bytes")}";
        string hex = Convert.ToHexString(code);
        Setup(cpu, memory, mode, paging, code);

        int step = 0;
        bool faultedAny = false;
        try
        {
            for (; step < StepsPerCase && !cpu.Halted && cpu.StopReason == CpuStopReason.None; step++)
            {
                var flush = cpu.PagingEnabled ? TlbFlushAhead(cpu) : null;
                cpu.Step();
                if (flush is { } f && cpu.Eip == f.NextEip && cpu.StopReason == CpuStopReason.None && ++_tlbChecks > 0 &&
                    TlbAfterFlush(cpu, f) is { } stale)
                    return new CaseOutcome(step + 1, faultedAny, false, new CpuFuzzFinding(_seed, caseNumber, setup, hex, step + 1, cpu.Eip, stale));
                uint linear = cpu.Segs[CpuCore.CS].Base + cpu.Eip;
                if (linear >= HandlerBase && linear < HandlerBase + 256) faultedAny = true; // an exception or INT n reached its handler
                if (Check(cpu, mode) is { } broken)
                    return new CaseOutcome(step + 1, faultedAny, false, new CpuFuzzFinding(_seed, caseNumber, setup, hex, step + 1, cpu.Eip, broken));
            }
        }
        catch (Exception e)
        {
            return new CaseOutcome(step + 1, faultedAny, false,
                new CpuFuzzFinding(_seed, caseNumber, setup, hex, step + 1, cpu.Eip, $"host exception {e.GetType().Name}: {e.Message}"));
        }
        return new CaseOutcome(step, faultedAny, cpu.StopReason == CpuStopReason.TripleFault, null);
    }

    private readonly record struct TlbFlush(bool Invlpg, uint Linear, uint NextEip);

    /// <summary>The next instruction, if it is INVLPG m or MOV CR3 (whose effect on the TLB is checked after it).</summary>
    private static TlbFlush? TlbFlushAhead(CpuCore cpu)
    {
        var insn = cpu.PeekInstruction();
        if (insn.IsInvalid) return null;
        uint next = cpu.Code32 ? insn.NextIP32 : (ushort)insn.NextIP32;
        if (insn.Code == Iced.Intel.Code.Invlpg_m)
            return new TlbFlush(true, cpu.Segs[CpuCore.MemorySeg(ref insn)].Base + cpu.EffectiveAddress(ref insn), next);
        if (insn.Code == Iced.Intel.Code.Mov_cr_r32 && insn.Op0Register == Register.CR3) return new TlbFlush(false, 0, next);
        return null;
    }

    /// <summary>After INVLPG the page's translation is gone; after a CR3 load no non-global one is left (SDM Vol. 3 §4.10.4.1).</summary>
    private static string? TlbAfterFlush(CpuCore cpu, TlbFlush f)
    {
        if (f.Invlpg) return cpu.Mmu.Caches(f.Linear) ? $"INVLPG 0x{f.Linear:x8} left its translation in the TLB" : null;
        int left = cpu.Mmu.NonGlobalEntries();
        return left > 0 ? $"MOV CR3 left {left} non-global TLB entries" : null;
    }

    /// <summary>The invariants that hold after every instruction, whatever it did; null when they hold.</summary>
    private static string? Check(CpuCore cpu, int mode)
    {
        if (cpu.StopReason == CpuStopReason.TripleFault) return null; // the state after a shutdown is undefined
        uint flags = cpu.GetEflags();
        if ((flags & 0x2) == 0 || (flags & 0x8028) != 0) return $"EFLAGS 0x{flags:x8} has a reserved bit wrong";
        if (mode == 0)
        {
            if (cpu.ProtectedMode) return null; // the code entered protected mode itself: fine
            if (cpu.Cpl != 0) return $"CPL {cpu.Cpl} in real mode";
        }
        else if (cpu.ProtectedMode && (cpu.Eflags & CpuCore.FlagVM) == 0 && cpu.Cpl != (cpu.Segs[CpuCore.CS].Selector & 3))
            return $"CPL {cpu.Cpl} but CS.RPL {cpu.Segs[CpuCore.CS].Selector & 3}";
        if (cpu.Halted)
        {
            Span<byte> b = stackalloc byte[1];
            if (cpu.PeekMemory(cpu.Segs[CpuCore.CS].Base + cpu.Eip - 1, b) == 1 && b[0] != 0xF4)
                return "halted, but not after a HLT";
        }
        return null;
    }

    private byte[] RandomBytes(int n)
    {
        var b = new byte[n];
        for (int k = 0; k < n; k++) b[k] = (byte)_random.Next();
        return b;
    }

    /// <summary>Random bytes decoded with Iced; the valid instructions kept, in order.</summary>
    private byte[] ValidInstructions(int bitness)
    {
        var output = new List<byte>();
        int wanted = 4 + (int)_random.Below(12);
        for (int tries = 0; tries < 200 && wanted > 0; tries++)
        {
            if (bitness == 32 && _random.Chance(8))
            {
                // TLB work the TLB checks can look at: INVLPG of a touched page, or reloading CR3 with the directory.
                uint page = Data + (_random.Below(0x40) << 12);
                output.Add(0xB8); // mov eax, imm32
                if (_random.Chance(50))
                {
                    output.AddRange(BitConverter.GetBytes(page));
                    output.AddRange(new byte[] { 0x8B, 0x18, 0x0F, 0x01, 0x38 }); // mov ebx, [eax]; invlpg [eax]
                }
                else
                {
                    output.AddRange(BitConverter.GetBytes(Pd));
                    output.AddRange(new byte[] { 0x0F, 0x22, 0xD8 });             // mov cr3, eax
                }
                wanted--;
                continue;
            }
            var bytes = RandomBytes(15);
            // Bias toward one-byte opcodes and common prefixes some of the time.
            if (_random.Chance(30)) bytes[0] = _random.Pick(new byte[] { 0x66, 0x67, 0xF3, 0xF2, 0x0F, 0xF0, 0x2E, 0x26 });
            var decoder = Decoder.Create(bitness, new ByteArrayCodeReader(bytes));
            var insn = decoder.Decode();
            if (insn.IsInvalid) continue;
            output.AddRange(bytes.AsSpan(0, insn.Length).ToArray());
            wanted--;
        }
        return output.ToArray();
    }

    private void Setup(CpuCore cpu, PhysicalMemory memory, int mode, bool paging, byte[] code)
    {
        memory.WriteBytes(Code, code);
        for (uint v = 0; v < 256; v++) memory.Write8(HandlerBase + v, 0xF4); // HLT
        for (uint k = 0; k < 64; k++) memory.Write32(Data + 4 * k, _random.Next32());
        for (int r = 0; r < 8; r++) cpu.Regs[r] = _random.Chance(50) ? _random.Next32() : Data + _random.Below(0x1000);
        cpu.Regs[CpuCore.ESP] = StackTop;
        if (mode == 0)
        {
            for (int s = 0; s < 6; s++) cpu.Segs[s] = SegmentCache.RealDefault(0);
            cpu.Segs[CpuCore.CS] = SegmentCache.RealDefault((ushort)(Code >> 4));
            cpu.Segs[CpuCore.CS].Attributes |= SegmentCache.AttrCode;
            cpu.Eip = 0;
            cpu.Regs[CpuCore.ESP] = 0xFFF0;
            for (uint v = 0; v < 256; v++) memory.Write32(v * 4, ((HandlerBase >> 4) << 16) | v); // IVT: segment:offset
            cpu.IdtrBase = 0;
            cpu.IdtrLimit = 0x3FF;
            cpu.SetEflags(0x2 | (_random.Chance(50) ? CpuCore.FlagIF : 0));
            return;
        }

        // GDT: 0x08 ring-0 code, 0x10 ring-0 data, 0x19 ring-1 code, 0x21 ring-1 data, 0x2B ring-3 code, 0x33 ring-3 data, 0x38 TSS.
        ulong Flat(bool isCode, int dpl) => 0x0000FFFFul | ((ulong)(0x80 | (dpl << 5) | 0x10 | (isCode ? 0x0B : 0x03)) << 40) | (0xCFul << 48);
        memory.Write64(Gdt + 0x08, Flat(true, 0));
        memory.Write64(Gdt + 0x10, Flat(false, 0));
        memory.Write64(Gdt + 0x18, Flat(true, 1));
        memory.Write64(Gdt + 0x20, Flat(false, 1));
        memory.Write64(Gdt + 0x28, Flat(true, 3));
        memory.Write64(Gdt + 0x30, Flat(false, 3));
        memory.Write64(Gdt + 0x38, 0x67ul | ((ulong)Tss << 16) | (0x89ul << 40)); // available 32-bit TSS, limit 0x67
        memory.Write32(Tss + 4, Stack0Top);
        memory.Write32(Tss + 8, 0x10);
        memory.Write32(Tss + 12, Stack1Top);
        memory.Write32(Tss + 16, 0x21);
        memory.Write16(Tss + 0x66, 0x68); // no I/O bitmap: every port needs IOPL
        for (uint v = 0; v < 256; v++)
        {
            uint handler = HandlerBase + v;
            int dpl = _random.Chance(70) ? 3 : 0;
            uint type = _random.Chance(50) ? 0xEu : 0xFu; // interrupt or trap gate
            memory.Write32(Idt + v * 8, (handler & 0xFFFF) | (0x08u << 16));
            memory.Write32(Idt + v * 8 + 4, (handler & 0xFFFF0000) | 0x8000 | ((uint)dpl << 13) | (type << 8));
        }
        cpu.Cr0 |= CpuCore.Cr0PE;
        cpu.GdtrBase = Gdt; cpu.GdtrLimit = 0x3F;
        cpu.IdtrBase = Idt; cpu.IdtrLimit = 256 * 8 - 1;
        cpu.Tr.LoadDescriptor(0x38, memory.Read64(Gdt + 0x38));
        int ring = mode == 1 ? 0 : mode == 2 ? 1 : 3;
        ushort cs = ring == 0 ? (ushort)0x08 : ring == 1 ? (ushort)0x19 : (ushort)0x2B;
        ushort ds = ring == 0 ? (ushort)0x10 : ring == 1 ? (ushort)0x21 : (ushort)0x33;
        cpu.Segs[CpuCore.CS].LoadDescriptor(cs, memory.Read64(Gdt + (uint)(cs & ~7)));
        for (int s = 0; s < 6; s++)
            if (s != CpuCore.CS) cpu.Segs[s].LoadDescriptor(ds, memory.Read64(Gdt + (uint)(ds & ~7)));
        cpu.Cpl = ring;
        cpu.Eip = Code;
        uint iopl = _random.Below(4) << 12;
        cpu.SetEflags(0x2 | iopl | (_random.Chance(50) ? CpuCore.FlagIF : 0) | (_random.Chance(20) ? CpuCore.FlagAC : 0));
        if (_random.Chance(20)) cpu.Cr0 |= CpuCore.Cr0AM;
        if (paging)
        {
            // Identity map the first 4 MiB; the system pages supervisor-only, the rest user or not, read-only or not.
            for (uint k = 0; k < 1024; k++)
            {
                uint flags = 1; // present
                bool system = k < 0x10 || (k >= 0x30 && k < 0x40);
                if (!system || _random.Chance(10)) flags |= 4;                 // user
                if (_random.Chance(80)) flags |= 2;                            // writable
                if (k >= 0x20 && k < 0x30 && _random.Chance(20)) flags &= ~1u; // some data pages not present
                memory.Write32(Pt + k * 4, (k << 12) | flags);
            }
            for (uint k = 0x10; k < 0x20; k++) memory.Write32(Pt + k * 4, (k << 12) | 7); // the code is user-executable
            memory.Write32(Pd, Pt | 7);
            cpu.Cr3 = Pd;
            if (_random.Chance(50)) cpu.Cr0 |= CpuCore.Cr0WP;
            cpu.Cr0 |= CpuCore.Cr0PG;
            cpu.Mmu.FlushAll();
        }
    }
}
