namespace Emulator.Core.Fuzzing.Differential;

/// <summary>The code size (16 or 32) and privilege level (0 or 3) a differential case runs at, in protected mode with paging off.</summary>
public readonly record struct DiffMode(int Bits, int Ring)
{
    public override string ToString() => $"{Bits}-bit ring {Ring}";
}
