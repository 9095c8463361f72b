namespace Emulator.Core.Fuzzing;

/// <summary>How many calls of one hypercall succeeded (result ≥ 0) and failed.</summary>
public sealed class HypercallTally
{
    public long Succeeded { get; internal set; }
    public long Failed { get; internal set; }
    public long Total => Succeeded + Failed;

    internal void Count(int result)
    {
        if (result >= 0) Succeeded++;
        else Failed++;
    }
}
