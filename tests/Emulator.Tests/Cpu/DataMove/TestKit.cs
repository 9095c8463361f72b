using Emulator.Core.Bus;
using Emulator.Core.Cpu;
using Emulator.Tests.Support;
using Cpu = Emulator.Core.Cpu.Cpu;

namespace Emulator.Tests.CpuTests.DataMove;

/// <summary>Shared helpers for the data-movement tests: real-mode fault capture, a reference flag model, a recording port device.</summary>
internal static class TestKit
{
    public const uint HandlerBase = 0x500;

    /// <summary>
    /// Real mode: IVT vector v points at 0000:(0x500 + v), where a HLT waits. After Run, the vector
    /// that was delivered is EIP - 0x501 (with CS = 0).
    /// </summary>
    public static void InstallHaltingIvt(CpuHarness h)
    {
        for (uint v = 0; v < 32; v++)
        {
            h.Memory.Write32(v * 4, HandlerBase + v);
            h.Memory.Write8(HandlerBase + v, 0xF4);
        }
    }

    /// <summary>The vector delivered through <see cref="InstallHaltingIvt"/>, or -1 if the CPU halted elsewhere.</summary>
    public static int DeliveredVector(CpuHarness h)
    {
        var c = h.Cpu;
        if (c.Segs[Cpu.CS].Selector != 0) return -1;
        int v = (int)c.Eip - (int)HandlerBase - 1;
        return v is >= 0 and < 32 ? v : -1;
    }

    /// <summary>The IP pushed by a real-mode exception (top of the stack after delivery).</summary>
    public static ushort PushedIp(CpuHarness h) => h.Memory.Read16(h.Cpu.Segs[Cpu.SS].Base + (h.Esp & 0xFFFF));

    // ---- Reference flags (SDM Vol. 1 §3.4.3 and Appendix A), computed with wide arithmetic -------------

    public const uint ArithMask = Cpu.FlagCF | Cpu.FlagPF | Cpu.FlagAF | Cpu.FlagZF | Cpu.FlagSF | Cpu.FlagOF;

    /// <summary>Flags of a - b at <paramref name="bits"/> width.</summary>
    public static uint SubFlags(int bits, ulong a, ulong b)
    {
        ulong mask = (1ul << bits) - 1;
        a &= mask; b &= mask;
        ulong r = (a - b) & mask;
        long sa = SignExtend(a, bits), sb = SignExtend(b, bits);
        long exact = sa - sb;
        bool of = exact != SignExtend(r, bits);
        return Common(bits, r, cf: a < b, of, af: (a & 0xF) < (b & 0xF));
    }

    /// <summary>Flags of a + b at <paramref name="bits"/> width.</summary>
    public static uint AddFlags(int bits, ulong a, ulong b)
    {
        ulong mask = (1ul << bits) - 1;
        a &= mask; b &= mask;
        ulong wide = a + b;
        ulong r = wide & mask;
        long exact = SignExtend(a, bits) + SignExtend(b, bits);
        bool of = exact != SignExtend(r, bits);
        return Common(bits, r, cf: wide > mask, of, af: (a & 0xF) + (b & 0xF) > 0xF);
    }

    private static long SignExtend(ulong v, int bits) => (long)(v << (64 - bits)) >> (64 - bits);

    private static uint Common(int bits, ulong r, bool cf, bool of, bool af)
    {
        uint f = 0;
        if (cf) f |= Cpu.FlagCF;
        if (of) f |= Cpu.FlagOF;
        if (af) f |= Cpu.FlagAF;
        if (r == 0) f |= Cpu.FlagZF;
        if (((r >> (bits - 1)) & 1) != 0) f |= Cpu.FlagSF;
        int ones = 0;
        for (int k = 0; k < 8; k++) ones += (int)((r >> k) & 1);
        if (ones % 2 == 0) f |= Cpu.FlagPF;
        return f;
    }

    /// <summary>Puts the CPU in ring 3 with flat ring-3 segments loaded straight into the caches (CS 0x1B, SS/DS/ES 0x23).</summary>
    public static void EnterRing3(CpuHarness h)
    {
        var c = h.Cpu;
        c.Segs[Cpu.CS].LoadDescriptor(0x1B, CpuHarness.FlatDescriptor(true, 3));
        foreach (int s in new[] { Cpu.SS, Cpu.DS, Cpu.ES, Cpu.FS, Cpu.GS })
            c.Segs[s].LoadDescriptor(0x23, CpuHarness.FlatDescriptor(false, 3));
        c.Cpl = 3;
        // A minimal 32-bit TSS whose I/O map base lies past its limit: every port is denied at CPL > IOPL.
        c.Tr.Base = 0x3000;
        c.Tr.Limit = 0x67;
        h.Memory.Write16(0x3000 + 0x66, 0x68);
    }
}

/// <summary>A port device that records writes and answers reads from a queue (or a fixed pattern).</summary>
internal sealed class RecordingPortDevice : IPortDevice
{
    public readonly List<(ushort Port, int Size, uint Value)> Writes = new();
    public readonly List<(ushort Port, int Size)> Reads = new();
    public readonly Queue<uint> ReadValues = new();

    public uint ReadPort(ushort port, int size)
    {
        Reads.Add((port, size));
        return ReadValues.Count > 0 ? ReadValues.Dequeue() : 0;
    }

    public void WritePort(ushort port, int size, uint value) => Writes.Add((port, size, value));
}
