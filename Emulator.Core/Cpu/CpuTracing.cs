using Emulator.Core.Tracing;

namespace Emulator.Core.Cpu;

/// <summary>
/// The CPU's trace hooks (DESIGN.md §8): mode changes, CR3 loads, and events as they are raised.
/// <see cref="Tracer"/> is null unless a trace is recorded, so each hook is one null check on paths
/// that are not hot (control-register writes, event delivery).
/// </summary>
public sealed partial class Cpu
{
    /// <summary>Where trace events go; null when nothing is recorded.</summary>
    public Tracer? Tracer;

    /// <summary>On bare hardware at the detailed levels: the live page-table frames, rebuilt on paging changes.</summary>
    public PageTableWatch? TableWatch;

    /// <summary>CR0 bits whose change is a mode change (TS, MP, EM and NE toggle with FPU use, not modes).</summary>
    private const uint Cr0ModeBits = Cr0PE | Cr0WP | Cr0AM | Cr0NW | Cr0CD | Cr0PG;

    private static readonly (uint Bit, string Name)[] Cr0Names =
        { (Cr0PE, "PE"), (Cr0WP, "WP"), (Cr0AM, "AM"), (Cr0NW, "NW"), (Cr0CD, "CD"), (Cr0PG, "PG") };

    private static readonly (uint Bit, string Name)[] Cr4Names =
        { (Cr4VME, "VME"), (Cr4PVI, "PVI"), (Cr4TSD, "TSD"), (Cr4DE, "DE"), (Cr4PSE, "PSE"), (Cr4PAE, "PAE"), (Cr4MCE, "MCE"),
          (Cr4PGE, "PGE"), (Cr4PCE, "PCE") };

    private void TraceCr0(uint old, uint value)
    {
        if (((old ^ value) & Cr0ModeBits) != 0)
            Tracer!.Emit(new ModeEvent(Clock.Now, "cr0", old, value, Changes(old, value, Cr0Names)));
        if (((old ^ value) & Cr0PG) != 0) TableWatch?.Rebuild();
    }

    private void TraceCr4(uint old, uint value)
    {
        if (old != value) Tracer!.Emit(new ModeEvent(Clock.Now, "cr4", old, value, Changes(old, value, Cr4Names)));
        if (((old ^ value) & (Cr4PAE | Cr4PSE)) != 0) TableWatch?.Rebuild();
    }

    private void TraceCr3(uint value)
    {
        if (Tracer!.Detailed) Tracer.Emit(new Cr3Event(Clock.Now, value, "mov"));
        TableWatch?.Rebuild();
    }

    private void TraceEfer(ulong old, ulong value)
    {
        if (old != value) Tracer!.Emit(new ModeEvent(Clock.Now, "efer", old, value, ((old ^ value) & EferNXE) != 0
            ? ((value & EferNXE) != 0 ? "+NXE" : "-NXE") : ""));
    }

    private static string Changes(uint old, uint value, (uint Bit, string Name)[] names)
    {
        var parts = new List<string>();
        foreach (var (bit, name) in names)
            if (((old ^ value) & bit) != 0) parts.Add(((value & bit) != 0 ? "+" : "-") + name);
        return string.Join(' ', parts);
    }

    /// <summary>
    /// Records an exception or interrupt as raised (EIP/CS/CPL as delivery will push them): to the
    /// guest's IDT on bare hardware, to the hypervisor in the xen profile (which calls this itself).
    /// </summary>
    public void TraceDelivery(byte vector, EventKind kind, bool hasError, uint errorCode, string to)
    {
        var t = Tracer;
        if (t == null || !t.Detailed) return;
        bool interrupt = kind is EventKind.External or EventKind.SoftwareInt;
        string name = kind == EventKind.External ? $"IRQ vector {vector}" : kind == EventKind.SoftwareInt ? $"INT {vector:X2}h" : Vector.Name(vector);
        t.Emit(new ExceptionEvent(Clock.Now, interrupt, vector, name, hasError ? errorCode : null, Eip, Segs[CS].Selector, Cpl,
            vector == Vector.PF && kind == EventKind.Exception ? Cr2 : null, to));
    }
}
