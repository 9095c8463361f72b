using System.Text;
using System.Text.RegularExpressions;
using Emulator.Core.Machine;
using Emulator.Host.Cli;
using Emulator.Host.Commands;
using Emulator.Tests.Support;

namespace Emulator.Tests.Guests;

/// <summary>
/// The toy kernel entered through xen_start under `-machine xen`: the same image as on bare hardware
/// detects the hypervisor, builds and pins its own page tables, runs the whole self-test suite in
/// ring 1 (ring-3 tasks, fork, demand paging, preemption by VIRQ_TIMER upcalls) with every
/// paravirt operation a hypercall or a shared_info access, and leaves through sched_op(SCHEDOP_shutdown).
/// </summary>
public sealed partial class ToyKernelXenTests
{
    private static CapturedRun Boot(string append, uint memoryMiB, ulong p2mSeed)
    {
        var options = new RunOptions
        {
            Kernel = GuestImages.ToyKernel,
            Append = append,
            MachineType = "xen",
            MemoryMiB = memoryMiB,
            P2mSeed = p2mSeed,
            MaxInstructions = 50_000_000,
        };
        return CapturedRun.Execute(options);
    }

    [GeneratedRegex(@"^(not ok|ok) (\d+) - (.+)$", RegexOptions.Multiline)]
    private static partial Regex TestLine();

    [GeneratedRegex(@"^toykernel: xen: own page tables loaded: L3 at pfn 0x([0-9a-f]+) = machine frame 0x([0-9a-f]+), (\d+) bootstrap table frames freed$", RegexOptions.Multiline)]
    private static partial Regex OwnTablesLine();

    private const int Planned = 29;

    [Theory]
    [InlineData("pv=flag", "flag", 128u, 1ul)]
    [InlineData("pv=ops", "ops", 64u, 7ul)]
    [InlineData("pv=patch", "patch", 16u, 3ul)]
    public void TheSameImageRunsTheWholeSuiteInRingOneAndShutsDownThroughSchedOp(string append, string strategy, uint memoryMiB, ulong seed)
    {
        var r = Boot(append, memoryMiB, seed);

        // Xen 4.17: CPUID base+1 and xen_version both give (4 << 16) | 17 (XEN-ABI.md §3, §5).
        Assert.Contains("toykernel: cpuid: hypervisor \"XenVMMXenVMM\" at leaf 0x40000000 (Xen 4.17)\n", r.Stdout);
        Assert.Contains("toykernel: xen_version hypercall: Xen 4.17\n", r.Stdout);
        // The command line comes from start_info.cmd_line; nr_pages is the domain's memory in 4 KiB pages.
        Assert.Contains($"toykernel: command line: {append}\n", r.Stdout);
        Assert.Contains($"toykernel: pv={strategy} backend=xen start_info \"xen-3.0-x86_32p\", {memoryMiB * 1024 / 4} pages\n", r.Stdout);
        // The kernel built and pinned its own tables and gave the domain builder's back.
        var own = OwnTablesLine().Match(r.Stdout);
        Assert.True(own.Success, r.Stdout);
        Assert.NotEqual(own.Groups[1].Value, own.Groups[2].Value);
        Assert.True(int.Parse(own.Groups[3].Value) >= 3); // at least the L3, an L2 and an L1

        // TAP: every planned test passes; the only SKIP is the patch self-check outside pv=patch.
        Assert.Contains($"\n1..{Planned}\n", r.Stdout);
        var tests = TestLine().Matches(r.Stdout);
        Assert.Equal(Planned, tests.Count);
        for (int n = 0; n < tests.Count; n++)
        {
            Assert.Equal(n + 1, int.Parse(tests[n].Groups[2].Value));
            Assert.True(tests[n].Groups[1].Value == "ok", $"{tests[n].Value}\n{r.Stdout}");
        }
        Assert.Equal(strategy == "patch" ? 0 : 1, Regex.Matches(r.Stdout, "# SKIP").Count);
        Assert.DoesNotContain("# TODO", r.Stdout);
        // The Xen-specific checks ran (not skipped) and the suite's Xen forms were chosen.
        Assert.Contains("ok 3 - xen: shared_info mapped with update_va_mapping, again over the kernel's own tables\n", r.Stdout);
        Assert.Contains("ok 4 - xen: event and failsafe callbacks registered with callback_op\n", r.Stdout);
        Assert.Contains("ok 10 - pfn_to_mfn / mfn_to_pfn: a round trip over every frame; under Xen not the identity (seeded P2M)\n", r.Stdout);
        Assert.Contains("ok 11 - xen: the kernel runs on its own pinned tables; the domain builder's were unpinned and freed\n", r.Stdout);
        Assert.Contains("ok 12 - xen: a direct write to a live page table is a page fault (error code 3), the entry unchanged\n", r.Stdout);
        Assert.Contains("ok 13 - irq enable / save / restore / disable drive vcpu_info.evtchn_upcall_mask (Xen's virtual IF)\n", r.Stdout);
        Assert.Contains("ok 14 - trap table (set_trap_table): two int3 reached the handler in ring 1; the iret hypercall kept the upcall mask\n", r.Stdout);
        // Ring 3 under Xen: tasks ran on FLAT_RING3_CS, were preempted by VIRQ_TIMER upcalls and killed on bad accesses.
        Assert.Contains("# task A\n# task B\n# task C\n# task A\n# task B\n# task C\n# task A\n# task B\n# task C\n", r.Stdout);
        Assert.Matches(@"# preemption: \d+ timer ticks, [2-9]\d* preemptions while two tasks spun", r.Stdout);
        Assert.Contains("killed: page fault on a protected page at 0x00100000", r.Stdout);
        Assert.Contains("killed: page fault on an unmapped address at 0xc0000000", r.Stdout);
        Assert.Contains($"# toykernel: 0 of {Planned} self-tests failed", r.Stdout);

        // sched_op(SCHEDOP_shutdown, poweroff): the run ends as a power-off with status 0.
        Assert.Contains("sched_op shutdown poweroff\n", r.Stdout);
        Assert.Equal(ExitKind.PowerOff, r.Outcome.Exit?.Kind);
        Assert.True(r.Status == 0, $"status {r.Status}, stderr: {r.Stderr}\n{r.Stdout}");
    }

    [Fact]
    public void AnotherP2mSeedGivesOtherMachineFramesAndTheSameResults()
    {
        var a = Boot("pv=ops", 32, 1);
        var b = Boot("pv=ops", 32, 2);
        Assert.Equal(0, a.Status);
        Assert.Equal(0, b.Status);
        var ownA = OwnTablesLine().Match(a.Stdout);
        var ownB = OwnTablesLine().Match(b.Stdout);
        Assert.True(ownA.Success && ownB.Success);
        // Same pseudo-physical frame for the kernel's L3, another machine frame behind it.
        Assert.Equal(ownA.Groups[1].Value, ownB.Groups[1].Value);
        Assert.NotEqual(ownA.Groups[2].Value, ownB.Groups[2].Value);
        // Every other line, the TAP results included, is the same.
        Assert.Equal(OwnTablesLine().Replace(a.Stdout, ""), OwnTablesLine().Replace(b.Stdout, ""));
        // And the same seed twice is the same run, to the instruction.
        var a2 = Boot("pv=ops", 32, 1);
        Assert.Equal(a.Stdout, a2.Stdout);
        Assert.Equal(a.Outcome.Instructions, a2.Outcome.Instructions);
    }

    [Theory]
    [InlineData("flag")]
    [InlineData("ops")]
    [InlineData("patch")]
    public void BenchUnderXenChargesHypercallsAndNotSharedMemoryOps(string strategy)
    {
        var r = Boot($"pv={strategy} bench", 32, 1);
        Assert.True(r.Status == 0, $"status {r.Status}\n{r.Stdout}");
        var cost = new Dictionary<string, double>();
        foreach (Match m in Regex.Matches(r.Stdout, @"(?m)^bench pv=(\w+) backend=(\w+) op=(\w+) n=\d+ ticks_per_op=(\d+\.\d\d)$"))
        {
            Assert.Equal(strategy, m.Groups[1].Value);
            Assert.Equal("xen", m.Groups[2].Value);
            cost[m.Groups[3].Value] = double.Parse(m.Groups[4].Value, System.Globalization.CultureInfo.InvariantCulture);
        }
        Assert.Equal(20, cost.Count);
        // A hypercall costs the trap into the hypervisor (HypervisorCosts): page-table writes, flushes and the
        // base pointer are far dearer than on bare hardware; the virtual IF and the P2M are plain memory.
        foreach (var op in new[] { "write_pte_l1", "load_pt_base", "flush_tlb_one", "flush_tlb", "set_kernel_stack", "alloc_pt", "release_pt" })
            Assert.True(cost[op] > 100, $"{op}: {cost[op]}");
        foreach (var op in new[] { "irq_disable", "irq_save", "read_fault_addr", "pfn_to_mfn", "mfn_to_pfn" })
            Assert.True(cost[op] < 20, $"{op}: {cost[op]}");
    }
}
