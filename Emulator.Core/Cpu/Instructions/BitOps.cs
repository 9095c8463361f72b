using System.Buffers.Binary;
using System.Numerics;
using Iced.Intel;

namespace Emulator.Core.Cpu;

/// <summary>
/// BT BTS BTR BTC BSF BSR BSWAP (SDM Vol. 2).
/// - BTx: CF = the selected bit; the other arithmetic flags (OF, SF, AF, PF undefined; ZF unaffected)
///   are left unchanged. With a register bit offset and a memory operand the offset is a signed
///   bit-string index relative to the operand (SDM "BT": Bit(BitBase, BitOffset)), so the access can
///   be outside the operand; an immediate offset or a register operand takes the offset modulo the width.
/// - BSF/BSR: source 0 sets ZF and leaves the destination unchanged (what Intel parts do); otherwise
///   ZF = 0 and the destination gets the bit index. CF, OF, SF, AF, PF (undefined) are unchanged.
/// - TZCNT/LZCNT encodings execute as BSF/BSR (no BMI1/LZCNT in CPUID), as older CPUs do.
/// - BSWAP r16 (undefined in the SDM) clears the 16-bit register, as Intel parts do (the 32-bit swap
///   of the zero-extended value leaves zero in the low half).
/// </summary>
public sealed unsafe partial class Cpu
{
    static partial void RegisterBitOps()
    {
        Bind(Mnemonic.Bt, &Bt);
        Bind(Mnemonic.Bts, &Bts);
        Bind(Mnemonic.Btr, &Btr);
        Bind(Mnemonic.Btc, &Btc);
        Bind(Mnemonic.Bsf, &Bsf);
        Bind(Mnemonic.Bsr, &Bsr);
        // CPUID reports neither BMI1 nor LZCNT, so F3 0F BC / F3 0F BD are BSF / BSR with an ignored
        // REP prefix, as on every CPU without them (SDM Vol. 2B, TZCNT and LZCNT). gcc emits TZCNT for
        // __builtin_ctz, relying on exactly this.
        Bind(Mnemonic.Tzcnt, &Bsf);
        Bind(Mnemonic.Lzcnt, &Bsr);
        Bind(Mnemonic.Bswap, &Bswap);
    }

    private const int BitTest = 0, BitSet = 1, BitReset = 2, BitComplement = 3;

    private static void Bt(Cpu c, ref Instruction i) => BitTestOp(c, ref i, BitTest);
    private static void Bts(Cpu c, ref Instruction i) => BitTestOp(c, ref i, BitSet);
    private static void Btr(Cpu c, ref Instruction i) => BitTestOp(c, ref i, BitReset);
    private static void Btc(Cpu c, ref Instruction i) => BitTestOp(c, ref i, BitComplement);

    private static void BitTestOp(Cpu c, ref Instruction i, int op)
    {
        if (!c.CheckLock(ref i, op != BitTest)) return;
        int size = DestSize(ref i);
        int bits = size * 8;
        uint offset = c.ReadOperand(ref i, 1);
        bool memory = i.Op0Kind == OpKind.Memory;
        int seg = 0, bit;
        uint ea = 0, value;
        if (!memory)
        {
            bit = (int)(offset & (uint)(bits - 1));
            value = c.ReadReg(i.Op0Register);
        }
        else
        {
            ea = c.EffectiveAddress(ref i);
            if (i.Op1Kind == OpKind.Register)
            {
                // Signed bit-string index: move by whole operands (floor division), then the bit within.
                long index = size == 2 ? (short)offset : (int)offset;
                ea += (uint)((index >> (size == 2 ? 4 : 5)) * size);
                if (AddressSize16(ref i)) ea &= 0xFFFF;
                bit = (int)(index & (bits - 1));
            }
            else bit = (int)(offset & (uint)(bits - 1));
            seg = MemorySeg(ref i);
            value = c.ReadMem(seg, ea, size);
            if (c.Faulted) return;
        }
        uint mask = 1u << bit;
        bool old = (value & mask) != 0;
        if (op != BitTest)
        {
            uint nv = op == BitSet ? value | mask : op == BitReset ? value & ~mask : value ^ mask;
            if (memory)
            {
                c.WriteMem(seg, ea, size, nv);
                if (c.Faulted) return;
            }
            else c.WriteReg(i.Op0Register, nv);
        }
        c.SetFlag(FlagCF, old);
    }

    private static void Bsf(Cpu c, ref Instruction i)
    {
        if (!c.CheckLock(ref i, false)) return;
        uint src = c.ReadOperand(ref i, 1);
        if (c.Faulted) return;
        if (src == 0) { c.SetFlag(FlagZF, true); return; }
        c.WriteReg(i.Op0Register, (uint)BitOperations.TrailingZeroCount(src));
        c.SetFlag(FlagZF, false);
    }

    private static void Bsr(Cpu c, ref Instruction i)
    {
        if (!c.CheckLock(ref i, false)) return;
        uint src = c.ReadOperand(ref i, 1); // zero-extended, so the index is right for 16-bit too
        if (c.Faulted) return;
        if (src == 0) { c.SetFlag(FlagZF, true); return; }
        c.WriteReg(i.Op0Register, (uint)(31 - BitOperations.LeadingZeroCount(src)));
        c.SetFlag(FlagZF, false);
    }

    private static void Bswap(Cpu c, ref Instruction i)
    {
        if (!c.CheckLock(ref i, false)) return;
        Register r = i.Op0Register;
        if (RegSize(r) == 4) c.WriteReg(r, BinaryPrimitives.ReverseEndianness(c.ReadReg(r)));
        else c.WriteReg(r, 0);
    }
}
