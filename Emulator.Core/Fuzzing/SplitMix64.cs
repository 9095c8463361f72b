namespace Emulator.Core.Fuzzing;

/// <summary>
/// SplitMix64 (Steele, Lea and Flood 2014): a tiny seeded generator with a full 2^64 period. The
/// fuzzer's only source of randomness, so a campaign is a function of its seed (DESIGN.md §3).
/// </summary>
public sealed class SplitMix64
{
    private ulong _state;

    public SplitMix64(ulong seed) => _state = seed;

    public ulong Next()
    {
        ulong z = _state += 0x9E3779B97F4A7C15ul;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ul;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBul;
        return z ^ (z >> 31);
    }

    public uint Next32() => (uint)(Next() >> 32);

    /// <summary>A number in [0, <paramref name="n"/>) (n &gt; 0), by Lemire's multiply-shift.</summary>
    public uint Below(uint n) => (uint)(((ulong)Next32() * n) >> 32);

    /// <summary>True with probability <paramref name="percent"/>/100.</summary>
    public bool Chance(uint percent) => Below(100) < percent;

    public T Pick<T>(IReadOnlyList<T> items) => items[(int)Below((uint)items.Count)];
}
