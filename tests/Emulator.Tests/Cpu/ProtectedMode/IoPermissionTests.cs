using Emulator.Core.Cpu;
using Emulator.Tests.Support;
using static Emulator.Tests.CpuTests.ProtectedMode.PmSetup;
using Cpu = Emulator.Core.Cpu.Cpu;

namespace Emulator.Tests.CpuTests.ProtectedMode;

/// <summary>IOPL and the TSS I/O permission bitmap (SDM Vol. 1 §19.5).</summary>
public class IoPermissionTests
{
    private const ushort MapBase = 0x68;

    /// <summary>Ring 3, IOPL 0, a TSS whose bitmap covers ports 0..(8*<paramref name="mapBytes"/>-1) and denies those in <paramref name="denied"/>.</summary>
    private static CpuHarness Setup(int mapBytes, params int[] denied)
    {
        var h = CpuHarness.Flat32();
        // Limit covers the bitmap plus the terminating 0xFF byte the SDM recommends.
        SetupTss(h, limit: (uint)(MapBase + mapBytes), ioMapBase: MapBase);
        for (int k = 0; k <= mapBytes; k++) h.Memory.Write8(TssBase + MapBase + (uint)k, k == mapBytes ? (byte)0xFF : (byte)0);
        foreach (int port in denied)
        {
            uint at = TssBase + MapBase + (uint)(port / 8);
            h.Memory.Write8(at, (byte)(h.Memory.Read8(at) | (1 << (port % 8))));
        }
        EnterRing3(h);
        h.Cpu.SetEflags(0x002);
        return h;
    }

    private static bool Allowed(CpuHarness h, ushort port, int size)
    {
        h.Cpu.Faulted = false;
        bool ok = h.Cpu.CheckIoPermission(port, size);
        Assert.Equal(!ok, h.Cpu.Faulted);
        if (!ok)
        {
            Assert.Equal(Vector.GP, h.Cpu.FaultVector);
            Assert.Equal(0u, h.Cpu.FaultErrorCode);
        }
        return ok;
    }

    [Fact]
    public void BitmapDecidesEachPortAtCplAboveIopl()
    {
        var h = Setup(mapBytes: 0x20, denied: new[] { 0x60, 0x71 });
        Assert.True(Allowed(h, 0x61, 1));
        Assert.False(Allowed(h, 0x60, 1));
        Assert.False(Allowed(h, 0x71, 1));
        Assert.True(Allowed(h, 0x70, 1));
    }

    [Fact]
    public void EveryByteOfAWideAccessIsChecked()
    {
        var h = Setup(mapBytes: 0x20, denied: new[] { 0x73 });
        Assert.True(Allowed(h, 0x70, 2));   // 0x70-0x71
        Assert.True(Allowed(h, 0x6F, 4));   // 0x6F-0x72, spans two bitmap bytes
        Assert.False(Allowed(h, 0x70, 4));  // includes 0x73
        Assert.False(Allowed(h, 0x72, 2));
    }

    [Fact]
    public void PortsBeyondTheTssLimitAreDenied()
    {
        var h = Setup(mapBytes: 0x20);
        // 0x20 bitmap bytes cover ports 0..0xFF; byte 0x20 is the 0xFF terminator, beyond it the limit.
        Assert.True(Allowed(h, 0xF8, 1));
        Assert.False(Allowed(h, 0x100, 1));
        Assert.False(Allowed(h, 0x3F8, 1));
    }

    [Fact]
    public void IoplAtOrAboveCplAllowsEverything()
    {
        var h = Setup(mapBytes: 0x20, denied: new[] { 0x60 });
        h.Cpu.SetEflags(0x3002); // IOPL 3
        Assert.True(Allowed(h, 0x60, 1));
        Assert.True(Allowed(h, 0x3F8, 1));
    }

    [Fact]
    public void Ring0IgnoresTheBitmapAndRealModeHasNone()
    {
        var h = CpuHarness.Flat32();
        SetupTss(h, limit: 0x67, ioMapBase: 0x68);
        Assert.True(Allowed(h, 0x3F8, 1));
        var r = CpuHarness.Real16();
        Assert.True(Allowed(r, 0x3F8, 4));
    }

    [Fact]
    public void SixteenBitTssHasNoBitmap()
    {
        var h = Setup(mapBytes: 0x20);
        h.Cpu.Tr.LoadDescriptor(TssSel, Segment(TssBase, 0x67 + 0x21, 0x83, 0x0)); // busy 16-bit TSS
        Assert.False(Allowed(h, 0x61, 1));
    }
}
