using System.Text.RegularExpressions;
using Emulator.Core.Hypervisor;
using Emulator.Core.Machine;
using Emulator.Host.Cli;
using Emulator.Tests.Support;

namespace Emulator.Tests.Guests;

/// <summary>
/// guests/hostile under `-machine xen`: a PV guest that tries everything XEN-ABI.md §6 forbids (and
/// other misuse) and checks Xen's answers itself, in TAP. Afterwards the PV MMU's bookkeeping must
/// survive an audit from scratch.
/// </summary>
public sealed partial class HostileGuestTests
{
    [GeneratedRegex(@"^(not ok|ok) (\d+) - (.+)$", RegexOptions.Multiline)]
    private static partial Regex TestLine();

    [GeneratedRegex(@"^1\.\.(\d+)$", RegexOptions.Multiline)]
    private static partial Regex Plan();

    private static CapturedRun Boot(uint memoryMiB, ulong seed) => CapturedRun.Execute(new RunOptions
    {
        Kernel = GuestImages.Hostile,
        MachineType = "xen",
        MemoryMiB = memoryMiB,
        P2mSeed = seed,
        MaxInstructions = 20_000_000,
    });

    [Theory]
    [InlineData(16u, 1ul)]
    [InlineData(64u, 5ul)]
    public void EveryForbiddenThingGetsXensAnswerAndTheBookkeepingAuditsClean(uint memoryMiB, ulong seed)
    {
        var r = Boot(memoryMiB, seed);

        var plan = Plan().Match(r.Stdout);
        Assert.True(plan.Success, r.Stdout);
        int planned = int.Parse(plan.Groups[1].Value);
        Assert.True(planned >= 70, $"plan {planned}");
        var tests = TestLine().Matches(r.Stdout);
        Assert.Equal(planned, tests.Count);
        for (int n = 0; n < tests.Count; n++)
        {
            Assert.Equal(n + 1, int.Parse(tests[n].Groups[2].Value));
            Assert.True(tests[n].Groups[1].Value == "ok", $"{tests[n].Value}\n{r.Stdout}");
        }
        // A few of the cases by name, so that a renumbered suite still covers them.
        Assert.Contains(" - mmu_update: an L1 entry mapping our own L3 read-write is -EBUSY\n", r.Stdout);
        Assert.Contains(" - a direct write to our own L1 is a #PF (present|write) we see\n", r.Stdout);
        Assert.Contains(" - int 0x82 from ring 3 is #GP(0x412), delivered to us\n", r.Stdout);
        Assert.Contains(" - writing a Xen-reserved L2 slot is -EPERM\n", r.Stdout);
        Assert.Contains("hostile: all tests passed\n", r.Stdout);
        Assert.Equal(ExitKind.PowerOff, r.Outcome.Exit?.Kind);
        Assert.True(r.Status == 0, $"status {r.Status}, stderr: {r.Stderr}\n{r.Stdout}");

        var hv = r.Outcome.Hypervisor;
        Assert.NotNull(hv);
        var violations = PvMmuAuditor.Audit(hv);
        Assert.True(violations.Count == 0, string.Join("\n", violations));
    }
}
