using Emulator.Host.Cli;
using Emulator.Tests.Support;

namespace Emulator.Tests.Guests;

/// <summary>
/// The bench guest (guests/bench) of `emu bench`: every phase runs to its exit with the checksum
/// QEMU prints for it, retires the same instruction count on every run, and costs the same per
/// iteration however many it runs (so --iterations scales the work).
/// </summary>
public sealed class BenchGuestTests
{
    private static CapturedRun Phase(string append) =>
        CapturedRun.Execute(new RunOptions { Kernel = GuestImages.Bench, Append = append, MaxInstructions = 20_000_000 });

    // Printed by `qemu-system-i386 -accel tcg -kernel guests/build/bench.elf -append "phase=P iterations=10000"
    // -serial stdio -display none -device isa-debug-exit,iobase=0xf4,iosize=0x04` (QEMU 7.2), status 1.
    [Theory]
    [InlineData("alu", "0xd44de35c")]
    [InlineData("mem", "0x18d0944e")]
    [InlineData("call", "0x24c41039")]
    [InlineData("paging", "0x02e61000")]
    [InlineData("io", "0xaf0341ed")]
    [InlineData("none", "0x00000000")]
    public void EachPhaseExitsWithQemusChecksum(string phase, string checksum)
    {
        var r = Phase($"phase={phase} iterations=10000");
        Assert.Equal(1, r.Status);
        Assert.Contains($"bench: phase={phase} iterations=10000\n", r.Stdout);
        Assert.Contains($"bench: checksum={checksum}\n", r.Stdout);
    }

    [Theory]
    [InlineData("alu")]
    [InlineData("mem")]
    [InlineData("call")]
    [InlineData("paging")]
    [InlineData("io")]
    public void InstructionCountIsTheSameOnEveryRunAndGrowsLinearlyWithIterations(string phase)
    {
        ulong Count(int n)
        {
            var r = Phase($"phase={phase} iterations={n}");
            Assert.Equal(1, r.Status);
            return r.Outcome.Instructions;
        }
        ulong once = Count(2000);
        Assert.Equal(once, Count(2000));
        // Differences cancel the setup (paging builds its tables and fills its pool first).
        double first = Count(4000) - once, second = Count(6000) - Count(4000);
        Assert.True(first > 2000 * 10, $"{phase}: {first} instructions for 2000 iterations");
        Assert.InRange(second / first, 0.95, 1.05);
        Assert.True(once > Count(1000));
    }

    /// <summary>emu bench passes iterations=N itself: its defaults must be the guest's own.</summary>
    [Fact]
    public void EmuBenchUsesTheGuestsDefaultIterations()
    {
        foreach (var c in Emulator.Host.Benchmarking.BenchSuite.Select(null, null).Where(c => c.GuestPhase is not null and not "none"))
        {
            // The guest prints its iteration count before the work: stop it soon after.
            var r = CapturedRun.Execute(new RunOptions { Kernel = GuestImages.Bench, Append = $"phase={c.GuestPhase}", MaxInstructions = 300_000 });
            Assert.Equal(124, r.Status);
            Assert.Contains($"bench: phase={c.GuestPhase} iterations={c.Iterations}\n", r.Stdout);
        }
    }

    [Fact]
    public void SetupAloneIsSmall()
    {
        var r = Phase("phase=none");
        Assert.Equal(1, r.Status);
        Assert.InRange(r.Outcome.Instructions, 100ul, 10_000ul);
    }

    [Theory]
    [InlineData("phase=bogus")]
    [InlineData("phase=alux")]
    [InlineData("iterations=5")]
    [InlineData("")]
    public void AnUnknownOrMissingPhaseExitsWith2(string append)
    {
        var r = Phase(append);
        Assert.Equal(5, r.Status); // (2 << 1) | 1
        Assert.Contains("bench: no such phase", r.Stdout);
    }
}
