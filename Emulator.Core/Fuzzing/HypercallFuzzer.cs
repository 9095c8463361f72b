using Emulator.Core.Cpu;
using Emulator.Core.Hypervisor;
using Emulator.Core.Loading;
using Serilog;
using CpuCore = Emulator.Core.Cpu.Cpu;

namespace Emulator.Core.Fuzzing;

/// <summary>
/// The hypercall fuzzing harness (issue 9): it builds a small PV domain from a kernel image with
/// <see cref="DomainBuilder"/>, then acts for a hostile guest kernel in ring 1, issuing the calls of a
/// seeded <see cref="HypercallGenerator"/> through the hypervisor's real entry: the registers are
/// set as the hypercall page's <c>int $0x82</c> leaves them and the CPU's hook is called as that
/// instruction calls it, again for as long as the hypervisor continues the call (EIP back on the
/// int), so continuations, argument copying from guest memory and -EFAULT all run as for a guest.
/// Events delivered to the guest are taken by a handler that returns at once (the iret hypercall);
/// a domain the guest gets killed is audited and replaced by a fresh one.
/// Between calls virtual time passes (timers fire) and an <see cref="ArgumentAreaKeeper"/> keeps the
/// guest's argument buffers mapped, through the PV MMU's checked paths. After every K calls <see cref="PvMmuAuditor"/>
/// recounts all page types and references from scratch and walks every table in use; with CR3
/// matching the PV MMU's base, the hypervisor's own frames unchanged (<see cref="HypervisorAreaCheck"/>),
/// and the vCPU still in ring 1, any violation stops
/// the campaign with a reproducer. Exceptions are not caught: any is a hypervisor bug.
/// </summary>
public sealed class HypercallFuzzer
{
    /// <summary>8 MiB: room for the hostile guest's bootstrap mapping, the spare frames, and a cheap audit.</summary>
    public const uint DefaultDomainPages = 2048;
    /// <summary>Passes of one call before it counts as never finishing (each pass does up to <see cref="XenHypervisor.PreemptUnits"/> units).</summary>
    public const int MaxPasses = 10_000;
    /// <summary>The most virtual time (ticks) the guest spends between two calls.</summary>
    public const uint MaxTicksBetweenCalls = 20_000;

    /// <summary>Events the harness's handler returns from in a row before it gives up on the domain.</summary>
    public const int MaxDeliveries = 8;

    private readonly ElfImage _kernel;
    private readonly uint _domainPages;
    private readonly ILogger _log;
    private readonly SplitMix64 _streams;
    private readonly SplitMix64 _time;
    private readonly ulong _seed;
    private Machine.Machine _machine = null!;
    private CpuCore _cpu = null!;
    private HypercallGenerator _generator = null!;
    private PvMmuAuditor _auditor = null!;
    private ArgumentAreaKeeper _keeper = null!;
    private HypervisorAreaCheck _hypervisorArea = null!;
    private long _repairs, _unrepaired;
    private string? _areaFailure;
    private readonly SortedDictionary<string, HypercallTally> _byName = new(StringComparer.Ordinal);
    private readonly SortedDictionary<string, HypercallTally> _entriesByName = new(StringComparer.Ordinal);
    private long _calls, _entries, _continuations, _audits, _deliveries, _domains;
    private bool _ran;

    /// <summary>The hypervisor of the current domain (a new one after the guest got its domain killed).</summary>
    public XenHypervisor Hypervisor { get; private set; } = null!;
    public XenDomainInfo Domain { get; private set; } = null!;

    public HypercallFuzzer(ElfImage kernel, ulong seed, uint domainPages = DefaultDomainPages, ILogger? log = null)
    {
        _kernel = kernel;
        _domainPages = domainPages;
        _log = log ?? Serilog.Log.Logger;
        _seed = seed;
        // The time between calls, and each domain's P2M order and calls, come from their own streams of the seed.
        _streams = new SplitMix64(seed);
        _time = new SplitMix64(_streams.Next());
        StartDomain();
    }

    /// <summary>Builds a fresh machine and domain: at the start, and after the guest got its domain killed.</summary>
    private void StartDomain()
    {
        if (_keeper != null) { _repairs += _keeper.Repairs; _unrepaired += _keeper.Unrepaired; _areaFailure = _keeper.LastFailure ?? _areaFailure; }
        _domains++;
        _machine = new Machine.Machine((uint)XenHypervisor.MachineRamBytes(_domainPages), _log);
        _cpu = _machine.Cpu;
        Hypervisor = new XenHypervisor(_cpu, _machine, _domainPages, _streams.Next(), console: null, _log);
        Hypervisor.HypercallCompleted += OnHypercall;
        Domain = DomainBuilder.Build(Hypervisor, _kernel, commandLine: "fuzz", _log);
        _generator = new HypercallGenerator(Hypervisor, Domain, _streams.Next());
        _auditor = new PvMmuAuditor(Hypervisor);
        _hypervisorArea = new HypervisorAreaCheck(Hypervisor);
        _keeper = new ArgumentAreaKeeper(Hypervisor, _cpu, Domain, _generator.BufferBase, HypercallGenerator.BufferBytes);
    }

    private void OnHypercall(HypercallEvent e)
    {
        // Entries of a multicall; one preempted part-way reports its continuation (result = its own number) and runs again.
        if (!e.InMulticall || (e.Result > 0 && (uint)e.Result == e.Number)) return;
        _entries++;
        Tally(_entriesByName, TallyName(e.Number)).Count(e.Result);
    }

    /// <summary>Numbers past Xen's last (hypfs_op, 42) are counted together.</summary>
    public const string UnnamedNumbers = "(numbers above 42)";

    private static string TallyName(uint nr) => nr <= 42 ? XenAbi.HypercallName(nr) : UnnamedNumbers;

    private static HypercallTally Tally(SortedDictionary<string, HypercallTally> d, string name)
    {
        if (!d.TryGetValue(name, out var t)) d[name] = t = new HypercallTally();
        return t;
    }

    /// <summary>
    /// Issues <paramref name="count"/> calls, auditing after every <paramref name="auditEvery"/>-th
    /// one and after the last; stops at the first violation. <paramref name="progress"/> is told the
    /// number of calls done every <paramref name="progressEvery"/> calls. A fuzzer runs one campaign.
    /// </summary>
    public FuzzCampaignResult Run(long count, int auditEvery = 1, Action<long>? progress = null, long progressEvery = 100_000)
    {
        if (count < 0) throw new ArgumentOutOfRangeException(nameof(count));
        if (auditEvery < 1) throw new ArgumentOutOfRangeException(nameof(auditEvery));
        if (_ran) throw new InvalidOperationException("a fuzzer runs one campaign");
        _ran = true;
        FuzzFinding? finding = null;
        for (long i = 0; i < count && finding == null; i++)
        {
            var call = _generator.Next();
            var (result, error) = Issue(call);
            _calls++;
            Tally(_byName, TallyName(call.Number)).Count(result);
            _generator.Learn(call, result);
            PassTime();
            // The audit judges the state the call left, before the keeper touches anything. A domain the
            // guest got killed (a callback it cannot take, a bad iret frame) is audited, then replaced.
            bool dead = Hypervisor.DomainDead;
            bool audit = error != null || dead || (i + 1) % auditEvery == 0 || i + 1 == count;
            if (audit)
            {
                var violations = Check(error);
                if (violations.Count > 0) finding = new FuzzFinding(_seed, i, call.Describe(result), violations);
            }
            if (finding == null && dead) StartDomain();
            else if (finding == null)
            {
                // The keeper's repairs go through the PV MMU too: audited after the call they follow.
                long repairs = _keeper.Repairs;
                _keeper.Keep();
                if (audit && _keeper.Repairs != repairs)
                {
                    var violations = Check(null);
                    if (violations.Count > 0) finding = new FuzzFinding(_seed, i, "the argument area's repair after " + call.Describe(result), violations);
                }
            }
            if (progress != null && (i + 1) % progressEvery == 0) progress(i + 1);
        }
        return new FuzzCampaignResult(_seed, _calls, _entries, _continuations, _audits, _repairs + _keeper.Repairs,
            _unrepaired + _keeper.Unrepaired, _keeper.LastFailure ?? _areaFailure, _deliveries, _domains, _byName, _entriesByName, finding);
    }

    /// <summary>
    /// The call through the hypervisor's int 0x82 entry, re-entered while it is continued; its
    /// result, or why it broke the harness. An event the hypervisor delivers on the way out (a
    /// bounce to the guest's callback) is taken by a handler that acknowledges it and returns at once
    /// with the iret hypercall, as a guest's would.
    /// </summary>
    private (int Result, string? Error) Issue(FuzzedCall call)
    {
        var c = _cpu;
        if (c.Cpl != 1) return (0, $"the vCPU is in ring {c.Cpl}, not the guest kernel's ring 1");
        uint intAt = Slot(call.Number);
        c.Regs[CpuCore.EAX] = call.Number;
        c.Regs[CpuCore.EBX] = call.Arg1;
        c.Regs[CpuCore.ECX] = call.Arg2;
        c.Regs[CpuCore.EDX] = call.Arg3;
        c.Regs[CpuCore.ESI] = call.Arg4;
        c.Regs[CpuCore.EDI] = call.Arg5;
        c.Regs[CpuCore.ESP] = Domain.StackTop - 256; // the guest kernel's stack
        int deliveries = 0;
        for (int pass = 0; pass < MaxPasses; pass++)
        {
            c.StartEip = intAt;
            c.Eip = intAt + 2; // INT n leaves EIP after itself
            Hypervisor.Intercept(XenAbi.HypercallVector, EventKind.SoftwareInt, false, 0);
            while (c.Eip != intAt + 2 && c.Eip != intAt && !Hypervisor.DomainDead && deliveries < MaxDeliveries)
            {
                deliveries++;
                _deliveries++;
                ReturnFromEvent();
            }
            if (Hypervisor.DomainDead) return ((int)c.Regs[CpuCore.EAX], null);
            if (c.Eip == intAt + 2) return ((int)c.Regs[CpuCore.EAX], null);
            if (c.Eip != intAt || c.Regs[CpuCore.EAX] != call.Number)
                return (0, $"the hypercall left EIP at 0x{c.Eip:X8}, neither after the int (0x{intAt + 2:X8}) nor on it (a continuation)");
            _continuations++;
        }
        return (0, $"the hypercall was still being continued after {MaxPasses} passes");
    }

    /// <summary>The int $0x82 of hypercall <paramref name="nr"/>'s slot in the hypercall page (for the iret slot, after its push).</summary>
    private uint Slot(uint nr) => Domain.Notes.HypercallPage + 32 * (nr & 127) + (nr == XenAbi.Iret ? 6u : 5u);

    /// <summary>The guest's event handler: clears evtchn_upcall_pending in its vcpu_info and returns with the iret hypercall.</summary>
    private void ReturnFromEvent()
    {
        var c = _cpu;
        Hypervisor.Memory.Write8(Hypervisor.SharedInfo + XenAbi.SiUpcallPending, 0);
        uint esp = c.Regs[CpuCore.ESP] - 4;
        if (!Hypervisor.WriteGuest32(esp, c.Regs[CpuCore.EAX])) { Hypervisor.CrashDomain("the fuzzer's event handler has no stack"); return; }
        c.Regs[CpuCore.ESP] = esp;
        c.Regs[CpuCore.EAX] = XenAbi.Iret;
        uint intAt = Slot(XenAbi.Iret);
        c.StartEip = intAt;
        c.Eip = intAt + 2;
        Hypervisor.Intercept(XenAbi.HypercallVector, EventKind.SoftwareInt, false, 0);
    }

    /// <summary>The guest runs for a while: virtual time passes and the timer events due fire.</summary>
    private void PassTime()
    {
        _machine.Clock.Now += _time.Below(MaxTicksBetweenCalls);
        _machine.Clock.RunDue();
    }

    private IReadOnlyList<PvMmuViolation> Check(string? harnessError)
    {
        _audits++;
        var found = new List<PvMmuViolation>(_auditor.AuditNow());
        var mmu = Hypervisor.Mmu;
        if (mmu.BaseMfn == uint.MaxValue) found.Add(new PvMmuViolation(0, "no base pointer: the vCPU has no page tables"));
        else if (_cpu.Cr3 != mmu.BaseMfn << 12)
            found.Add(new PvMmuViolation(mmu.BaseMfn, $"CR3 is 0x{_cpu.Cr3:X8}, not the PV MMU's base"));
        _hypervisorArea.Check(found);
        if (harnessError != null) found.Add(new PvMmuViolation(0, harnessError));
        return found;
    }
}
