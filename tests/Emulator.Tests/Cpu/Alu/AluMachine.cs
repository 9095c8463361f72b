using Emulator.Tests.Support;
using Iced.Intel;
using Cpu = Emulator.Core.Cpu.Cpu;

namespace Emulator.Tests.CpuTests.Alu;

/// <summary>
/// A harness with a fixed code snippet (followed by HLT) that can be re-run many times with fresh
/// register and flag inputs, so that theories covering many operand combinations share one machine.
/// Register inputs go straight into the CPU (no MOV), so the tests depend only on the ALU handlers and HLT.
/// </summary>
internal sealed class AluMachine
{
    public CpuHarness H { get; }
    public Cpu Cpu => H.Cpu;
    private readonly uint _entry;
    private readonly uint _espStart;
    private readonly uint _end;
    private readonly Emulator.Core.Cpu.SegmentCache _cs;

    private AluMachine(CpuHarness h, Action<Assembler> code)
    {
        H = h;
        var bytes = h.Load(a => { code(a); a.hlt(); });
        _entry = h.Cpu.Eip;
        _end = _entry + (uint)bytes.Length;
        _espStart = h.Cpu.Regs[Cpu.ESP];
        _cs = h.Cpu.Segs[Cpu.CS];
    }

    /// <summary>Flat 32-bit protected mode (ring 0, 1 MiB of RAM).</summary>
    public static AluMachine Flat32(Action<Assembler> code) => new(CpuHarness.Flat32(1), code);

    /// <summary>Real mode; IVT entries 0 (#DE), 6 (#UD) and 13 (#GP) point at a HLT at 0000:0500 (+0, +1, +2).</summary>
    public static AluMachine Real16(Action<Assembler> code)
    {
        var h = CpuHarness.Real16(1);
        h.Memory.Write32(0 * 4, 0x0000_0500);
        h.Memory.Write32(6 * 4, 0x0000_0501);
        h.Memory.Write32(13 * 4, 0x0000_0502);
        h.Memory.Write8(0x500, 0xF4);
        h.Memory.Write8(0x501, 0xF4);
        h.Memory.Write8(0x502, 0xF4);
        return new AluMachine(h, code);
    }

    /// <summary>Linear address of the real-mode handler HLT reached for #DE, #UD, #GP (EIP after the HLT = this + 1).</summary>
    public const uint DeHandler = 0x500, UdHandler = 0x501, GpHandler = 0x502;

    /// <summary>Sets registers (all others zero) and the six arithmetic flags, then runs to HLT.</summary>
    public AluMachine Exec(uint eax = 0, uint ebx = 0, uint ecx = 0, uint edx = 0, uint esi = 0, uint edi = 0,
        uint flags = 0, int maxSteps = 16)
    {
        var c = Cpu;
        c.Regs[Cpu.EAX] = eax; c.Regs[Cpu.EBX] = ebx; c.Regs[Cpu.ECX] = ecx; c.Regs[Cpu.EDX] = edx;
        c.Regs[Cpu.ESI] = esi; c.Regs[Cpu.EDI] = edi; c.Regs[Cpu.EBP] = 0;
        c.Regs[Cpu.ESP] = _espStart;
        c.SetEflags(2 | flags);
        c.Segs[Cpu.CS] = _cs; // an exception handler of a previous run may have left CS elsewhere
        c.Eip = _entry;
        c.Halted = false;
        H.Run(maxSteps);
        return this;
    }

    public uint Eax => Cpu.Regs[Cpu.EAX];
    public uint Ebx => Cpu.Regs[Cpu.EBX];
    public uint Ecx => Cpu.Regs[Cpu.ECX];
    public uint Edx => Cpu.Regs[Cpu.EDX];
    /// <summary>The six arithmetic flags after the run.</summary>
    public uint Flags => Cpu.GetEflags() & Ref.Arith;
    public uint Entry => _entry;

    /// <summary>Asserts the real-mode handler <paramref name="handler"/> was entered (its HLT executed) for a
    /// fault at snippet offset <paramref name="faultOffset"/>: a fault pushes the faulting instruction's IP.</summary>
    public void AssertVectoredTo(uint handler, int faultOffset = 0)
    {
        Assert.Equal(0u, Cpu.Segs[Cpu.CS].Base);
        Assert.Equal(handler + 1, Cpu.Eip);
        Assert.Equal((ushort)(_entry + (uint)faultOffset), H.Memory.Read16(_espStart - 6));
    }

    /// <summary>Asserts the snippet ran to its final HLT without any exception.</summary>
    public void AssertCompleted()
    {
        Assert.Equal(0L, Cpu.InvalidOpcodeCount);
        Assert.False(Cpu.TripleFaulted);
        Assert.Equal(_end, Cpu.Eip);
    }
}
