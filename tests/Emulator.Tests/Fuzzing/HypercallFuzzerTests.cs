using Emulator.Core.Fuzzing;
using Emulator.Core.Hypervisor;
using Emulator.Core.Loading;
using Emulator.Tests.Support;

namespace Emulator.Tests.Fuzzing;

/// <summary>
/// Short fixed-seed campaigns of the hypercall fuzzer (the long ones run by `emu fuzz hypercalls
/// --count 1000000`, README): no isolation violation, every fuzzed hypercall both succeeds and
/// fails, the campaign is a function of its seed, and a planted violation stops it with a reproducer.
/// </summary>
public sealed class HypercallFuzzerTests
{
    private static readonly ElfImage Hostile = ElfImage.Parse(File.ReadAllBytes(GuestImages.Hostile), "hostile.elf");

    private static FuzzCampaignResult Campaign(ulong seed, long count, int auditEvery = 1) =>
        new HypercallFuzzer(Hostile, seed).Run(count, auditEvery);

    [Fact]
    public void AShortCampaignFindsNoViolationAndEveryFuzzedHypercallBothSucceedsAndFails()
    {
        var r = Campaign(seed: 1, count: 4000);
        Assert.True(r.Finding == null, r.Finding?.Reproducer);
        Assert.Equal(4000, r.Calls);
        Assert.Equal(4000 + r.AreaRepairs, r.Audits); // after each call, and again after each repair of the argument area
        // The guest kept (or got back) its argument area after every call: the calls were not all -EFAULT.
        Assert.True(r.AreaRepairs > 0);
        Assert.True(r.AreaUnrepaired == 0, r.AreaFailure);
        foreach (string name in new[] { "mmu_update", "mmuext_op", "update_va_mapping", "multicall", "set_trap_table", "event_channel_op", "vcpu_op" })
        {
            Assert.True(r.ByName.TryGetValue(name, out var t), $"{name} was never called");
            Assert.True(t.Succeeded > 0 && t.Failed > 0, $"{name}: {t.Succeeded} succeeded, {t.Failed} failed");
        }
        // Xen's do_set_timer_op has no failure path: every time is accepted (a past one fires at once).
        Assert.True(r.ByName["set_timer_op"].Succeeded > 0);
        Assert.Equal(0, r.ByName["set_timer_op"].Failed);
        // Unknown numbers are refused; long lists were preempted and continued; multicalls ran entries.
        Assert.Contains(r.ByName, kv => kv.Key == "set_gdt" && kv.Value.Failed > 0 && kv.Value.Succeeded == 0);
        Assert.True(r.ByName[HypercallFuzzer.UnnamedNumbers] is { Succeeded: 0, Failed: > 0 });
        Assert.True(r.Continuations > 0);
        Assert.True(r.EntriesByName["mmu_update"].Succeeded > 0 && r.EntriesByName["multicall"].Failed > 0);
    }

    [Fact]
    public void TheSameSeedIssuesTheSameCampaignAndAnotherSeedAnother()
    {
        static string Counts(FuzzCampaignResult r) =>
            string.Join(";", r.ByName.Select(kv => $"{kv.Key}={kv.Value.Succeeded}/{kv.Value.Failed}")) + $"|{r.MulticallEntries}|{r.Continuations}|{r.AreaRepairs}";
        var a = Campaign(seed: 7, count: 1500, auditEvery: 50);
        var b = Campaign(seed: 7, count: 1500, auditEvery: 50);
        var c = Campaign(seed: 8, count: 1500, auditEvery: 50);
        Assert.Equal(Counts(a), Counts(b));
        Assert.NotEqual(Counts(a), Counts(c));
        Assert.True(a.Audits >= 30);
    }

    [Fact]
    public void APageTableMappedWritableBehindTheHypervisorsBackStopsTheCampaignWithAReproducer()
    {
        var f = new HypercallFuzzer(Hostile, seed: 3);
        var hv = f.Hypervisor;
        // The L1 entry of the guest's stack page, rewritten in machine memory to map its L3 writable.
        uint va = f.Domain.StackTop - 4096, l3 = f.Domain.L3Mfn;
        ulong l3e = hv.Memory.Read64((l3 << 12) + (va >> 30) * 8);
        ulong l2e = hv.Memory.Read64((uint)(l3e & PvMmu.AddressMask) + ((va >> 21) & 511) * 8);
        uint entry = (uint)(l2e & PvMmu.AddressMask) + ((va >> 12) & 511) * 8;
        hv.Memory.Write64(entry, ((ulong)l3 << 12) | PvMmu.P | PvMmu.RW | PvMmu.A | PvMmu.D);

        var r = f.Run(count: 10);
        Assert.NotNull(r.Finding);
        Assert.Equal(1, r.Calls); // stopped at the first audit
        Assert.Equal(0, r.Finding!.Iteration);
        Assert.Contains(r.Finding.Violations, v => v.Mfn == l3 && v.What.Contains("a page-table frame mapped writable"));
        Assert.True(r.Violations > 0);
        string repro = r.Finding.Reproducer;
        Assert.Contains("seed 3, iteration 0 (reproduce: emu fuzz hypercalls --seed 3 --count 1)", repro);
        Assert.Contains("call: ", repro);
        Assert.Contains($"violation: mfn 0x{l3:X}: a page-table frame mapped writable", repro);
    }

    [Fact]
    public void AHypervisorFrameMappedBehindItsBackIsFoundEvenWhenAuditingEveryKCalls()
    {
        var f = new HypercallFuzzer(Hostile, seed: 4);
        var hv = f.Hypervisor;
        uint va = f.Domain.StackTop - 4096;
        ulong l3e = hv.Memory.Read64((f.Domain.L3Mfn << 12) + (va >> 30) * 8);
        ulong l2e = hv.Memory.Read64((uint)(l3e & PvMmu.AddressMask) + ((va >> 21) & 511) * 8);
        uint entry = (uint)(l2e & PvMmu.AddressMask) + ((va >> 12) & 511) * 8;
        hv.Memory.Write64(entry, ((ulong)XenMachineLayout.GdtFrame << 12) | PvMmu.P | PvMmu.A);

        var r = f.Run(count: 100, auditEvery: 25);
        Assert.NotNull(r.Finding);
        Assert.Equal(24, r.Finding!.Iteration);
        Assert.Contains(r.Finding.Violations, v => v.What.Contains("which the domain does not own (Xen)"));
    }

    [Fact]
    public void AWriteIntoTheHypervisorsGdtOrForeignM2pEntryIsFound()
    {
        var f = new HypercallFuzzer(Hostile, seed: 5);
        f.Hypervisor.Memory.Write8((XenMachineLayout.GdtFrame << 12) + 0x100, 0x5A);
        f.Hypervisor.Memory.Write32(f.Hypervisor.Layout.M2pEntryAddress(XenMachineLayout.GdtL1Frame), 7);
        var r = f.Run(count: 1);
        Assert.NotNull(r.Finding);
        Assert.Contains(r.Finding!.Violations, v => v.Mfn == XenMachineLayout.GdtFrame && v.What == "a frame of the hypervisor's changed");
        Assert.Contains(r.Finding.Violations, v => v.Mfn == XenMachineLayout.GdtL1Frame && v.What.StartsWith("the M2P entry"));
    }

    /// <summary>An event pending and unmasked in the guest's vcpu_info (its own page): the next hypercall delivers it on the way out.</summary>
    private static void PendEvent(XenHypervisor hv)
    {
        hv.Memory.Write8(hv.SharedInfo + XenAbi.SiUpcallPending, 1);
        hv.Memory.Write8(hv.SharedInfo + XenAbi.SiUpcallMask, 0);
    }

    [Fact]
    public void AnEventDeliveredToTheGuestsCallbackIsReturnedFromWithTheIretHypercall()
    {
        var f = new HypercallFuzzer(Hostile, seed: 6);
        var hv = f.Hypervisor;
        uint handler = f.Domain.Notes.Entry;
        Assert.Equal(0, hv.Dispatch(XenAbi.SetCallbacks, XenAbi.FlatRing1Cs, handler, XenAbi.FlatRing1Cs, handler, 0, inMulticall: false));
        PendEvent(hv);
        var r = f.Run(count: 20);
        Assert.True(r.Finding == null, r.Finding?.Reproducer);
        Assert.True(r.EventDeliveries >= 1);
        Assert.Equal(1, r.Domains);
        Assert.Same(hv, f.Hypervisor);
        Assert.False(hv.DomainDead);
    }

    [Fact]
    public void ADomainTheGuestGotKilledIsAuditedAndReplaced()
    {
        var f = new HypercallFuzzer(Hostile, seed: 6);
        var hv = f.Hypervisor;
        // An event callback on a selector that is not ring-1 code: the delivery crashes the domain, as in Xen.
        Assert.Equal(0, hv.Dispatch(XenAbi.SetCallbacks, 0x0008, 0x100000, 0x0008, 0x100000, 0, inMulticall: false));
        PendEvent(hv);
        var r = f.Run(count: 20);
        Assert.True(r.Finding == null, r.Finding?.Reproducer);
        Assert.True(hv.DomainDead);
        Assert.Equal(2, r.Domains);
        Assert.NotSame(hv, f.Hypervisor);
        Assert.Equal(20, r.Calls);
    }

    [Fact]
    public void TheGeneratorIsAFunctionOfItsSeed()
    {
        static List<string> Calls(ulong seed)
        {
            var f = new HypercallFuzzer(Hostile, seed: 1);
            var g = new HypercallGenerator(f.Hypervisor, f.Domain, seed);
            return Enumerable.Range(0, 200).Select(_ => g.Next().Describe(0)).ToList();
        }
        Assert.Equal(Calls(11), Calls(11));
        Assert.NotEqual(Calls(11), Calls(12));
    }
}
