namespace Emulator.Tests.CpuTests.Alu;

/// <summary>Assertions that name the operand combination, for theories that loop over many inputs.</summary>
internal static class Check
{
    public static void Equal(uint expected, uint actual, string what)
    {
        if (expected != actual)
            Assert.Fail($"{what}: expected 0x{expected:X8}, got 0x{actual:X8} (diff 0x{expected ^ actual:X8})");
    }

    /// <summary>Flags comparison that names each differing flag.</summary>
    public static void Flags(uint expected, uint actual, string what, uint mask = Ref.Arith)
    {
        expected &= mask;
        actual &= mask;
        if (expected == actual) return;
        uint d = expected ^ actual;
        var names = new List<string>();
        if ((d & Ref.CF) != 0) names.Add("CF");
        if ((d & Ref.PF) != 0) names.Add("PF");
        if ((d & Ref.AF) != 0) names.Add("AF");
        if ((d & Ref.ZF) != 0) names.Add("ZF");
        if ((d & Ref.SF) != 0) names.Add("SF");
        if ((d & Ref.OF) != 0) names.Add("OF");
        Assert.Fail($"{what}: flags expected 0x{expected:X3}, got 0x{actual:X3} (wrong: {string.Join(",", names)})");
    }
}
