using Emulator.Core.Bus;
using Emulator.Core.Cpu;
using Cpu = Emulator.Core.Cpu.Cpu;
using Emulator.Core.Memory;
using Emulator.Core.Timing;
using Iced.Intel;

namespace Emulator.Tests.Support;

/// <summary>
/// A bare CPU with RAM for instruction tests: code is assembled with Iced's Assembler, loaded at
/// <see cref="CodeBase"/>, and run until HLT (or a step limit). Modes: real mode, or flat 32-bit
/// protected mode with a real GDT in memory (selectors 0x08 code, 0x10 data, 0x1B/0x23 ring-3
/// code/data) so that segment reloads behave as on hardware.
/// </summary>
public sealed class CpuHarness
{
    public const uint GdtBase = 0x1000;
    public const uint IdtBase = 0x2000;
    public const uint CodeBase = 0x10000;
    public const uint DataBase = 0x40000;
    public const uint StackTop = 0x80000;

    public PhysicalMemory Memory { get; }
    public PortBus Ports { get; }
    public VirtualClock Clock { get; }
    public Cpu Cpu { get; }
    public int Bitness { get; }

    private CpuHarness(int bitness, uint ramMiB)
    {
        Bitness = bitness;
        Memory = new PhysicalMemory(ramMiB * 1024 * 1024);
        Ports = new PortBus();
        Clock = new VirtualClock();
        Cpu = new Cpu(Memory, Ports, Clock);
    }

    /// <summary>Real mode, all segments 0, SP = 0xFFF0 (stack in the first 64 KiB), code at 1000:0000.</summary>
    public static CpuHarness Real16(uint ramMiB = 2)
    {
        var h = new CpuHarness(16, ramMiB);
        var c = h.Cpu;
        for (int s = 0; s < 6; s++) c.Segs[s] = SegmentCache.RealDefault(0);
        c.Segs[Cpu.CS] = SegmentCache.RealDefault((ushort)(CodeBase >> 4));
        c.Segs[Cpu.CS].Attributes |= SegmentCache.AttrCode;
        c.Regs[Cpu.ESP] = 0xFFF0;
        c.IdtrBase = 0; c.IdtrLimit = 0x3FF;
        return h;
    }

    /// <summary>Flat 32-bit protected mode at ring 0, paging off, interrupts off.</summary>
    public static CpuHarness Flat32(uint ramMiB = 4)
    {
        var h = new CpuHarness(32, ramMiB);
        h.WriteGdt();
        var c = h.Cpu;
        c.Cr0 |= Cpu.Cr0PE;
        c.GdtrBase = GdtBase; c.GdtrLimit = 8 * 8 - 1;
        c.IdtrBase = IdtBase; c.IdtrLimit = 256 * 8 - 1;
        c.Segs[Cpu.CS].LoadDescriptor(0x08, FlatDescriptor(code: true, dpl: 0));
        for (int s = 0; s < 6; s++)
            if (s != Cpu.CS) c.Segs[s].LoadDescriptor(0x10, FlatDescriptor(code: false, dpl: 0));
        c.Cpl = 0;
        c.Regs[Cpu.ESP] = StackTop;
        return h;
    }

    /// <summary>A flat 4 GiB descriptor: code (execute/read) or data (read/write), 32-bit, present, accessed.</summary>
    public static ulong FlatDescriptor(bool code, int dpl)
    {
        ulong access = (ulong)(0x80 | (dpl << 5) | 0x10 | (code ? 0x0B : 0x03));
        return 0x0000FFFFul | (access << 40) | (0xCFul << 48);
    }

    /// <summary>GDT: 0 null, 0x08 ring-0 code, 0x10 ring-0 data, 0x18 ring-3 code, 0x20 ring-3 data; 0x28..0x38 free for tests.</summary>
    private void WriteGdt()
    {
        Memory.Write64(GdtBase + 0x00, 0);
        Memory.Write64(GdtBase + 0x08, FlatDescriptor(true, 0));
        Memory.Write64(GdtBase + 0x10, FlatDescriptor(false, 0));
        Memory.Write64(GdtBase + 0x18, FlatDescriptor(true, 3));
        Memory.Write64(GdtBase + 0x20, FlatDescriptor(false, 3));
    }

    /// <summary>Assembles code with Iced at <see cref="CodeBase"/> (or <paramref name="at"/>) and points EIP at it.</summary>
    public byte[] Load(Action<Assembler> build, uint at = CodeBase)
    {
        var a = new Assembler(Bitness);
        build(a);
        var ms = new MemoryStream();
        uint ip = Bitness == 16 ? at - Cpu.Segs[Cpu.CS].Base : at;
        a.Assemble(new StreamCodeWriter(ms), ip);
        var bytes = ms.ToArray();
        Memory.WriteBytes(at, bytes);
        Cpu.Eip = ip;
        return bytes;
    }

    /// <summary>Loads raw bytes at <paramref name="at"/> and points EIP there.</summary>
    public void LoadBytes(byte[] bytes, uint at = CodeBase)
    {
        Memory.WriteBytes(at, bytes);
        Cpu.Eip = Bitness == 16 ? at - Cpu.Segs[Cpu.CS].Base : at;
    }

    /// <summary>Runs until the CPU executes HLT (or <paramref name="maxSteps"/> steps). Returns the steps taken.</summary>
    public int Run(int maxSteps = 100_000)
    {
        int n = 0;
        while (!Cpu.Halted && n < maxSteps && Cpu.StopReason == CpuStopReason.None)
        {
            Cpu.Step();
            n++;
        }
        if (!Cpu.Halted && Cpu.StopReason == CpuStopReason.None)
            throw new InvalidOperationException($"guest did not reach HLT within {maxSteps} steps (EIP={Cpu.Eip:X8})");
        return n;
    }

    /// <summary>Executes exactly <paramref name="steps"/> steps.</summary>
    public void Step(int steps = 1)
    {
        for (int k = 0; k < steps; k++) Cpu.Step();
    }

    public uint Eax => Cpu.Regs[Cpu.EAX];
    public uint Ebx => Cpu.Regs[Cpu.EBX];
    public uint Ecx => Cpu.Regs[Cpu.ECX];
    public uint Edx => Cpu.Regs[Cpu.EDX];
    public uint Esi => Cpu.Regs[Cpu.ESI];
    public uint Edi => Cpu.Regs[Cpu.EDI];
    public uint Esp => Cpu.Regs[Cpu.ESP];
    public uint Ebp => Cpu.Regs[Cpu.EBP];
    public uint Flags => Cpu.GetEflags();

    public uint Read32(uint phys) => Memory.Read32(phys);
    public void Write32(uint phys, uint v) => Memory.Write32(phys, v);
}
