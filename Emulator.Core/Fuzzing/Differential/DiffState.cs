namespace Emulator.Core.Fuzzing.Differential;

/// <summary>
/// The architectural state compared after every instruction: the eight general registers (in
/// EAX, ECX, EDX, EBX, ESP, EBP, ESI, EDI order), EIP, EFLAGS, the six selectors (ES, CS, SS, DS,
/// FS, GS) and the bytes of the compared window (<see cref="DiffLayout.WindowBase"/>).
/// </summary>
public sealed class DiffState
{
    public static readonly string[] RegisterNames = { "eax", "ecx", "edx", "ebx", "esp", "ebp", "esi", "edi" };
    public static readonly string[] SegmentNames = { "es", "cs", "ss", "ds", "fs", "gs" };

    public uint[] Regs { get; } = new uint[8];
    public uint Eip { get; set; }
    public uint Eflags { get; set; }
    public ushort[] Selectors { get; } = new ushort[6];
    public byte[] Window { get; } = new byte[DiffLayout.WindowSize];
}
