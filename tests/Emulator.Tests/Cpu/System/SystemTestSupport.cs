using Emulator.Core.Cpu;
using Emulator.Tests.Support;
using Cpu = Emulator.Core.Cpu.Cpu;

namespace Emulator.Tests.CpuTests.SystemInstructions;

/// <summary>
/// Runs one instruction and inspects its exception before delivery (so tests do not depend on
/// the IDT), and switches the harness to ring 3.
/// </summary>
internal static class SystemTestSupport
{
    /// <summary>Executes the instruction at CS:EIP, leaving any fault pending.</summary>
    public static void Exec(CpuHarness h) => h.Cpu.ExecuteOneUndelivered();

    /// <summary>Executes one instruction and asserts it raised <paramref name="vector"/> (with <paramref name="errorCode"/> if given); EIP stays on it.</summary>
    public static void ExecExpectFault(CpuHarness h, byte vector, uint? errorCode = null)
    {
        uint eip = h.Cpu.Eip;
        h.Cpu.ExecuteOneUndelivered();
        Assert.True(h.Cpu.Faulted, "expected a fault");
        Assert.Equal(Vector.Name(vector), Vector.Name(h.Cpu.FaultVector));
        if (errorCode is uint e)
        {
            Assert.True(h.Cpu.FaultHasErrorCode);
            Assert.Equal(e, h.Cpu.FaultErrorCode);
        }
        Assert.Equal(eip, h.Cpu.Eip);
        h.Cpu.Faulted = false;
    }

    /// <summary>Executes one instruction and asserts it did not fault.</summary>
    public static void ExecOk(CpuHarness h)
    {
        h.Cpu.ExecuteOneUndelivered();
        Assert.False(h.Cpu.Faulted, $"unexpected {Vector.Name(h.Cpu.FaultVector)} ({h.Cpu.FaultErrorCode:X})");
    }

    /// <summary>Ring 3 with the harness's flat ring-3 code (0x1B) and data (0x23) segments.</summary>
    public static void EnterRing3(CpuHarness h)
    {
        var c = h.Cpu;
        c.Segs[Cpu.CS].LoadDescriptor(0x1B, CpuHarness.FlatDescriptor(code: true, dpl: 3));
        for (int s = 0; s < 6; s++)
            if (s != Cpu.CS) c.Segs[s].LoadDescriptor(0x23, CpuHarness.FlatDescriptor(code: false, dpl: 3));
        c.Cpl = 3;
    }
}
