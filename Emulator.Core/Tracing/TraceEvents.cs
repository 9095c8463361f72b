using System.Text.Json;
using System.Text.Json.Nodes;

namespace Emulator.Core.Tracing;

/// <summary>
/// One trace event: the virtual time it happened at (<see cref="I"/>: the virtual clock, which counts
/// executed instructions plus the hypervisor's documented costs), its type name, and its fields,
/// written in a fixed order so that equal runs give byte-identical lines. No wall-clock value ever
/// appears in an event.
/// </summary>
public abstract record TraceEvent(ulong I)
{
    public abstract string Type { get; }

    /// <summary>The fields after "i" and "type", in their stable order.</summary>
    public abstract void WriteFields(Utf8JsonWriter w);

    /// <summary>The whole event as one JSON object: "i" and "type" first, then the fields (a trace file's line).</summary>
    public void WriteObject(Utf8JsonWriter w)
    {
        w.WriteStartObject();
        w.WriteNumber("i", I);
        w.WriteString("type", Type);
        WriteFields(w);
        w.WriteEndObject();
    }

    /// <summary>The lowest level that records this event.</summary>
    public virtual TraceLevel Level => TraceLevel.Hypercall;

    public static string Hex32(uint v) => "0x" + v.ToString("x8");
    public static string Hex16(uint v) => "0x" + v.ToString("x4");
    public static string Hex64(ulong v) => "0x" + v.ToString("x16");
}

/// <summary>The first line of every trace file: the format version and the level recorded.</summary>
public sealed record TraceHeaderEvent(ulong I, TraceLevel RecordedLevel) : TraceEvent(I)
{
    public const int FormatVersion = 1;
    public override string Type => "trace";
    public override TraceLevel Level => TraceLevel.Boot;
    public override void WriteFields(Utf8JsonWriter w)
    {
        w.WriteNumber("version", FormatVersion);
        w.WriteString("level", RecordedLevel.ToString().ToLowerInvariant());
    }
}

/// <summary>How the machine was started: the loader, the image, the entry point, the profile and the guest's paravirt strategy (pv= on its command line).</summary>
public sealed record BootEvent(ulong I, string Profile, string Loader, string Image, uint Entry, string CommandLine, string? Strategy,
    uint MemoryMiB, ulong? P2mSeed) : TraceEvent(I)
{
    public override string Type => "boot";
    public override TraceLevel Level => TraceLevel.Boot;
    public override void WriteFields(Utf8JsonWriter w)
    {
        w.WriteString("profile", Profile);
        w.WriteString("loader", Loader);
        w.WriteString("image", Image);
        w.WriteString("entry", Hex32(Entry));
        w.WriteString("cmdline", CommandLine);
        if (Strategy != null) w.WriteString("strategy", Strategy); else w.WriteNull("strategy");
        w.WriteNumber("memory_mib", MemoryMiB);
        if (P2mSeed is ulong seed) w.WriteNumber("p2m_seed", seed);
    }
}

/// <summary>A control register or EFER changed bits that change the CPU's mode (CR0, CR4, EFER; CR3 has its own event).</summary>
public sealed record ModeEvent(ulong I, string Register, ulong Old, ulong New, string Changed) : TraceEvent(I)
{
    public override string Type => "mode";
    public override TraceLevel Level => TraceLevel.Boot;
    public override void WriteFields(Utf8JsonWriter w)
    {
        w.WriteString("reg", Register);
        w.WriteString("old", Hex32((uint)Old));
        w.WriteString("new", Hex32((uint)New));
        w.WriteString("changed", Changed);
    }
}

/// <summary>
/// An exception or interrupt as the CPU raised it, before delivery: to the guest's IDT on bare
/// hardware, to the hypervisor first in the xen profile. CR2 is given for #PF.
/// </summary>
public sealed record ExceptionEvent(ulong I, bool Interrupt, byte Vector, string Name, uint? Error, uint Eip, ushort Cs, int Cpl,
    uint? Cr2, string To) : TraceEvent(I)
{
    public override string Type => Interrupt ? "interrupt" : "exception";
    public override void WriteFields(Utf8JsonWriter w)
    {
        w.WriteNumber("vector", Vector);
        w.WriteString("name", Name);
        if (Error is uint e) w.WriteString("error", Hex32(e)); else w.WriteNull("error");
        w.WriteString("eip", Hex32(Eip));
        w.WriteString("cs", Hex16(Cs));
        w.WriteNumber("cpl", Cpl);
        if (Cr2 is uint cr2) w.WriteString("cr2", Hex32(cr2));
        w.WriteString("to", To);
    }
}

/// <summary>One hypercall: number, name, arguments decoded from the registers and guest memory, result and errno name.</summary>
public sealed record HypercallTraceEvent(ulong I, uint Number, string Name, JsonObject Args, int Result, string? Errno,
    bool InMulticall) : TraceEvent(I)
{
    public override string Type => "hypercall";
    public override void WriteFields(Utf8JsonWriter w)
    {
        w.WriteNumber("nr", Number);
        w.WriteString("name", Name);
        w.WritePropertyName("args");
        Args.WriteTo(w);
        w.WriteNumber("result", Result);
        if (Errno != null) w.WriteString("errno", Errno); else w.WriteNull("errno");
        if (InMulticall) w.WriteBoolean("multicall", true);
    }
}

/// <summary>The hypervisor entered the guest's event callback (evtchn_upcall_pending with the mask clear).</summary>
public sealed record UpcallEvent(ulong I, uint CallbackEip, uint FromEip, int FromCpl, uint PendingSelector) : TraceEvent(I)
{
    public override string Type => "upcall";
    public override void WriteFields(Utf8JsonWriter w)
    {
        w.WriteString("callback", Hex32(CallbackEip));
        w.WriteString("from_eip", Hex32(FromEip));
        w.WriteNumber("from_cpl", FromCpl);
        w.WriteString("pending_sel", Hex32(PendingSelector));
    }
}

/// <summary>A page-table base load: MOV to CR3 natively, MMUEXT_NEW_BASEPTR under the hypervisor (a machine address).</summary>
public sealed record Cr3Event(ulong I, uint Value, string By) : TraceEvent(I)
{
    public override string Type => "cr3";
    public override void WriteFields(Utf8JsonWriter w)
    {
        w.WriteString("value", Hex32(Value));
        w.WriteString("by", By);
    }
}

/// <summary>
/// A page-table entry changed: a validated hypervisor update (mmu_update, update_va_mapping), or a
/// native store into a frame that the current tables use as a page table. Addresses are physical
/// (machine addresses under the hypervisor); level names the table holding the entry.
/// </summary>
public sealed record PageTableEvent(ulong I, uint Address, string TableLevel, ulong Old, ulong New, string Via) : TraceEvent(I)
{
    public override string Type => "pte";
    public override void WriteFields(Utf8JsonWriter w)
    {
        w.WriteString("addr", Hex32(Address));
        w.WriteString("level", TableLevel);
        w.WriteString("old", Hex64(Old));
        w.WriteString("new", Hex64(New));
        w.WriteString("via", Via);
    }
}

/// <summary>One port access by the guest (full level only).</summary>
public sealed record IoEvent(ulong I, bool Out, ushort Port, int Size, uint Value) : TraceEvent(I)
{
    public override string Type => "io";
    public override TraceLevel Level => TraceLevel.Full;
    public override void WriteFields(Utf8JsonWriter w)
    {
        w.WriteString("dir", Out ? "out" : "in");
        w.WriteString("port", Hex16(Port));
        w.WriteNumber("size", Size);
        w.WriteString("value", "0x" + Value.ToString(Size == 1 ? "x2" : Size == 2 ? "x4" : "x8"));
    }
}

/// <summary>One line the guest wrote to its console (the serial port, or console_io under the hypervisor).</summary>
public sealed record ConsoleEvent(ulong I, string Text) : TraceEvent(I)
{
    public override string Type => "console";
    public override TraceLevel Level => TraceLevel.Boot;
    public override void WriteFields(Utf8JsonWriter w) => w.WriteString("text", Text);
}

/// <summary>A host key event entering the machine through the input log (the outside influence a replay reproduces).</summary>
public sealed record InputEvent(ulong I, ushort ScanCode, bool Pressed) : TraceEvent(I)
{
    public override string Type => "input";
    public override TraceLevel Level => TraceLevel.Boot;
    public override void WriteFields(Utf8JsonWriter w)
    {
        w.WriteString("device", "keyboard");
        w.WriteString("scancode", "0x" + ScanCode.ToString("x2"));
        w.WriteString("action", Pressed ? "down" : "up");
    }
}

/// <summary>The last line of a complete trace: how the run ended and the exit status.</summary>
public sealed record EndEvent(ulong I, string Reason, int Status, string Message) : TraceEvent(I)
{
    public override string Type => "end";
    public override TraceLevel Level => TraceLevel.Boot;
    public override void WriteFields(Utf8JsonWriter w)
    {
        w.WriteString("reason", Reason);
        w.WriteNumber("status", Status);
        w.WriteString("message", Message);
    }
}
