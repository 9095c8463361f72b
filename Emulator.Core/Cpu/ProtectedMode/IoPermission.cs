namespace Emulator.Core.Cpu;

/// <summary>I/O privilege: IOPL and the TSS I/O permission bitmap (SDM Vol. 1 §19.5).</summary>
public sealed partial class Cpu
{
    /// <summary>Offset in a 32-bit TSS of the 16-bit I/O map base address.</summary>
    private const uint TssIoMapBaseOffset = 0x66;

    /// <summary>
    /// True when IN/OUT/INS/OUTS may touch <paramref name="size"/> ports from <paramref name="port"/>;
    /// otherwise raises #GP(0) and returns false. With CPL &gt; IOPL (or in virtual-8086 mode) every bit
    /// of the accessed ports in the 32-bit TSS's bitmap must be clear; the processor always reads two
    /// bytes of the bitmap, and any byte beyond the TSS limit counts as set (SDM Vol. 1 §19.5.2).
    /// </summary>
    public bool CheckIoPermission(ushort port, int size)
    {
        if (!ProtectedMode || (Cpl <= Iopl && !V86Mode)) return true;
        return CheckIoBitmap(port, size);
    }

    private bool CheckIoBitmap(ushort port, int size)
    {
        // Only a 32-bit TSS (available or busy) has a bitmap; its base field lies at 0x66-0x67.
        bool tss32 = Tr.Usable && (Tr.Attributes & 0x1F) is 0x09 or 0x0B;
        if (!tss32 || Tr.Limit < TssIoMapBaseOffset + 1) { RaiseGP(0); return false; }
        uint mapBase = ReadLinearSystem(Tr.Base + TssIoMapBaseOffset, 2);
        if (Faulted) return false;
        uint byteOffset = mapBase + (uint)(port >> 3);
        if (byteOffset + 1 > Tr.Limit) { RaiseGP(0); return false; }
        uint bits = ReadLinearSystem(Tr.Base + byteOffset, 2);
        if (Faulted) return false;
        uint mask = ((1u << size) - 1) << (port & 7);
        if ((bits & mask) != 0) { RaiseGP(0); return false; }
        return true;
    }
}
