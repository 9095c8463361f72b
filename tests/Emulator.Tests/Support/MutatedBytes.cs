using CsCheck;

namespace Emulator.Tests.Support;

/// <summary>
/// CsCheck generators of mutants of a valid file: a few byte or 32-bit edits (random values, or
/// values that break size and offset arithmetic: 0, 1, 0x7FFFFFFF, 0x80000000, 0xFFFFFFFF, the
/// file's length...), biased toward the first 256 bytes where the headers live, and sometimes a
/// truncation.
/// </summary>
public static class MutatedBytes
{
    private static readonly uint[] Hostile = { 0, 1, 2, 3, 0x20, 0x34, 0x1000, 0xFFFF, 0x10000, 0x7FFFFFFF, 0x80000000, 0xFFFFFFF0, 0xFFFFFFFF };

    public static Gen<byte[]> Of(byte[] original) =>
        Gen.Select(Gen.Select(Gen.Int[0, 5], Gen.Int[0, int.MaxValue], Gen.UInt).Array[1, 8], Gen.Int[0, 9], Gen.Int[0, int.MaxValue],
            (edits, truncate, cutAt) => Apply(original, edits, truncate == 0 ? cutAt % (original.Length + 1) : original.Length));

    private static byte[] Apply(byte[] original, (int Kind, int Position, uint Value)[] edits, int length)
    {
        var bytes = original.ToArray();
        foreach (var (kind, position, value) in edits)
        {
            int window = kind < 3 ? Math.Min(bytes.Length, 256) : bytes.Length;
            if (window == 0) break;
            int at = position % window;
            uint v = kind is 1 or 4 ? Hostile[value % (uint)Hostile.Length] : kind == 2 ? (uint)original.Length + value % 64 - 32 : value;
            if (kind is 0 or 3 || at + 4 > bytes.Length) bytes[at] = (byte)v;
            else BitConverter.TryWriteBytes(bytes.AsSpan(at, 4), v);
        }
        return bytes[..length];
    }
}
