namespace Emulator.Host.Benchmarking;

/// <summary>The cases `emu bench` knows, in the order it runs them.</summary>
public static class BenchSuite
{
    public const string GuestImage = "bench.elf";
    public const string ToyKernelImage = "toykernel.elf";
    /// <summary>The bench guest exits through isa-debug-exit with 0: status (0 &lt;&lt; 1) | 1, under QEMU too.</summary>
    public const int GuestExitStatus = 1;
    /// <summary>The bench guest's phase that only starts and exits: QEMU's start-up time is measured with it.</summary>
    public const string SetupPhase = "none";

    /// <summary>The phases with the guest's own default iteration counts (guests/bench/main.c): about 60 M instructions each.</summary>
    private static readonly (string Phase, string Description, uint DefaultIterations)[] GuestPhases =
    [
        ("alu", "integer ALU ops and branches", 2_300_000),
        ("mem", "loads/stores, REP MOVS/STOS/CMPS, SCAS, LODS", 170_000),
        ("call", "call/ret, push/pop, nested and indirect calls", 180_000),
        ("paging", "PTE rewrites, INVLPG, CR3 reloads", 1_800_000),
        ("io", "port I/O (PIC mask, port 0x80, CMOS)", 3_000_000),
        (SetupPhase, "the bench guest's start-up and exit alone", 0),
    ];

    private static readonly BenchCase[] ToyKernelCases =
    [
        new("toykernel-boot", "toy kernel boot and self-tests, pc, pv=ops", ToyKernelImage, "pv=ops", "pc", 0, null),
        new("toykernel-bench-pc", "toy kernel bench mode, pc, pv=ops", ToyKernelImage, "pv=ops bench", "pc", 0, null),
        new("toykernel-bench-xen", "toy kernel bench mode, xen, pv=ops", ToyKernelImage, "pv=ops bench", "xen", 0, null),
    ];

    public static IReadOnlyList<string> CaseNames { get; } =
        GuestPhases.Select(p => p.Phase).Concat(ToyKernelCases.Select(c => c.Name)).ToArray();

    /// <summary>
    /// The cases named in <paramref name="only"/> (null: all), in the suite's order. The bench
    /// guest's phases get iterations=N: <paramref name="iterations"/>, or each phase's default.
    /// </summary>
    public static IReadOnlyList<BenchCase> Select(IReadOnlyCollection<string>? only, uint? iterations)
    {
        var cases = new List<BenchCase>();
        foreach (var (phase, description, defaultIterations) in GuestPhases)
        {
            if (only != null && !only.Contains(phase)) continue;
            cases.Add(BenchCase.ForGuestPhase(phase, description, phase == SetupPhase ? 0 : iterations ?? defaultIterations));
        }
        cases.AddRange(ToyKernelCases.Where(c => only == null || only.Contains(c.Name)));
        return cases;
    }
}
