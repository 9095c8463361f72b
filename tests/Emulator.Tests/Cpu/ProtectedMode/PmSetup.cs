using Emulator.Core.Cpu;
using Emulator.Tests.Support;
using Cpu = Emulator.Core.Cpu.Cpu;

namespace Emulator.Tests.CpuTests.ProtectedMode;

/// <summary>
/// Builds protected-mode structures in guest memory for tests: descriptors encoded from the SDM's
/// layouts (Vol. 3 Figures 3-8, 5-8, 6-2, 7-2), an IDT whose handlers are single HLTs, a 32-bit TSS,
/// and a ring-3 context on top of <see cref="CpuHarness.Flat32"/>.
/// </summary>
internal static class PmSetup
{
    public const uint HandlerBase = 0x20000;   // handler for vector v: HLT at HandlerBase + 16 * v
    public const uint TssBase = 0x3000;
    public const ushort TssSel = 0x28;
    public const uint Ring0StackTop = 0x70000; // ESP0 in the TSS
    public const uint Ring3StackTop = 0x60000;
    public const uint Ring3Code = 0x30000;

    public const ushort Code0 = 0x08, Data0 = 0x10, Code3 = 0x1B, Data3 = 0x23;

    /// <summary>A code/data segment descriptor: base, 20-bit limit field, access byte, flags nibble (G, D/B, L, AVL).</summary>
    public static ulong Segment(uint @base, uint limit20, byte access, byte flags = 0x4)
    {
        ulong d = limit20 & 0xFFFF;
        d |= (ulong)(@base & 0xFFFFFF) << 16;
        d |= (ulong)access << 40;
        d |= (ulong)((limit20 >> 16) & 0xF) << 48;
        d |= (ulong)(flags & 0xF) << 52;
        d |= (ulong)(@base >> 24) << 56;
        return d;
    }

    /// <summary>A gate descriptor (interrupt/trap/call/task): selector, offset, type, DPL, P, parameter count.</summary>
    public static ulong Gate(ushort selector, uint offset, int type, int dpl, bool present = true, int paramCount = 0)
    {
        ulong d = offset & 0xFFFF;
        d |= (ulong)selector << 16;
        d |= (ulong)(paramCount & 0x1F) << 32;
        d |= (ulong)((present ? 0x80 : 0) | (dpl << 5) | type) << 40;
        d |= (ulong)(offset >> 16) << 48;
        return d;
    }

    public const int IntGate32 = 0xE, TrapGate32 = 0xF, IntGate16 = 0x6, CallGate32 = 0xC, CallGate16 = 0x4, TaskGate = 0x5;

    /// <summary>Writes a GDT entry (extending GDTR.limit to 0xFF so that slots up to 0xF8 exist).</summary>
    public static void SetGdt(CpuHarness h, ushort selector, ulong desc)
    {
        h.Memory.Write64(CpuHarness.GdtBase + (uint)(selector & 0xFFF8), desc);
        if (h.Cpu.GdtrLimit < 0xFF) h.Cpu.GdtrLimit = 0xFF;
    }

    public static void SetIdt(CpuHarness h, int vector, ulong gate) => h.Memory.Write64(CpuHarness.IdtBase + (uint)vector * 8, gate);

    public static uint Handler(int vector) => HandlerBase + 16u * (uint)vector;

    /// <summary>Every vector 0-0x4F gets a DPL-0 gate of <paramref name="type"/> to a ring-0 HLT.</summary>
    public static void InstallHaltHandlers(CpuHarness h, int type = IntGate32, int dpl = 0)
    {
        for (int v = 0; v < 0x50; v++)
        {
            h.Memory.Write8(Handler(v), 0xF4); // HLT
            SetIdt(h, v, Gate(Code0, Handler(v), type, dpl));
        }
    }

    /// <summary>
    /// A 32-bit TSS at <see cref="TssBase"/> (SS0:ESP0 at offsets 8/4, I/O map base at 0x66) described at
    /// GDT slot 0x28 and loaded into TR directly (busy type 0xB).
    /// </summary>
    public static void SetupTss(CpuHarness h, ushort ss0 = Data0, uint esp0 = Ring0StackTop, uint limit = 0x67, ushort ioMapBase = 0x68)
    {
        for (uint k = 0; k < 0x68; k += 4) h.Memory.Write32(TssBase + k, 0);
        h.Memory.Write32(TssBase + 4, esp0);
        h.Memory.Write16(TssBase + 8, ss0);
        h.Memory.Write16(TssBase + 0x66, ioMapBase);
        ulong desc = Segment(TssBase, limit, 0x8B, 0x0);
        SetGdt(h, TssSel, desc);
        h.Cpu.Tr.LoadDescriptor(TssSel, desc);
    }

    /// <summary>Switches the harness CPU to ring 3 (flat ring-3 code and data) at <see cref="Ring3Code"/>.</summary>
    public static void EnterRing3(CpuHarness h, uint eip = Ring3Code, uint esp = Ring3StackTop)
    {
        var c = h.Cpu;
        c.Segs[Cpu.CS].LoadDescriptor(Code3, CpuHarness.FlatDescriptor(code: true, dpl: 3));
        foreach (int s in new[] { Cpu.SS, Cpu.DS, Cpu.ES, Cpu.FS, Cpu.GS })
            c.Segs[s].LoadDescriptor(Data3, CpuHarness.FlatDescriptor(code: false, dpl: 3));
        c.Cpl = 3;
        c.Eip = eip;
        c.Regs[Cpu.ESP] = esp;
    }

    /// <summary>Assembles ring-3 code at <see cref="Ring3Code"/> (EIP set by <see cref="EnterRing3"/>).</summary>
    public static void LoadRing3(CpuHarness h, Action<Iced.Intel.Assembler> build)
    {
        uint eip = h.Cpu.Eip;
        h.Load(build, Ring3Code);
        h.Cpu.Eip = eip;
    }

    public static uint Stack(CpuHarness h, uint esp, int index) => h.Memory.Read32(esp + 4u * (uint)index);
}
