using Emulator.Core.Debugging;
using Emulator.Tests.Support;
using Cpu = Emulator.Core.Cpu.Cpu;

namespace Emulator.Tests.Debugging;

/// <summary>The breakpoint condition language: values, precedence, registers, memory, and errors that name the column.</summary>
public sealed class BreakpointConditionTests
{
    private static readonly CpuHarness H = MakeHarness();

    private static CpuHarness MakeHarness()
    {
        var h = CpuHarness.Flat32();
        h.Cpu.Regs[Cpu.EAX] = 0x10;
        h.Cpu.Regs[Cpu.EBX] = 0xFFFF_FF80;
        h.Cpu.Regs[Cpu.ESP] = 0x8000;
        h.Memory.Write32(0x8004, 0x1234_5678);
        h.Cpu.Cpl = 0;
        return h;
    }

    [Theory]
    [InlineData("eax == 0x10", 1u)]
    [InlineData("eax == 16", 1u)]
    [InlineData("eax != 16", 0u)]
    [InlineData("eax + 1", 0x11u)]
    [InlineData("ax", 0x10u)]
    [InlineData("bl", 0x80u)]
    [InlineData("ebx > eax", 1u)]          // unsigned
    [InlineData("ebx - 0x80", 0xFFFF_FF00u)]
    [InlineData("[esp+4]", 0x1234_5678u)]
    [InlineData("byte[esp+4]", 0x78u)]
    [InlineData("word[esp+6]", 0x1234u)]
    [InlineData("[0x40000000]", 0xFFFF_FFFFu)] // paging off, beyond the 4 MiB of RAM: unbacked memory reads all ones
    [InlineData("eax == 0x10 && [esp+4] != 0 || cpl == 3", 1u)]
    [InlineData("eax == 1 || eax == 0x10 && cpl == 3", 0u)] // && binds tighter than ||
    [InlineData("(eax == 1 || eax == 0x10) && cpl == 0", 1u)]
    [InlineData("eax & 0x18 == 0x10", 1u)]  // bit operations bind tighter than comparisons: (eax & 0x18) == 0x10
    [InlineData("!eax", 0u)]
    [InlineData("~0", 0xFFFF_FFFFu)]
    [InlineData("eax <= 16 && eax >= 16 && eax < 17 && eax > 15", 1u)]
    [InlineData("cs == 8", 1u)]
    public void Evaluates(string text, uint expected)
    {
        Assert.Equal(expected, BreakpointCondition.Parse(text).Evaluate(H.Cpu));
    }

    [Theory]
    [InlineData("", "expected a number")]
    [InlineData("eax ==", "expected a number")]
    [InlineData("eaxx == 1", "unknown register 'eaxx'")]
    [InlineData("[eax", "expected ']'")]
    [InlineData("(eax", "expected ')'")]
    [InlineData("eax 1", "unexpected text at column 5")]
    [InlineData("0xZZ", "bad number '0xzz'")]
    public void MistakesNameTheColumn(string text, string expected)
    {
        var e = Assert.Throws<FormatException>(() => BreakpointCondition.Parse(text));
        Assert.Contains(expected, e.Message);
    }
}
