using Iced.Intel;

namespace Emulator.Core.Fuzzing.Differential;

/// <summary>
/// Random straight-line differential cases (issue 9), built with Iced's <see cref="Instruction"/>
/// factory and encoder: ALU operations (register, immediate and memory forms), shifts and rotates
/// (by 1, CL and imm8, SHLD/SHRD), MUL/IMUL, DIV/IDIV with operands that cannot overflow (and now
/// and then a zero divisor, so #DE delivery is compared too), INC/DEC, NEG/NOT, BT/BTS/BTR/BTC,
/// BSF/BSR, SETcc, CMOVcc, MOVZX/MOVSX, XCHG/XADD/CMPXCHG, BSWAP, MOV, LEA, string instructions
/// with and without REP (ESI/EDI/ECX set up to stay in the scratch page), PUSH/POP/PUSHA/POPA/
/// PUSHF/POPF, the flag instructions, CBW/CWD family, BCD adjustments and XLAT.
/// Memory operands always land in the scratch page: absolute, or through base/index registers
/// loaded right before (16-bit and 32-bit addressing in both code sizes). ESP is never a
/// destination except through PUSH/POP, and nothing touches IF, IOPL or TF.
/// Deterministic for a seed.
/// </summary>
public sealed class DiffCaseGenerator
{
    public const int MaxUnits = 12;
    private static readonly Register[] R32 = { Register.EAX, Register.ECX, Register.EDX, Register.EBX, Register.EBP, Register.ESI, Register.EDI };
    private static readonly Register[] R16 = { Register.AX, Register.CX, Register.DX, Register.BX, Register.BP, Register.SI, Register.DI };
    private static readonly Register[] R8 = { Register.AL, Register.CL, Register.DL, Register.BL, Register.AH, Register.CH, Register.DH, Register.BH };
    private static readonly string[] AluOps = { "Add", "Or", "Adc", "Sbb", "And", "Sub", "Xor", "Cmp" };
    private static readonly string[] ShiftOps = { "Rol", "Ror", "Rcl", "Rcr", "Shl", "Shr", "Sar" };
    private static readonly string[] Conditions = { "o", "no", "b", "ae", "e", "ne", "be", "a", "s", "ns", "p", "np", "l", "ge", "le", "g" };
    private static readonly uint[] Interesting =
        { 0, 1, 2, 0x7F, 0x80, 0xFF, 0x100, 0x7FFF, 0x8000, 0xFFFF, 0x10000, 0x7FFFFFFF, 0x80000000, 0xFFFFFFFF, 0xFFFFFFFE, 0x80000001 };
    private static readonly Dictionary<string, Code> CodeByName = Enum.GetValues<Code>().Distinct().ToDictionary(c => c.ToString(), c => c);

    private readonly SplitMix64 _random;

    public DiffCaseGenerator(ulong seed) => _random = new SplitMix64(seed);

    public DiffCase Next(DiffMode mode)
    {
        int count = 1 + (int)_random.Below(MaxUnits);
        var units = new List<IReadOnlyList<Instruction>>();
        for (int k = 0; k < count; k++) units.Add(Unit(mode));
        var regs = new uint[8];
        for (int r = 0; r < 8; r++) regs[r] = Value(32);
        regs[4] = DiffLayout.StackStart;
        // Arithmetic flags and DF at random; IF, TF and IOPL clear.
        uint eflags = 0x2 | (_random.Next32() & 0x8D5) | (_random.Chance(20) ? 0x400u : 0);
        var window = new byte[DiffLayout.WindowSize];
        for (int k = 0; k < window.Length; k++) window[k] = (byte)_random.Next();
        return new DiffCase(mode, units, regs, eflags, window);
    }

    private uint Value(int bits)
    {
        uint v = _random.Below(4) switch
        {
            0 => _random.Pick(Interesting),
            1 => _random.Below(0x100),
            2 => _random.Pick(Interesting) + (uint)((int)_random.Below(5) - 2),
            _ => _random.Next32(),
        };
        return bits == 32 ? v : bits == 16 ? v & 0xFFFF : v & 0xFF;
    }

    private static Code C(string name) => CodeByName[name];

    private int Size() => _random.Below(3) switch { 0 => 8, 1 => 16, _ => 32 };
    private int WideSize() => _random.Chance(50) ? 16 : 32;

    private Register Reg(int size, ICollection<Register>? avoid = null)
    {
        var pool = size == 32 ? R32 : size == 16 ? R16 : R8;
        for (; ; )
        {
            var r = _random.Pick(pool);
            if (avoid == null || !avoid.Contains(r.GetFullRegister32())) return r;
        }
    }

    private static Instruction MovImm(Register reg, uint value) => reg.GetSize() switch
    {
        4 => Instruction.Create(Code.Mov_r32_imm32, reg, value),
        2 => Instruction.Create(Code.Mov_r16_imm16, reg, value & 0xFFFF),
        _ => Instruction.Create(Code.Mov_r8_imm8, reg, value & 0xFF),
    };

    /// <summary>A register-or-memory operand: the register, or a memory operand in the scratch page with its set-up.</summary>
    private readonly record struct Rm(Register Reg, MemoryOperand Mem, bool IsMem);

    private Rm RegOrMem(int bits, int size, List<Instruction> setup, HashSet<Register> avoid) =>
        _random.Chance(40) ? new Rm(default, Memory(bits, setup, avoid), true) : new Rm(Reg(size, avoid), default, false);

    private uint Target() => DiffLayout.ScratchBase + 0x10 + _random.Below(0xD0);

    /// <summary>A memory operand addressing the scratch page; base/index registers are loaded in <paramref name="setup"/> and added to <paramref name="avoid"/>.</summary>
    private MemoryOperand Memory(int bits, List<Instruction> setup, HashSet<Register> avoid)
    {
        var m = Address(bits, setup, avoid);
        if (!_random.Chance(15)) return m;
        // Every data segment has base 0. Not CS: a write through it raises #GP (SDM Vol. 3 §5.5), which
        // QEMU's TCG does not check (it checks neither segment types nor limits on data accesses).
        var segment = _random.Pick(new[] { Register.ES, Register.SS, Register.DS, Register.FS, Register.GS });
        return new MemoryOperand(m.Base, m.Index, m.Scale, m.Displacement, m.DisplSize, false, segment);
    }

    private MemoryOperand Address(int bits, List<Instruction> setup, HashSet<Register> avoid)
    {
        uint target = Target();
        int addressBits = _random.Chance(80) ? bits : 48 - bits;
        if (addressBits == 32)
        {
            switch (_random.Below(5))
            {
                case 0:
                    return new MemoryOperand(Register.None, Register.None, 1, target, 4);
                case 1:
                    return new MemoryOperand(Register.ESP, Register.None, 1, _random.Below(0x40), 1); // the stack page
                case 2:
                {
                    var b = Reg(32, avoid);
                    int d = (int)_random.Below(128) - 64;
                    setup.Add(MovImm(b, (uint)(target - d)));
                    avoid.Add(b);
                    return new MemoryOperand(b, Register.None, 1, d, 1);
                }
                default:
                {
                    var b = Reg(32, avoid);
                    avoid.Add(b);
                    var i = Reg(32, avoid);
                    avoid.Add(i);
                    int scale = 1 << (int)_random.Below(4);
                    uint k = _random.Chance(20) ? _random.Next32() : _random.Below(16); // a large index wraps the sum around 4 GiB
                    int d = _random.Chance(50) ? 0 : (int)_random.Below(128) - 64;
                    setup.Add(MovImm(i, k));
                    setup.Add(MovImm(b, (uint)(target - k * scale - d)));
                    return new MemoryOperand(b, i, scale, d, d == 0 ? 0 : 1);
                }
            }
        }
        // 16-bit addressing: [disp16], [bx|bp|si|di + disp], [bx|bp + si|di + disp].
        var bases = new[] { Register.BX, Register.BP };
        var indexes = new[] { Register.SI, Register.DI };
        int form = (int)_random.Below(3);
        if (form == 0) return new MemoryOperand(Register.None, Register.None, 1, target, 2);
        int disp = _random.Chance(30) ? 0 : (int)_random.Below(128) - 64;
        if (form == 1)
        {
            var candidates = bases.Concat(indexes).Where(r => !avoid.Contains(r.GetFullRegister32())).ToArray();
            if (candidates.Length == 0) return new MemoryOperand(Register.None, Register.None, 1, target, 2);
            var r = _random.Pick(candidates);
            if (r == Register.BP && disp == 0) disp = 1; // [bp] has no encoding without a displacement
            setup.Add(MovImm(r, (uint)(target - disp)));
            avoid.Add(r.GetFullRegister32());
            return new MemoryOperand(r, Register.None, 1, disp, 1);
        }
        var bs = bases.Where(r => !avoid.Contains(r.GetFullRegister32())).ToArray();
        var ix = indexes.Where(r => !avoid.Contains(r.GetFullRegister32())).ToArray();
        if (bs.Length == 0 || ix.Length == 0) return new MemoryOperand(Register.None, Register.None, 1, target, 2);
        var bReg = _random.Pick(bs);
        var iReg = _random.Pick(ix);
        uint kk = _random.Chance(20) ? _random.Below(0x10000) : _random.Below(16); // a large index wraps the sum around 64 KiB
        setup.Add(MovImm(iReg, kk));
        setup.Add(MovImm(bReg, (uint)(target - kk - disp)));
        avoid.Add(bReg.GetFullRegister32());
        avoid.Add(iReg.GetFullRegister32());
        return new MemoryOperand(bReg, iReg, 1, disp, disp == 0 ? 0 : 1);
    }

    private static Instruction Make(Code code, Rm dst) => dst.IsMem ? Instruction.Create(code, dst.Mem) : Instruction.Create(code, dst.Reg);
    private static Instruction Make(Code code, Rm dst, Register src) => dst.IsMem ? Instruction.Create(code, dst.Mem, src) : Instruction.Create(code, dst.Reg, src);
    private static Instruction Make(Code code, Register dst, Rm src) => src.IsMem ? Instruction.Create(code, dst, src.Mem) : Instruction.Create(code, dst, src.Reg);
    private static Instruction MakeImm(Code code, Rm dst, int imm) => dst.IsMem ? Instruction.Create(code, dst.Mem, imm) : Instruction.Create(code, dst.Reg, imm);

    private int Imm(int size) => size switch
    {
        8 => (sbyte)Value(8),
        16 => (short)Value(16),
        _ => (int)Value(32),
    };

    private IReadOnlyList<Instruction> Unit(DiffMode mode)
    {
        int bits = mode.Bits;
        var setup = new List<Instruction>();
        var avoid = new HashSet<Register>();
        Instruction subject;
        switch (_random.Below(27))
        {
            case 24 or 25: subject = SystemOp(mode, setup, avoid); break;
            case 26: subject = FrameOp(mode, setup, avoid); break;
            case 0 or 1 or 2: subject = Alu(bits, setup, avoid); break;
            case 3 or 4: subject = Shift(bits, setup, avoid); break;
            case 5: subject = DoubleShift(bits, setup, avoid); break;
            case 6: subject = Multiply(bits, setup, avoid); break;
            case 7: subject = Divide(bits, setup, avoid); break;
            case 8:
            {
                int size = Size();
                var rm = RegOrMem(bits, size, setup, avoid);
                string op = _random.Pick(new[] { "Inc", "Dec", "Neg", "Not" });
                subject = !rm.IsMem && size != 8 && op is "Inc" or "Dec" && _random.Chance(50)
                    ? Instruction.Create(C($"{op}_r{size}"), rm.Reg)
                    : Make(C($"{op}_rm{size}"), rm);
                break;
            }
            case 9: subject = BitTest(bits, setup, avoid); break;
            case 10:
            {
                int size = WideSize();
                var src = RegOrMem(bits, size, setup, avoid);
                var dst = Reg(size);
                if (_random.Chance(25) && !src.IsMem) setup.Add(MovImm(src.Reg, 0));
                else if (_random.Chance(25) && src.IsMem) setup.Add(Instruction.Create(C($"Mov_rm{size}_imm{size}"), src.Mem, 0));
                subject = Make(C($"{(_random.Chance(50) ? "Bsf" : "Bsr")}_r{size}_rm{size}"), dst, src);
                break;
            }
            case 11:
                subject = Make(C($"Set{_random.Pick(Conditions)}_rm8"), RegOrMem(bits, 8, setup, avoid));
                break;
            case 12:
            {
                int size = WideSize();
                var src = RegOrMem(bits, size, setup, avoid);
                subject = Make(C($"Cmov{_random.Pick(Conditions)}_r{size}_rm{size}"), Reg(size), src);
                break;
            }
            case 13:
            {
                var (dstSize, srcSize) = _random.Pick(new[] { (16, 8), (32, 8), (32, 16) });
                var src = RegOrMem(bits, srcSize, setup, avoid);
                subject = Make(C($"{(_random.Chance(50) ? "Movzx" : "Movsx")}_r{dstSize}_rm{srcSize}"), Reg(dstSize), src);
                break;
            }
            case 14:
            {
                int size = Size();
                var rm = RegOrMem(bits, size, setup, avoid);
                string op = _random.Pick(new[] { "Xchg", "Xadd", "Cmpxchg" });
                subject = Make(C($"{op}_rm{size}_r{size}"), rm, Reg(size));
                break;
            }
            case 15: subject = Instruction.Create(Code.Bswap_r32, Reg(32)); break;
            case 16: subject = Move(bits, setup, avoid); break;
            case 17: subject = Lea(bits); break;
            case 18: case 19: subject = StringOp(bits, setup); break;
            case 20: subject = StackOp(bits, setup); break;
            case 21:
                subject = Instruction.Create(_random.Pick(new[]
                {
                    Code.Clc, Code.Stc, Code.Cmc, Code.Cld, Code.Std, Code.Lahf, Code.Sahf, Code.Cbw, Code.Cwde, Code.Cwd, Code.Cdq,
                }));
                break;
            case 22:
                subject = _random.Below(3) switch
                {
                    0 => Instruction.Create(_random.Pick(new[] { Code.Daa, Code.Das, Code.Aaa, Code.Aas })),
                    1 => Instruction.Create(Code.Aam_imm8, _random.Chance(70) ? 10 : 1 + (int)_random.Below(255)),
                    _ => Instruction.Create(Code.Aad_imm8, _random.Chance(70) ? 10 : (int)_random.Below(256)),
                };
                break;
            default:
            {
                // XLAT: [EBX/BX + AL] in the scratch page.
                var b = bits == 32 ? Register.EBX : Register.BX;
                setup.Add(MovImm(b, DiffLayout.ScratchBase));
                subject = Instruction.Create(Code.Xlat_m8, new MemoryOperand(bits == 32 ? Register.EBX : Register.BX, Register.AL, 1, 0, 0));
                break;
            }
        }
        setup.Add(subject);
        return setup;
    }

    private Instruction Alu(int bits, List<Instruction> setup, HashSet<Register> avoid)
    {
        int size = Size();
        bool test = _random.Chance(12);
        string op = test ? "Test" : _random.Pick(AluOps);
        switch (_random.Below(test ? 2u : 5u))
        {
            case 0: return Make(C($"{op}_rm{size}_r{size}"), RegOrMem(bits, size, setup, avoid), Reg(size));
            case 1:
            {
                var rm = RegOrMem(bits, size, setup, avoid);
                return MakeImm(C($"{op}_rm{size}_imm{size}"), rm, Imm(size));
            }
            case 2: return Make(C($"{op}_r{size}_rm{size}"), Reg(size), RegOrMem(bits, size, setup, avoid));
            case 3 when size != 8: return MakeImm(C($"{op}_rm{size}_imm8"), RegOrMem(bits, size, setup, avoid), Imm(8));
            default:
            {
                var acc = size == 8 ? Register.AL : size == 16 ? Register.AX : Register.EAX;
                string name = size == 8 ? $"{op}_AL_imm8" : size == 16 ? $"{op}_AX_imm16" : $"{op}_EAX_imm32";
                return Instruction.Create(C(name), acc, Imm(size));
            }
        }
    }

    private int Count() => _random.Below(4) switch
    {
        0 => (int)_random.Below(4),
        1 => (int)_random.Below(33),
        2 => _random.Pick(new[] { 7, 8, 9, 15, 16, 17, 31 }),
        _ => (int)_random.Below(256),
    };

    private Instruction Shift(int bits, List<Instruction> setup, HashSet<Register> avoid)
    {
        int size = Size();
        string op = _random.Pick(ShiftOps);
        avoid.Add(Register.ECX);
        var rm = RegOrMem(bits, size, setup, avoid);
        switch (_random.Below(3))
        {
            case 0: return MakeImm(C($"{op}_rm{size}_1"), rm, 1);
            case 1: return MakeImm(C($"{op}_rm{size}_imm8"), rm, Count());
            default:
                if (_random.Chance(70)) setup.Insert(0, MovImm(Register.CL, (uint)Count()));
                return Make(C($"{op}_rm{size}_CL"), rm, Register.CL);
        }
    }

    private Instruction DoubleShift(int bits, List<Instruction> setup, HashSet<Register> avoid)
    {
        int size = WideSize();
        string op = _random.Chance(50) ? "Shld" : "Shrd";
        // A 16-bit SHLD/SHRD by more than 16 leaves the result undefined (SDM Vol. 2B SHLD): not generated.
        int count = size == 16 ? (int)_random.Below(17) + (_random.Chance(20) ? 32 : 0) : Count();
        avoid.Add(Register.ECX);
        var rm = RegOrMem(bits, size, setup, avoid);
        var src = Reg(size, new[] { Register.ECX });
        if (_random.Chance(50))
            return rm.IsMem ? Instruction.Create(C($"{op}_rm{size}_r{size}_imm8"), rm.Mem, src, count)
                            : Instruction.Create(C($"{op}_rm{size}_r{size}_imm8"), rm.Reg, src, count);
        setup.Insert(0, MovImm(Register.CL, (uint)count));
        return rm.IsMem ? Instruction.Create(C($"{op}_rm{size}_r{size}_CL"), rm.Mem, src, Register.CL)
                        : Instruction.Create(C($"{op}_rm{size}_r{size}_CL"), rm.Reg, src, Register.CL);
    }

    private Instruction Multiply(int bits, List<Instruction> setup, HashSet<Register> avoid)
    {
        int size = Size();
        switch (_random.Below(3))
        {
            case 0: return Make(C($"{(_random.Chance(50) ? "Mul" : "Imul")}_rm{size}"), RegOrMem(bits, size, setup, avoid));
            case 1:
                size = WideSize();
                return Make(C($"Imul_r{size}_rm{size}"), Reg(size), RegOrMem(bits, size, setup, avoid));
            default:
            {
                size = WideSize();
                bool short8 = _random.Chance(50);
                var src = RegOrMem(bits, size, setup, avoid);
                var code = C(short8 ? $"Imul_r{size}_rm{size}_imm8" : $"Imul_r{size}_rm{size}_imm{size}");
                int imm = Imm(short8 ? 8 : size);
                var dst = Reg(size);
                return src.IsMem ? Instruction.Create(code, dst, src.Mem, imm) : Instruction.Create(code, dst, src.Reg, imm);
            }
        }
    }

    /// <summary>DIV/IDIV whose quotient fits (a high half below the divisor; a sign-extended dividend and |divisor| ≥ 2), or now and then a zero divisor (#DE).</summary>
    private Instruction Divide(int bits, List<Instruction> setup, HashSet<Register> avoid)
    {
        int size = Size();
        bool signed = _random.Chance(50);
        bool zero = _random.Chance(5);
        avoid.Add(Register.EAX);
        avoid.Add(Register.EDX);
        var rm = RegOrMem(bits, size, setup, avoid);
        uint mask = size == 32 ? 0xFFFFFFFF : (1u << size) - 1;
        uint divisor;
        if (signed)
        {
            setup.Add(Instruction.Create(size == 8 ? Code.Cbw : size == 16 ? Code.Cwd : Code.Cdq));
            int magnitude = 2 + (int)(Value(size) % (mask >> 1));
            divisor = (uint)(_random.Chance(50) ? -magnitude : magnitude) & mask;
        }
        else
        {
            uint high = Value(size) & mask;
            if (high == mask) high--;
            divisor = high + 1 + (uint)((ulong)Value(32) % ((ulong)mask - high));
            setup.Add(MovImm(size == 8 ? Register.AH : size == 16 ? Register.DX : Register.EDX, high));
        }
        if (zero) divisor = 0;
        setup.Add(rm.IsMem ? Instruction.Create(C($"Mov_rm{size}_imm{size}"), rm.Mem, (int)divisor) : MovImm(rm.Reg, divisor));
        return Make(C($"{(signed ? "Idiv" : "Div")}_rm{size}"), rm);
    }

    private Instruction BitTest(int bits, List<Instruction> setup, HashSet<Register> avoid)
    {
        int size = WideSize();
        string op = _random.Pick(new[] { "Bt", "Bts", "Btr", "Btc" });
        if (_random.Chance(50)) return MakeImm(C($"{op}_rm{size}_imm8"), RegOrMem(bits, size, setup, avoid), (int)_random.Below(256));
        var offset = Reg(size);
        avoid.Add(offset.GetFullRegister32());
        var rm = RegOrMem(bits, size, setup, avoid);
        // A register bit offset reaches beyond the operand in memory: keep it within ±64 bits.
        if (rm.IsMem) setup.Insert(0, MovImm(offset, (uint)((int)_random.Below(128) - 64)));
        return Make(C($"{op}_rm{size}_r{size}"), rm, offset);
    }

    private Instruction Move(int bits, List<Instruction> setup, HashSet<Register> avoid)
    {
        int size = Size();
        switch (_random.Below(4))
        {
            case 0: return Make(C($"Mov_rm{size}_r{size}"), RegOrMem(bits, size, setup, avoid), Reg(size));
            case 1: return Make(C($"Mov_r{size}_rm{size}"), Reg(size), RegOrMem(bits, size, setup, avoid));
            case 2: return MovImm(Reg(size), Value(size));
            default: return MakeImm(C($"Mov_rm{size}_imm{size}"), new Rm(default, Memory(bits, setup, avoid), true), Imm(size));
        }
    }

    /// <summary>LEA with any registers (it computes an address without touching memory), in 16- or 32-bit addressing.</summary>
    private Instruction Lea(int bits)
    {
        int size = WideSize();
        MemoryOperand m;
        int disp = _random.Chance(30) ? 0 : (int)Value(32);
        if (_random.Chance(bits == 32 ? 80u : 20u))
        {
            var b = _random.Chance(10) ? Register.None : _random.Pick(R32.Append(Register.ESP).ToArray());
            var i = _random.Chance(30) ? Register.None : _random.Pick(R32);
            if (b == Register.None && i == Register.None) return Instruction.Create(C($"Lea_r{size}_m"), Reg(size), new MemoryOperand(Register.None, Register.None, 1, disp, 4));
            int scale = i == Register.None ? 1 : 1 << (int)_random.Below(4);
            m = new MemoryOperand(b, i, scale, disp, b == Register.None ? 4 : disp == 0 ? 0 : (_random.Chance(50) && (sbyte)disp == disp ? 1 : 4));
        }
        else
        {
            var b = _random.Pick(new[] { Register.BX, Register.BP, Register.None });
            var i = _random.Pick(new[] { Register.SI, Register.DI, Register.None });
            disp = (short)disp;
            if (b == Register.None) (b, i) = (i, Register.None); // [si] and [di] are base forms in 16-bit addressing
            if (b == Register.None) m = new MemoryOperand(Register.None, Register.None, 1, (ushort)disp, 2);
            else m = new MemoryOperand(b, i, 1, disp, disp == 0 && !(b == Register.BP && i == Register.None) ? 0 : 2);
        }
        return Instruction.Create(C($"Lea_r{size}_m"), Reg(size), m);
    }

    /// <summary>MOVS/STOS/LODS/CMPS/SCAS with ESI/EDI inside the scratch page and a small ECX for REP forms.</summary>
    private Instruction StringOp(int bits, List<Instruction> setup)
    {
        int addressSize = _random.Chance(80) ? bits : 48 - bits;
        var si = addressSize == 32 ? Register.ESI : Register.SI;
        var di = addressSize == 32 ? Register.EDI : Register.DI;
        var cx = addressSize == 32 ? Register.ECX : Register.CX;
        setup.Add(MovImm(si, DiffLayout.ScratchBase + 0x50 + _random.Below(0x60)));
        setup.Add(MovImm(di, DiffLayout.ScratchBase + 0x50 + _random.Below(0x60)));
        if (_random.Chance(30)) setup.Add(Instruction.Create(_random.Chance(50) ? Code.Cld : Code.Std));
        bool rep = _random.Chance(50);
        if (rep) setup.Add(MovImm(cx, _random.Below(9)));
        int width = _random.Pick(new[] { 1, 2, 4 });
        var plain = rep ? RepPrefixKind.Repe : RepPrefixKind.None;
        var compare = rep ? (_random.Chance(50) ? RepPrefixKind.Repe : RepPrefixKind.Repne) : RepPrefixKind.None;
        return _random.Below(5) switch
        {
            0 => width == 1 ? Instruction.CreateMovsb(addressSize, Register.None, plain) : width == 2 ? Instruction.CreateMovsw(addressSize, Register.None, plain) : Instruction.CreateMovsd(addressSize, Register.None, plain),
            1 => width == 1 ? Instruction.CreateStosb(addressSize, plain) : width == 2 ? Instruction.CreateStosw(addressSize, plain) : Instruction.CreateStosd(addressSize, plain),
            2 => width == 1 ? Instruction.CreateLodsb(addressSize, Register.None, plain) : width == 2 ? Instruction.CreateLodsw(addressSize, Register.None, plain) : Instruction.CreateLodsd(addressSize, Register.None, plain),
            3 => width == 1 ? Instruction.CreateCmpsb(addressSize, Register.None, compare) : width == 2 ? Instruction.CreateCmpsw(addressSize, Register.None, compare) : Instruction.CreateCmpsd(addressSize, Register.None, compare),
            _ => width == 1 ? Instruction.CreateScasb(addressSize, compare) : width == 2 ? Instruction.CreateScasw(addressSize, compare) : Instruction.CreateScasd(addressSize, compare),
        };
    }

    /// <summary>Selectors for segment loads and descriptor queries: data and code of both DPLs and sizes, the TSS, RPL variants, past the GDT's limit.</summary>
    private static readonly ushort[] Selectors = { 0x10, 0x23, 0x30, 0x43, 0x13, 0x20, 0x08, 0x1B, 0x28, 0x3B, 0x48, 0x4B, 0x50, 0x58, 0x0, 0x3 };

    /// <summary>
    /// A data selector for DS/ES/FS/GS or SS: mostly one the ring may load, sometimes one that faults.
    /// Never a null selector nor (except for SS, where it faults) a readable code segment: QEMU's
    /// TCG faults neither on accesses through a null selector nor on writes to a code segment.
    /// </summary>
    private ushort DataSelector(DiffMode mode, bool stack)
    {
        if (_random.Chance(70))
            return mode.Ring == 3 ? _random.Pick(new ushort[] { 0x23, 0x43 }) : stack ? _random.Pick(new ushort[] { 0x10, 0x30 }) : _random.Pick(new ushort[] { 0x10, 0x30, 0x23, 0x43, 0x20 });
        return stack ? _random.Pick(new ushort[] { 0x08, 0x1B, 0x48, 0x50, 0x13, 0x23, 0x10, 0x43 }) : _random.Pick(new ushort[] { 0x48, 0x4B, 0x50, 0x58, 0x13, 0x10 });
    }

    /// <summary>
    /// Segment loads (MOV, POP, LDS/LES/LFS/LGS), descriptor queries (LAR, LSL, VERR, VERW, ARPL),
    /// table stores (SGDT, SIDT, SLDT, STR, SMSW), instructions privileged at ring 3 (#GP there, run at
    /// ring 0 where harmless: CLI, STI, CLTS, WBINVD, INVLPG, MOV from CR0), and INT n/INT3/INTO/UD2/BOUND.
    /// </summary>
    private Instruction SystemOp(DiffMode mode, List<Instruction> setup, HashSet<Register> avoid)
    {
        int bits = mode.Bits;
        var segments = new[] { Register.DS, Register.ES, Register.FS, Register.GS, Register.SS };
        switch (_random.Below(9))
        {
            case 0:
            {
                var sreg = _random.Pick(segments);
                var r = Reg(16);
                setup.Add(MovImm(r, DataSelector(mode, sreg == Register.SS)));
                return Instruction.Create(Code.Mov_Sreg_rm16, sreg, r);
            }
            case 1:
            {
                var from = _random.Pick(new[] { "ES", "CS", "SS", "DS", "FS", "GS" });
                // CS goes only to SS (#GP): in a data segment register QEMU would let it be written.
                var to = from == "CS" ? "SS" : _random.Pick(new[] { "ES", "DS", "FS", "GS", "SS" });
                string w = _random.Chance(50) ? "d" : "w";
                setup.Add(Instruction.Create(C($"Push{w}_{from}"), Enum.Parse<Register>(from)));
                return Instruction.Create(C($"Pop{w}_{to}"), Enum.Parse<Register>(to));
            }
            case 2:
            {
                // LDS/LES/LFS/LGS: the far pointer (offset, selector) is stored in the scratch page first.
                int size = WideSize();
                var m = Memory(bits, setup, avoid);
                var selectorAt = Displaced(m, size / 8);
                setup.Add(Instruction.Create(size == 32 ? Code.Mov_rm32_imm32 : Code.Mov_rm16_imm16, m, (int)Value(size)));
                setup.Add(Instruction.Create(Code.Mov_rm16_imm16, selectorAt, DataSelector(mode, false)));
                string op = _random.Pick(new[] { "Lds", "Les", "Lfs", "Lgs" });
                return Instruction.Create(C(size == 32 ? $"{op}_r32_m1632" : $"{op}_r16_m1616"), Reg(size, avoid), m);
            }
            case 3:
            {
                var source = Reg(16);
                setup.Add(MovImm(source, _random.Chance(80) ? _random.Pick(Selectors) : Value(16)));
                return _random.Below(5) switch
                {
                    0 => Instruction.Create(_random.Chance(50) ? Code.Lar_r16_rm16 : Code.Lsl_r16_rm16, Reg(16), source),
                    1 => Instruction.Create(_random.Chance(50) ? Code.Lar_r32_r32m16 : Code.Lsl_r32_r32m16, Reg(32), source.GetFullRegister32()),
                    2 => Instruction.Create(Code.Verr_rm16, source),
                    3 => Instruction.Create(Code.Verw_rm16, source),
                    _ => Instruction.Create(Code.Arpl_rm16_r16, Reg(16), source),
                };
            }
            case 4:
            {
                var m = Memory(bits, setup, avoid);
                return _random.Below(5) switch
                {
                    0 => Instruction.Create(bits == 16 ? Code.Sgdt_m1632_16 : Code.Sgdt_m1632, m),
                    1 => Instruction.Create(bits == 16 ? Code.Sidt_m1632_16 : Code.Sidt_m1632, m),
                    2 => _random.Chance(50) ? Instruction.Create(Code.Str_rm16, m) : Instruction.Create(Code.Str_rm16, Reg(16)),
                    3 => _random.Chance(50) ? Instruction.Create(Code.Sldt_rm16, m) : Instruction.Create(Code.Sldt_rm16, Reg(16)),
                    _ => _random.Chance(50) ? Instruction.Create(Code.Smsw_rm16, m) : Instruction.Create(Code.Smsw_rm16, Reg(16)),
                };
            }
            case 5:
            {
                // Privileged: #GP(0) at ring 3; at ring 0 the harmless ones run.
                var harmless = new List<Instruction>
                {
                    Instruction.Create(Code.Cli), Instruction.Create(Code.Sti), Instruction.Create(Code.Clts), Instruction.Create(Code.Wbinvd),
                    Instruction.Create(Code.Invlpg_m, Memory(bits, setup, avoid)), Instruction.Create(Code.Mov_r32_cr, Reg(32), Register.CR0),
                };
                if (mode.Ring == 0) return _random.Pick(harmless);
                harmless.AddRange(new[]
                {
                    Instruction.Create(Code.Hlt), Instruction.Create(Code.In_AL_imm8, Register.AL, (int)_random.Below(256)),
                    Instruction.Create(Code.Out_DX_AL, Register.DX, Register.AL), Instruction.Create(Code.Rdmsr),
                    Instruction.Create(Code.Lgdt_m1632, Memory(bits, setup, avoid)), Instruction.Create(Code.Ltr_rm16, Reg(16)),
                });
                return _random.Pick(harmless);
            }
            case 6:
                return _random.Below(4) switch
                {
                    0 => Instruction.Create(Code.Int_imm8, (int)_random.Below(256)),
                    1 => Instruction.Create(Code.Int3),
                    2 => Instruction.Create(Code.Into),
                    _ => Instruction.Create(Code.Ud2),
                };
            case 7:
            {
                // BOUND: the bounds stored in the scratch page first; an index outside raises #BR.
                int size = WideSize();
                var m = Memory(bits, setup, avoid);
                var upper = Displaced(m, size / 8);
                var code = size == 32 ? Code.Mov_rm32_imm32 : Code.Mov_rm16_imm16;
                setup.Add(Instruction.Create(code, m, Imm(size)));
                setup.Add(Instruction.Create(code, upper, Imm(size)));
                return Instruction.Create(size == 32 ? Code.Bound_r32_m3232 : Code.Bound_r16_m1616, Reg(size, avoid), m);
            }
            default:
                // POPF at ring 0 may change IF and IOPL as well (never TF).
                if (mode.Ring != 0) goto case 6;
                int wide = WideSize();
                var r0 = Reg(wide);
                setup.Add(MovImm(r0, _random.Next32() & 0x3ED5));
                setup.Add(Instruction.Create(C($"Push_r{wide}"), r0));
                return Instruction.Create(wide == 32 ? Code.Popfd : Code.Popfw);
        }
    }

    /// <summary>ENTER (nesting levels 0-4, frame pointers read from the stack page) and LEAVE, with EBP pointing into the stack page.</summary>
    private Instruction FrameOp(DiffMode mode, List<Instruction> setup, HashSet<Register> avoid)
    {
        // All of EBP: a MOV SS may have made the stack 32-bit under 16-bit code (LEAVE then uses EBP).
        setup.Add(MovImm(Register.EBP, DiffLayout.StackStart + 0x10 + _random.Below(0x30)));
        bool wide = _random.Chance(mode.Bits == 32 ? 80u : 20u);
        if (_random.Chance(50)) return Instruction.Create(wide ? Code.Leaved : Code.Leavew);
        return Instruction.Create(wide ? Code.Enterd_imm16_imm8 : Code.Enterw_imm16_imm8, (int)_random.Below(0x20), (int)_random.Below(5));
    }

    /// <summary>The memory operand <paramref name="bytes"/> further on (for the second half of a far pointer or a BOUND pair).</summary>
    private static MemoryOperand Displaced(MemoryOperand m, int bytes) =>
        new(m.Base, m.Index, m.Scale, m.Displacement + bytes, m.DisplSize == 0 ? 1 : m.DisplSize, false, m.SegmentPrefix);

    private Instruction StackOp(int bits, List<Instruction> setup)
    {
        int size = WideSize();
        var avoid = new HashSet<Register>();
        switch (_random.Below(9))
        {
            case 0: return Instruction.Create(C($"Push_r{size}"), _random.Chance(10) ? (size == 32 ? Register.ESP : Register.SP) : Reg(size));
            case 1: return Instruction.Create(C($"Pop_r{size}"), Reg(size));
            case 2: return Instruction.Create(size == 32 ? Code.Pushd_imm32 : Code.Push_imm16, Imm(size));
            case 3: return Instruction.Create(C($"Push_rm{size}"), Memory(bits, setup, avoid));
            case 4: return Instruction.Create(C($"Pop_rm{size}"), Memory(bits, setup, avoid));
            case 5: return Instruction.Create(size == 32 ? (_random.Chance(50) ? Code.Pushad : Code.Popad) : (_random.Chance(50) ? Code.Pushaw : Code.Popaw));
            case 6: return Instruction.Create(size == 32 ? Code.Pushfd : Code.Pushfw);
            case 7:
            {
                // POPF of a value with only the arithmetic flags and DF: never TF, IF or IOPL.
                var r = Reg(size);
                setup.Add(MovImm(r, _random.Next32() & 0x0CD5));
                setup.Add(Instruction.Create(C($"Push_r{size}"), r));
                return Instruction.Create(size == 32 ? Code.Popfd : Code.Popfw);
            }
            default: return Instruction.Create(size == 32 ? Code.Pushd_imm8 : Code.Pushw_imm8, Imm(8));
        }
    }
}
