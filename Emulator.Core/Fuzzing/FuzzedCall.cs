using System.Buffers.Binary;
using System.Text;
using Emulator.Core.Hypervisor;

namespace Emulator.Core.Fuzzing;

/// <summary>What one argument buffer holds, so a reproducer can decode it.</summary>
public enum FuzzBufferKind : byte { Bytes, MmuUpdates, MmuextOps, MulticallEntries, TrapTable }

/// <summary>An argument buffer the fuzzer wrote into guest memory before a call (Written: false when the guest could not write it there).</summary>
public sealed record FuzzBuffer(uint Va, FuzzBufferKind Kind, byte[] Bytes, bool Written);

/// <summary>
/// One generated hypercall: its number, its five argument registers and the argument buffers written
/// into guest memory for it. <see cref="Describe"/> decodes it for a reproducer.
/// </summary>
public sealed class FuzzedCall
{
    public uint Number { get; }
    public uint Arg1 { get; }
    public uint Arg2 { get; }
    public uint Arg3 { get; }
    public uint Arg4 { get; }
    public uint Arg5 { get; }
    public IReadOnlyList<FuzzBuffer> Buffers { get; }

    public FuzzedCall(uint number, uint a1, uint a2, uint a3, uint a4, uint a5, IReadOnlyList<FuzzBuffer> buffers)
    {
        Number = number; Arg1 = a1; Arg2 = a2; Arg3 = a3; Arg4 = a4; Arg5 = a5;
        Buffers = buffers;
    }

    public string Name => XenAbi.HypercallName(Number);

    /// <summary>The call as the trace decoder shows it (with its result), then each buffer decoded.</summary>
    public string Describe(int result)
    {
        var sb = new StringBuilder();
        sb.Append(new HypercallEvent(0, Number, Arg1, Arg2, Arg3, Arg4, Arg5, result, false).Describe());
        foreach (var b in Buffers)
        {
            sb.Append($"\n  buffer at 0x{b.Va:X8}{(b.Written ? "" : " (not writable by the guest: not written)")}:");
            DescribeBuffer(sb, b);
        }
        return sb.ToString();
    }

    private static void DescribeBuffer(StringBuilder sb, FuzzBuffer b)
    {
        ReadOnlySpan<byte> s = b.Bytes;
        const int MaxLines = 64;
        switch (b.Kind)
        {
            case FuzzBufferKind.MmuUpdates:
                for (int i = 0; i + 16 <= s.Length && i / 16 < MaxLines; i += 16)
                    sb.Append($"\n    [{i / 16}] ptr=0x{BinaryPrimitives.ReadUInt64LittleEndian(s[i..]):X16} val=0x{BinaryPrimitives.ReadUInt64LittleEndian(s[(i + 8)..]):X16}");
                break;
            case FuzzBufferKind.MmuextOps:
                for (int i = 0; i + 12 <= s.Length && i / 12 < MaxLines; i += 12)
                    sb.Append($"\n    [{i / 12}] cmd={U32(s, i)} arg1=0x{U32(s, i + 4):X8} arg2=0x{U32(s, i + 8):X8}");
                break;
            case FuzzBufferKind.MulticallEntries:
                for (int i = 0; i + 32 <= s.Length && i / 32 < MaxLines; i += 32)
                {
                    var e = new HypercallEvent(0, U32(s, i), U32(s, i + 8), U32(s, i + 12), U32(s, i + 16), U32(s, i + 20), U32(s, i + 24), 0, true);
                    string text = e.Describe();
                    sb.Append($"\n    [{i / 32}] {text[..text.LastIndexOf(" = ", StringComparison.Ordinal)]}");
                }
                break;
            case FuzzBufferKind.TrapTable:
                for (int i = 0; i + 8 <= s.Length && i / 8 < MaxLines; i += 8)
                    sb.Append($"\n    [{i / 8}] vector={s[i]} flags=0x{s[i + 1]:X2} cs=0x{BinaryPrimitives.ReadUInt16LittleEndian(s[(i + 2)..]):X4} address=0x{U32(s, i + 4):X8}");
                break;
            default:
                sb.Append(' ').Append(Convert.ToHexString(s.Length > 256 ? s[..256] : s));
                break;
        }
        if (s.Length > MaxLines * 32) sb.Append($"\n    ({s.Length} bytes in all)");
    }

    private static uint U32(ReadOnlySpan<byte> s, int at) => BinaryPrimitives.ReadUInt32LittleEndian(s[at..]);
}
