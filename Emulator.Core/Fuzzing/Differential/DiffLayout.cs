namespace Emulator.Core.Fuzzing.Differential;

/// <summary>
/// The memory map both CPUs of a differential case share (paging off, everything below 64 KiB so
/// that 16-bit segments with base 0 reach it): handlers, GDT, IDT and TSS written once, the code,
/// and one compared window holding the ring-0 stack, the stack and the scratch data page.
/// <code>
/// 0x0500  256 HLTs, one per vector (every IDT gate leads to 0x0500 + vector, ring-0 32-bit code)
/// 0x1000  GDT: 0x08 code32 DPL0, 0x10 data32 DPL0, 0x1B code32 DPL3, 0x23 data32 DPL3,
///              0x28 code16 DPL0, 0x30 data16 DPL0, 0x3B code16 DPL3, 0x43 data16 DPL3, 0x48 TSS
/// 0x2000  IDT (256 interrupt gates, DPL 0)
/// 0x3000  TSS (SS0:ESP0 = 0x10:<see cref="Ring0StackTop"/>)
/// 0x4000  QEMU's boot stub (LGDT, LIDT, CR0.PE, far jump, LTR)
/// 0x6F00  compared window: ring-0 stack below 0x7000, the stack 0x7000-0x70FF (ESP starts at
///         0x7080), scratch data 0x7100-0x71FF
/// 0x8000  the case's code
/// </code>
/// 16-bit segments have limit 0xFFFF and B = 0 (so the stack uses SP); 32-bit ones are flat 4 GiB.
/// </summary>
public static class DiffLayout
{
    public const uint HandlerBase = 0x0500, GdtBase = 0x1000, IdtBase = 0x2000, TssBase = 0x3000, StubBase = 0x4000;
    public const uint WindowBase = 0x6F00, WindowSize = 0x300;
    public const uint Ring0StackTop = 0x7000, StackStart = 0x7080, ScratchBase = 0x7100, ScratchSize = 0x100;
    public const uint CodeBase = 0x8000, CodeLimit = 0x1000;
    public const ushort GdtLimit = 10 * 8 - 1, IdtLimit = 256 * 8 - 1;
    public const ushort TssSelector = 0x48;
    /// <summary>The end of the system tables: <see cref="SystemImage"/> covers [0, this).</summary>
    public const uint SystemImageSize = TssBase + 0x68;

    /// <summary>The code and data selectors of a mode (RPL = ring).</summary>
    public static (ushort Code, ushort Data) Selectors(DiffMode mode) => (mode.Bits, mode.Ring) switch
    {
        (32, 0) => (0x08, 0x10),
        (32, _) => (0x1B, 0x23),
        (16, 0) => (0x28, 0x30),
        _ => (0x3B, 0x43),
    };

    /// <summary>A code or data descriptor with base 0: flat 4 GiB 32-bit, or 64 KiB 16-bit.</summary>
    public static ulong Descriptor(bool code, int dpl, int bits)
    {
        ulong access = (ulong)(0x80 | (dpl << 5) | 0x10 | (code ? 0x0B : 0x03));
        return bits == 32 ? 0x0000FFFFul | (access << 40) | (0xCFul << 48) : 0x0000FFFFul | (access << 40);
    }

    /// <summary>Handlers, GDT, IDT and TSS: the bytes of [0, <see cref="SystemImageSize"/>).</summary>
    public static byte[] SystemImage()
    {
        var image = new byte[SystemImageSize];
        void Put64(uint at, ulong v) => BitConverter.TryWriteBytes(image.AsSpan((int)at, 8), v);
        void Put32(uint at, uint v) => BitConverter.TryWriteBytes(image.AsSpan((int)at, 4), v);
        for (uint v = 0; v < 256; v++) image[HandlerBase + v] = 0xF4; // HLT
        Put64(GdtBase + 0x08, Descriptor(true, 0, 32));
        Put64(GdtBase + 0x10, Descriptor(false, 0, 32));
        Put64(GdtBase + 0x18, Descriptor(true, 3, 32));
        Put64(GdtBase + 0x20, Descriptor(false, 3, 32));
        Put64(GdtBase + 0x28, Descriptor(true, 0, 16));
        Put64(GdtBase + 0x30, Descriptor(false, 0, 16));
        Put64(GdtBase + 0x38, Descriptor(true, 3, 16));
        Put64(GdtBase + 0x40, Descriptor(false, 3, 16));
        Put64(GdtBase + TssSelector, 0x67ul | ((ulong)TssBase << 16) | (0x89ul << 40)); // available 32-bit TSS
        for (uint v = 0; v < 256; v++)
        {
            uint handler = HandlerBase + v;
            Put32(IdtBase + v * 8, (handler & 0xFFFF) | (0x08u << 16));
            Put32(IdtBase + v * 8 + 4, (handler & 0xFFFF0000) | 0x8E00); // present 32-bit interrupt gate, DPL 0
        }
        Put32(TssBase + 4, Ring0StackTop);
        Put32(TssBase + 8, 0x10);
        BitConverter.TryWriteBytes(image.AsSpan((int)TssBase + 0x66, 2), (ushort)0x68); // no I/O bitmap
        return image;
    }

    /// <summary>True when a linear EIP is one of the exception handlers (the case delivered an exception).</summary>
    public static bool IsHandler(uint eip) => eip >= HandlerBase && eip < HandlerBase + 256;
}
