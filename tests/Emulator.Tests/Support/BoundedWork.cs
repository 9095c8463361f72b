using System.Diagnostics;

namespace Emulator.Tests.Support;

/// <summary>Runs a parse of hostile input and asserts it neither allocates nor runs out of proportion to the input.</summary>
public static class BoundedWork
{
    public static void Check(int inputLength, Action work, string what)
    {
        long before = GC.GetAllocatedBytesForCurrentThread();
        var clock = Stopwatch.StartNew();
        work();
        clock.Stop();
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        long budget = 16L * inputLength + (2 << 20);
        Assert.True(allocated <= budget, $"{what}: {allocated} bytes allocated for {inputLength} bytes of input (budget {budget})");
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(5), $"{what}: {clock.Elapsed.TotalSeconds:F1} s for {inputLength} bytes of input");
    }
}
