using Emulator.Core.Hypervisor;
using System.Buffers.Binary;
using System.Text;
using System.Text.RegularExpressions;
using Emulator.Core.Loading;
using Emulator.Core.Machine;
using Emulator.Devices;
using Emulator.Host.Cli;
using Emulator.Host.Commands;
using Emulator.Tests.Support;
using Iced.Intel;

namespace Emulator.Tests.Guests;

/// <summary>
/// The toy kernel (guests/toykernel) booted in-process: each paravirt strategy runs its TAP self-tests
/// to the end, `bench` prints a line per operation, and with pv=patch no instruction reads the ops
/// table once the patched kernel core runs.
/// </summary>
public sealed partial class ToyKernelTests
{
    private static CapturedRun Boot(string? append)
    {
        var options = new RunOptions { Kernel = GuestImages.ToyKernel, Append = append, MaxInstructions = 50_000_000 };
        return CapturedRun.Execute(options);
    }

    [GeneratedRegex(@"^1\.\.(\d+)$", RegexOptions.Multiline)]
    private static partial Regex PlanLine();

    [GeneratedRegex(@"^(not ok|ok) (\d+) - (.+)$", RegexOptions.Multiline)]
    private static partial Regex TestLine();

    /// <summary>Checks the TAP stream: a plan, every test numbered in order, all `ok`, as many as planned.</summary>
    private static void AssertAllOk(string stdout)
    {
        var plan = PlanLine().Matches(stdout);
        Assert.Single(plan);
        int planned = int.Parse(plan[0].Groups[1].Value);
        var tests = TestLine().Matches(stdout);
        Assert.True(planned >= 20, $"plan 1..{planned}");
        Assert.Equal(planned, tests.Count);
        for (int n = 0; n < tests.Count; n++)
        {
            Assert.True(tests[n].Groups[1].Value == "ok", $"not ok: {tests[n].Value}\n{stdout}");
            Assert.Equal(n + 1, int.Parse(tests[n].Groups[2].Value));
        }
    }

    [Theory]
    [InlineData("pv=flag", "flag")]
    [InlineData("pv=ops", "ops")]
    [InlineData("pv=patch", "patch")]
    [InlineData(null, "ops")] // the default strategy
    public void EachStrategyPassesItsSelfTestsAndPowersOff(string? append, string strategy)
    {
        var r = Boot(append);
        Assert.True(r.Status == 0, $"status {r.Status}, stderr: {r.Stderr}\n{r.Stdout}");
        Assert.Equal(ExitKind.PowerOff, r.Outcome.Exit?.Kind);
        Assert.Contains($"toykernel: pv={strategy} backend=native\n", r.Stdout);
        Assert.Contains("toykernel: cpuid: no hypervisor signature in leaves 0x40000000-0x4000ff00\n", r.Stdout);
        AssertAllOk(r.Stdout);
        // What only exists under Xen says so instead of vanishing from the plan.
        Assert.Equal(5, Regex.Matches(r.Stdout, @"(?m)^ok \d+ - xen: .* # SKIP not on Xen: the native backend has no hypervisor$").Count);
        Assert.Matches(@"(?m)^ok \d+ - xen: a direct write to a live page table is a page fault \(error code 3\), the entry unchanged # SKIP on bare hardware the kernel writes its page tables itself$", r.Stdout);
        Assert.Contains("- pfn_to_mfn / mfn_to_pfn: a round trip over every frame; the identity on bare hardware\n", r.Stdout);
        // Real outcomes behind the TAP lines: the killed tasks were reported, the tasks wrote.
        Assert.Contains("killed: page fault on a protected page at 0x00100000", r.Stdout);
        Assert.Contains("killed: page fault on an unmapped address at 0xc0000000", r.Stdout);
        Assert.Contains("# task A\n# task B\n# task C\n# task A\n# task B\n# task C\n# task A\n# task B\n# task C\n", r.Stdout);

        var patched = Regex.Match(r.Stdout, @"toykernel: patched (\d+) sites \((\d+) inlined native code, (\d+) direct calls\)");
        if (strategy == "patch")
        {
            Assert.True(patched.Success, r.Stdout);
            int n = int.Parse(patched.Groups[1].Value);
            Assert.True(n > 0);
            Assert.Equal(n, int.Parse(patched.Groups[2].Value) + int.Parse(patched.Groups[3].Value));
            Assert.Equal(n, PatchSiteCount());
            Assert.Matches(@"(?m)^ok \d+ - patch: every recorded site was rewritten; none still calls through pv_ops$", r.Stdout);
        }
        else
        {
            Assert.False(patched.Success);
        }
    }

    [Fact]
    public void RunsAreDeterministic()
    {
        var a = Boot("pv=patch");
        var b = Boot("pv=patch");
        Assert.Equal(a.Stdout, b.Stdout);
        Assert.Equal(a.Outcome.Instructions, b.Outcome.Instructions);
    }

    [Fact]
    public void UnknownStrategyFallsBackToOpsAndSaysSo()
    {
        var r = Boot("pv=magic");
        Assert.Equal(0, r.Status);
        Assert.Contains("toykernel: unknown pv= value; using ops\n", r.Stdout);
        Assert.Contains("toykernel: pv=ops backend=native\n", r.Stdout);
    }

    /// <summary>The operations bench.c measures: all of them except idle and shutdown.</summary>
    private static readonly string[] BenchOps =
    {
        "write_pte_l1", "write_pte_l2", "write_pte_l3", "load_pt_base", "flush_tlb_one", "flush_tlb",
        "irq_disable", "irq_enable", "irq_save", "irq_restore", "load_trap_table", "set_kernel_stack",
        "arm_timer", "irq_eoi", "console_write", "read_fault_addr", "pfn_to_mfn", "mfn_to_pfn", "alloc_pt", "release_pt",
    };

    [Theory]
    [InlineData("flag")]
    [InlineData("ops")]
    [InlineData("patch")]
    public void BenchPrintsOneLinePerOperation(string strategy)
    {
        var r = Boot($"pv={strategy} bench");
        Assert.True(r.Status == 0, $"status {r.Status}, stderr: {r.Stderr}\n{r.Stdout}");
        AssertAllOk(r.Stdout);
        var lines = Regex.Matches(r.Stdout, @"(?m)^bench pv=(\w+) backend=(\w+) op=(\w+) n=(\d+) ticks_per_op=(\d+)\.(\d\d)$");
        Assert.Equal(BenchOps.Length, lines.Count);
        var ops = new HashSet<string>();
        foreach (Match m in lines)
        {
            Assert.Equal(strategy, m.Groups[1].Value);
            Assert.Equal("native", m.Groups[2].Value);
            Assert.True(int.Parse(m.Groups[4].Value) > 0);
            ops.Add(m.Groups[3].Value);
        }
        Assert.Equal(BenchOps.OrderBy(x => x), ops.OrderBy(x => x));
        // The emulator's TSC counts instructions: every operation executes at least one.
        foreach (Match m in lines)
            Assert.True(int.Parse(m.Groups[5].Value) >= 1, m.Value);
    }

    // ---- pv=patch: no call through the ops table after patching ------------------------------

    private static Dictionary<string, (uint Value, uint Size)> Symbols(ElfImage elf)
    {
        var result = new Dictionary<string, (uint, uint)>();
        foreach (var sh in elf.SectionHeaders)
        {
            if (sh.Type != 2) continue; // SHT_SYMTAB
            var strtab = elf.SectionHeaders[(int)sh.Link];
            for (uint o = 0; o + 16 <= sh.Size; o += 16)
            {
                var e = elf.Data.AsSpan((int)(sh.Offset + o), 16);
                uint name = BinaryPrimitives.ReadUInt32LittleEndian(e);
                int start = (int)(strtab.Offset + name), end = start;
                while (elf.Data[end] != 0) end++;
                string s = Encoding.ASCII.GetString(elf.Data, start, end - start);
                if (s.Length > 0) result[s] = (BinaryPrimitives.ReadUInt32LittleEndian(e[4..]), BinaryPrimitives.ReadUInt32LittleEndian(e[8..]));
            }
        }
        return result;
    }

    /// <summary>Records in the image's .pvpatch section (8 bytes each), read from the ELF file.</summary>
    private static int PatchSiteCount()
    {
        var elf = ElfImage.Load(GuestImages.ToyKernel);
        var sym = Symbols(elf);
        return (int)(sym["__pvpatch_end"].Value - sym["__pvpatch_start"].Value) / 8;
    }

    /// <summary>Reads code at linear addresses through the CPU's page tables (without touching the TLB's state).</summary>
    private sealed class MemoryCodeReader(Emulator.Core.Cpu.Cpu cpu) : CodeReader
    {
        public uint Position;
        public override int ReadByte()
        {
            uint linear = Position++;
            if (!cpu.PagingEnabled) return cpu.Memory.Read8(linear);
            return cpu.Mmu.Probe(linear, out uint pa) ? cpu.Memory.Read8(pa) : 0;
        }
    }

    /// <summary>
    /// Boots the image and executes it one instruction at a time. From the first instruction of the
    /// strategy's kernel core (<c>{strategy}_kmain</c>, entered after boot.c filled and, for patch,
    /// patched and poisoned the table) every ring-0 instruction is decoded independently with Iced,
    /// and each explicit memory operand's address (base + index*scale + displacement) and each string
    /// instruction's source are compared with the pv_ops table's range from the symbol table. Any
    /// call through the table must read it, so zero reads means zero calls through it.
    /// Returns (reads of the table, instructions checked, exit).
    /// </summary>
    private static (int Reads, long Checked, MachineExit? Exit, string Output) CountOpsTableReads(string strategy, bool xen = false)
    {
        var elf = ElfImage.Load(GuestImages.ToyKernel);
        var sym = Symbols(elf);
        (uint tableStart, uint tableSize) = sym["pv_ops"];
        uint tableEnd = tableStart + tableSize;
        uint kmain = sym[$"{strategy}_kmain"].Value;
        Assert.Equal(22u * 4, tableSize); // twenty-two operations, one pointer each

        var serial = new MemoryStream();
        Machine machine;
        if (xen)
        {
            // The kernel in ring 1 on the hypervisor: the same check, on what the Xen backend patched in.
            machine = new Machine((uint)XenHypervisor.MachineRamBytes(32 * 256));
            var hv = new XenHypervisor(machine.Cpu, machine, 32 * 256, 1, serial);
            DomainBuilder.Build(hv, elf, $"pv={strategy}");
        }
        else
        {
            machine = new Machine(128u << 20);
            PcPlatform.Attach(machine, new PcPlatformOptions { SerialOutput = serial });
            var boot = MultibootLoader.Prepare(machine.Memory, GuestImages.ToyKernel, $"pv={strategy}", []);
            boot.Install(machine.Memory, machine.Cpu);
        }
        int kernelRing = xen ? 1 : 0;

        var cpu = machine.Cpu;
        var reader = new MemoryCodeReader(cpu);
        var decoder = Iced.Intel.Decoder.Create(32, reader);
        bool armed = false;
        int reads = 0;
        long checkedCount = 0;
        cpu.StopReason = Emulator.Core.Cpu.CpuStopReason.None;
        for (long step = 0; step < 50_000_000 && cpu.StopReason == Emulator.Core.Cpu.CpuStopReason.None; step++)
        {
            if (!armed && cpu.Eip == kmain) armed = true;
            if (armed && cpu.Cpl == kernelRing && !cpu.Halted)
            {
                uint eip = cpu.Segs[Emulator.Core.Cpu.Cpu.CS].Base + cpu.Eip;
                reader.Position = eip;
                decoder.IP = eip;
                decoder.Decode(out var insn);
                checkedCount++;
                for (int op = 0; op < insn.OpCount; op++)
                {
                    if (insn.GetOpKind(op) != OpKind.Memory) continue;
                    uint addr = insn.MemoryDisplacement32;
                    if (insn.MemoryBase != Register.None) addr += Reg(cpu, insn.MemoryBase);
                    if (insn.MemoryIndex != Register.None) addr += Reg(cpu, insn.MemoryIndex) * (uint)insn.MemoryIndexScale;
                    if (addr + 4 > tableStart && addr < tableEnd) reads++;
                }
                if (insn.IsStringInstruction)
                {
                    uint esi = cpu.Regs[Emulator.Core.Cpu.Cpu.ESI];
                    uint count = insn.HasRepPrefix || insn.HasRepePrefix || insn.HasRepnePrefix ? cpu.Regs[Emulator.Core.Cpu.Cpu.ECX] * 4 : 4;
                    if (esi < tableEnd && esi + count > tableStart) reads++;
                }
            }
            cpu.Step();
        }
        Assert.True(armed, $"{strategy}_kmain was never reached");
        MachineExit? exit = cpu.StopReason == Emulator.Core.Cpu.CpuStopReason.Requested ? machine.Run(0) : null;
        return (reads, checkedCount, exit, Encoding.UTF8.GetString(serial.ToArray()));
    }

    private static uint Reg(Emulator.Core.Cpu.Cpu cpu, Register r) => r switch
    {
        Register.EAX => cpu.Regs[0], Register.ECX => cpu.Regs[1], Register.EDX => cpu.Regs[2], Register.EBX => cpu.Regs[3],
        Register.ESP => cpu.Regs[4], Register.EBP => cpu.Regs[5], Register.ESI => cpu.Regs[6], Register.EDI => cpu.Regs[7],
        _ => throw new InvalidOperationException($"unexpected address register {r}"),
    };

    [Fact]
    public void PatchedKernelNeverReadsTheOpsTable()
    {
        var (reads, checkedCount, _, output) = CountOpsTableReads("patch");
        Assert.Contains("toykernel: pv=patch backend=native", output);
        Assert.DoesNotContain("not ok", output);
        Assert.Contains("powering off", output);
        Assert.True(checkedCount > 1_000_000, $"only {checkedCount} instructions checked");
        Assert.Equal(0, reads);
    }

    [Fact]
    public void PatchedKernelNeverReadsTheOpsTableUnderXenEither()
    {
        var (reads, checkedCount, _, output) = CountOpsTableReads("patch", xen: true);
        Assert.Contains("toykernel: pv=patch backend=xen", output);
        Assert.DoesNotContain("not ok", output);
        Assert.Contains("sched_op shutdown poweroff", output);
        Assert.True(checkedCount > 1_000_000, $"only {checkedCount} instructions checked");
        Assert.Equal(0, reads);
    }

    [Fact]
    public void OpsKernelCallsThroughTheTable()
    {
        // The control for the check above: the same instrument sees the ops strategy's indirect calls.
        var (reads, _, _, output) = CountOpsTableReads("ops");
        Assert.Contains("powering off", output);
        Assert.True(reads > 1000, $"{reads} reads of pv_ops");
    }
}
