using Emulator.Core.Fuzzing.Differential;
using Emulator.Host.Fuzzing;
using Emulator.Tests.Support;
using Iced.Intel;

namespace Emulator.Tests.Fuzzing;

/// <summary>
/// `emu fuzz diff`: a short fixed-seed campaign of our interpreter against QEMU finds no mismatch;
/// a CPU broken on purpose is caught with a shrunk reproducer; the generated cases stay inside
/// their memory window; and the undefined-flags table says what the SDM says.
/// </summary>
public sealed class DifferentialCampaignTests
{
    private static readonly DiffMode[] AllModes = { new(16, 0), new(16, 3), new(32, 0), new(32, 3) };

    [QemuFact]
    public void AFixedSeedCampaignAgreesWithQemuInEveryMode()
    {
        using var ours = new InterpreterDiffCpu();
        using var qemu = QemuDiffCpu.Start(QemuFactAttribute.QemuPath!);
        var result = new DifferentialCampaign(ours, qemu, seed: 20261125, AllModes).Run(400);
        Assert.Empty(result.Mismatches.Select(m => m.ToString()));
        Assert.Equal(0, result.MismatchingCases);
        Assert.Equal(400, result.Cases);
        Assert.True(result.InstructionsCompared > 3000, $"only {result.InstructionsCompared} instructions compared");
        Assert.True(result.FaultingCases > 0, "no case compared an exception's delivery");
    }

    /// <summary>Our CPU with ADC's carry-out inverted: the campaign must report ADC, shrunk to the culprit's unit and what it needs.</summary>
    [QemuFact]
    public void ACpuWithABrokenAdcIsCaughtAndItsReproducerShrunk()
    {
        using var broken = new BrokenAdcCpu();
        using var qemu = QemuDiffCpu.Start(QemuFactAttribute.QemuPath!);
        var result = new DifferentialCampaign(broken, qemu, seed: 5, AllModes).Run(300);
        Assert.True(result.MismatchingCases > 0);
        var adc = Assert.Single(result.Mismatches, m => m.Culprit.Instruction.Mnemonic == Mnemonic.Adc && m.Case.Mode.Bits == 32);
        Assert.Contains(adc.Differences, d => d.StartsWith("eflags: emu ") && d.Contains("differ in CF"));
        // Shrunk: the culprit's unit is the last one kept, and every unit before it was needed or is gone.
        Assert.Equal(adc.Case.Units.Count - 1, adc.Culprit.Unit);
        Assert.True(adc.Case.Units.Count <= 2, $"{adc.Case.Units.Count} units left:\n{adc}");
        string text = adc.ToString();
        Assert.Contains("adc ", text);
        Assert.Contains("initial state: eax=", text);
        Assert.Contains("hex: ", text);
    }

    /// <summary>The interpreter, with the carry flag inverted after every ADC (the mutation the campaign must catch).</summary>
    private sealed class BrokenAdcCpu : IDiffCpu
    {
        private readonly InterpreterDiffCpu _cpu = new();
        public string Name => "broken";
        public void Load(DiffCase diffCase) => _cpu.Load(diffCase);
        public void Step()
        {
            bool adc = _cpu.Cpu.PeekInstruction().Mnemonic == Mnemonic.Adc;
            _cpu.Step();
            if (adc) _cpu.WriteEflags(_cpu.Cpu.GetEflags() ^ 1);
        }
        public DiffState Read() => _cpu.Read();
        public uint ReadEip() => _cpu.ReadEip();
        public void WriteEflags(uint value) => _cpu.WriteEflags(value);
        public void WriteRegister(int index, uint value) => _cpu.WriteRegister(index, value);
        public void WriteMemory(uint address, byte[] bytes) => _cpu.WriteMemory(address, bytes);
        public void Dispose() => _cpu.Dispose();
    }

    /// <summary>
    /// Every memory operand of the generated code (LEA aside, which touches no memory) addresses the
    /// compared window, in every mode; and the cases reach the exceptions they are meant to: #DE,
    /// #UD, #GP (privileged instructions at ring 3, bad selectors) and INT n.
    /// </summary>
    [Fact]
    public void GeneratedMemoryOperandsStayInTheWindowAndExceptionsAreReached()
    {
        var generator = new DiffCaseGenerator(seed: 3);
        using var side = new InterpreterDiffCpu();
        var cpu = side.Cpu;
        int instructions = 0, memoryOperands = 0;
        var vectors = new HashSet<uint>();
        for (int n = 0; n < 3000; n++)
        {
            var diffCase = generator.Next(AllModes[n % 4]);
            side.Load(diffCase);
            foreach (var encoded in diffCase.Instructions)
            {
                Assert.Equal(encoded.Address, side.ReadEip());
                var insn = cpu.PeekInstruction();
                if (insn.Mnemonic != Mnemonic.Lea && Enumerable.Range(0, insn.OpCount).Any(k => insn.GetOpKind(k) == OpKind.Memory))
                {
                    uint linear = cpu.Segs[Emulator.Core.Cpu.Cpu.MemorySeg(ref insn)].Base + cpu.EffectiveAddress(ref insn);
                    Assert.True(linear >= DiffLayout.WindowBase && linear + (uint)Math.Max(1, insn.MemorySize.GetSize()) <= DiffLayout.WindowBase + DiffLayout.WindowSize,
                        $"case {n} ({diffCase.Mode}): `{encoded.Asm}` addresses {linear:x8}");
                    memoryOperands++;
                }
                bool repeated = insn.HasRepPrefix || insn.HasRepePrefix || insn.HasRepnePrefix;
                side.Step();
                for (int k = 0; repeated && k < 64 && side.ReadEip() == encoded.Address; k++) side.Step();
                instructions++;
                uint eip = side.ReadEip();
                if (!DiffLayout.IsHandler(eip)) continue;
                vectors.Add(eip - DiffLayout.HandlerBase);
                break;
            }
        }
        Assert.True(instructions > 20_000, $"only {instructions} instructions");
        Assert.True(memoryOperands > 5_000, $"only {memoryOperands} memory operands");
        Assert.Superset(new HashSet<uint> { 0, 3, 5, 6, 13 }, vectors); // #DE, INT3, #BR, #UD, #GP
    }

    [Fact]
    public void ACaseIsAFunctionOfItsSeed()
    {
        var a = new DiffCaseGenerator(7).Next(new DiffMode(32, 3));
        var b = new DiffCaseGenerator(7).Next(new DiffMode(32, 3));
        var c = new DiffCaseGenerator(8).Next(new DiffMode(32, 3));
        Assert.Equal(a.Code, b.Code);
        Assert.Equal(a.Regs, b.Regs);
        Assert.Equal(a.Window, b.Window);
        Assert.NotEqual(a.Code, c.Code);
    }

    [Theory]
    [InlineData(Code.Shl_rm32_imm8, 1, UndefinedFlags.AF)]
    [InlineData(Code.Shl_rm32_imm8, 0, 0u)]
    [InlineData(Code.Shl_rm32_imm8, 33, UndefinedFlags.AF)]                                      // masked to 1
    [InlineData(Code.Shl_rm32_imm8, 5, UndefinedFlags.AF | UndefinedFlags.OF)]
    [InlineData(Code.Shr_rm8_imm8, 8, UndefinedFlags.AF | UndefinedFlags.OF | UndefinedFlags.CF)] // count ≥ operand size
    [InlineData(Code.Sar_rm8_imm8, 8, UndefinedFlags.AF | UndefinedFlags.OF)]                     // SAR's CF stays defined
    [InlineData(Code.Rol_rm32_imm8, 1, 0u)]
    [InlineData(Code.Rcr_rm16_imm8, 2, UndefinedFlags.OF)]
    [InlineData(Code.Rol_rm8_imm8, 32, 0u)]                                                       // masked to 0: nothing
    [InlineData(Code.Shld_rm32_r32_imm8, 3, UndefinedFlags.AF | UndefinedFlags.OF)]
    public void ShiftAndRotateCountsDecideWhatIsUndefined(Code code, int count, uint expected)
    {
        var insn = code == Code.Shld_rm32_r32_imm8 ? Instruction.Create(code, Register.EAX, Register.EBX, count) : Instruction.Create(code, code.ToString().Contains("rm8") ? Register.AL : code.ToString().Contains("rm16") ? Register.AX : Register.EAX, count);
        Assert.Equal(expected, UndefinedFlags.After(insn, cl: 0));
    }

    [Fact]
    public void TheTableFollowsTheSdmForTheOtherFamilies()
    {
        Assert.Equal(UndefinedFlags.SF | UndefinedFlags.ZF | UndefinedFlags.AF | UndefinedFlags.PF, UndefinedFlags.After(Instruction.Create(Code.Mul_rm32, Register.EBX), 0));
        Assert.Equal(UndefinedFlags.Arithmetic, UndefinedFlags.After(Instruction.Create(Code.Idiv_rm8, Register.BL), 0));
        Assert.Equal(UndefinedFlags.AF, UndefinedFlags.After(Instruction.Create(Code.Xor_rm32_r32, Register.EAX, Register.EAX), 0));
        Assert.Equal(0u, UndefinedFlags.After(Instruction.Create(Code.Add_rm32_r32, Register.EAX, Register.EAX), 0));
        Assert.Equal(UndefinedFlags.OF | UndefinedFlags.SF | UndefinedFlags.AF | UndefinedFlags.PF, UndefinedFlags.After(Instruction.Create(Code.Bt_rm32_r32, Register.EAX, Register.EBX), 0));
        Assert.Equal(UndefinedFlags.OF | UndefinedFlags.AF, UndefinedFlags.After(Instruction.Create(Code.Shl_rm32_CL, Register.EAX, Register.CL), cl: 0x22));
        Assert.True(UndefinedFlags.DestinationUndefined(Instruction.Create(Code.Bsf_r32_rm32, Register.EAX, Register.EBX), UndefinedFlags.ZF));
        Assert.False(UndefinedFlags.DestinationUndefined(Instruction.Create(Code.Bsf_r32_rm32, Register.EAX, Register.EBX), 0));
    }

    [Fact]
    public void TheCommandLineTakesBitsAndRings()
    {
        Assert.Equal(new[] { 16 }, ((Emulator.Host.Cli.DiffFuzzRequest)Emulator.Host.Cli.FuzzCommandLine.Parse(["diff", "--bits", "16"])).Bits);
        var request = (Emulator.Host.Cli.DiffFuzzRequest)Emulator.Host.Cli.FuzzCommandLine.Parse(["diff", "--seed=4", "--count", "9", "--ring", "both", "--bits=32"]);
        Assert.Equal((4ul, 9L), (request.Seed, request.Count));
        Assert.Equal(new[] { 0, 3 }, request.Rings);
        Assert.Equal(new[] { 32 }, request.Bits);
        var (status, _, stderr) = CapturedCli.Emu("fuzz", "diff", "--ring", "1");
        Assert.Equal(2, status);
        Assert.Contains("bad value '1' for --ring: expected 0, 3 or both", stderr);
    }

    [QemuFact]
    public void TheCommandPrintsItsFigures()
    {
        var (status, stdout, stderr) = CapturedCli.Emu("fuzz", "diff", "--seed", "2", "--count", "40", "--bits", "32", "--ring", "3");
        Assert.True(status == 0, stdout + stderr);
        Assert.StartsWith("emu fuzz diff --seed 2 --count 40: modes 32-bit ring 3\ncases: 40\ninstructions compared: ", stdout);
        Assert.Contains("mismatching cases: 0\n", stdout);
    }
}
