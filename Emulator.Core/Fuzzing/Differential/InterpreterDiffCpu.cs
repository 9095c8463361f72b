using Emulator.Core.Bus;
using Emulator.Core.Memory;
using Emulator.Core.Timing;
using Serilog.Core;
using CpuCore = Emulator.Core.Cpu.Cpu;

namespace Emulator.Core.Fuzzing.Differential;

/// <summary>
/// Our interpreter as one side of a differential case: a bare CPU (no devices) with 1 MiB of RAM
/// laid out as <see cref="DiffLayout"/> says, put straight into protected mode at the case's ring
/// with the descriptors read from the GDT in memory, as the reference loads them.
/// </summary>
public sealed class InterpreterDiffCpu : IDiffCpu
{
    private const uint Ram = 1u << 20;
    private readonly PhysicalMemory _memory = new(Ram);
    private readonly CpuCore _cpu;
    private readonly byte[] _system = DiffLayout.SystemImage();

    public InterpreterDiffCpu() => _cpu = new CpuCore(_memory, new PortBus(Logger.None), new VirtualClock(), Logger.None);

    public string Name => "emu";

    public CpuCore Cpu => _cpu;

    public void Load(DiffCase diffCase)
    {
        Array.Clear(_memory.Ram);
        _cpu.Reset();
        _cpu.StopReason = Core.Cpu.CpuStopReason.None;
        _cpu.TripleFaulted = false;
        _memory.WriteBytes(0, _system);
        // TR holds the TSS as if LTR had loaded it, which marks its descriptor busy (SDM Vol. 3 §7.2.4), as QEMU's boot stub did.
        _memory.Write8(DiffLayout.GdtBase + DiffLayout.TssSelector + 5, 0x8B);
        _memory.WriteBytes(DiffLayout.WindowBase, diffCase.Window);
        _memory.WriteBytes(DiffLayout.CodeBase, diffCase.Code);
        _cpu.FlushDecodeCache();
        _cpu.Cr0 |= CpuCore.Cr0PE;
        _cpu.GdtrBase = DiffLayout.GdtBase; _cpu.GdtrLimit = DiffLayout.GdtLimit;
        _cpu.IdtrBase = DiffLayout.IdtBase; _cpu.IdtrLimit = DiffLayout.IdtLimit;
        _cpu.Tr.LoadDescriptor(DiffLayout.TssSelector, _memory.Read64(DiffLayout.GdtBase + DiffLayout.TssSelector));
        var (cs, ds) = DiffLayout.Selectors(diffCase.Mode);
        _cpu.Segs[CpuCore.CS].LoadDescriptor(cs, _memory.Read64(DiffLayout.GdtBase + (uint)(cs & ~7)));
        for (int s = 0; s < 6; s++)
            if (s != CpuCore.CS) _cpu.Segs[s].LoadDescriptor(ds, _memory.Read64(DiffLayout.GdtBase + (uint)(ds & ~7)));
        _cpu.Cpl = diffCase.Mode.Ring;
        diffCase.Regs.CopyTo(_cpu.Regs, 0);
        _cpu.Eip = DiffLayout.CodeBase;
        _cpu.SetEflags(diffCase.Eflags);
    }

    public void Step() => _cpu.Step();

    public DiffState Read()
    {
        var state = new DiffState { Eip = _cpu.Eip, Eflags = _cpu.GetEflags() };
        _cpu.Regs.CopyTo(state.Regs, 0);
        for (int s = 0; s < 6; s++) state.Selectors[s] = _cpu.Segs[s].Selector;
        _memory.Ram.AsSpan((int)DiffLayout.WindowBase, (int)DiffLayout.WindowSize).CopyTo(state.Window);
        return state;
    }

    public uint ReadEip() => _cpu.Eip;

    public void WriteEflags(uint value) => _cpu.SetEflags(value);

    public void WriteRegister(int index, uint value) => _cpu.Regs[index] = value;

    public void WriteMemory(uint address, byte[] bytes) => _memory.WriteBytes(address, bytes);

    public void Dispose() { }
}
