using Iced.Intel;

namespace Emulator.Core.Fuzzing.Differential;

/// <summary>
/// The arithmetic flags the Intel SDM (Vol. 2, each instruction's "Flags Affected") leaves
/// undefined after an instruction: a differential comparison masks them, since real CPUs, QEMU and
/// this interpreter may each leave something different there. Counts are the values before the
/// instruction ran (CL or the immediate).
/// <list type="bullet">
/// <item>AND, OR, XOR, TEST: AF undefined (Vol. 2A AND, Vol. 2B OR/XOR/TEST).</item>
/// <item>SHL/SAL/SHR/SAR (Vol. 2B SAL/SAR/SHL/SHR): count (masked to 5 bits) 0 leaves every flag
/// alone; otherwise AF undefined, OF undefined unless the count is 1, and CF undefined for SHL/SHR
/// when the count is at least the operand size.</item>
/// <item>ROL/ROR/RCL/RCR (Vol. 2B RCL/RCR/ROL/ROR): OF undefined when the masked count is not 1
/// (and not 0, which affects nothing); SF, ZF, AF, PF unaffected.</item>
/// <item>SHLD/SHRD (Vol. 2B): count 0 affects nothing; otherwise AF undefined and OF undefined unless the count is 1.</item>
/// <item>MUL, IMUL (Vol. 2A/2B): SF, ZF, AF, PF undefined.</item>
/// <item>DIV, IDIV (Vol. 2A): CF, OF, SF, ZF, AF, PF undefined.</item>
/// <item>BT, BTS, BTR, BTC (Vol. 2A): OF, SF, AF, PF undefined.</item>
/// <item>BSF, BSR (Vol. 2A): CF, OF, SF, AF, PF undefined (and the destination when the source is 0).</item>
/// <item>DAA, DAS (Vol. 2A): OF undefined. AAA, AAS: OF, SF, ZF, PF undefined. AAM, AAD: OF, AF, CF undefined.</item>
/// </list>
/// </summary>
public static class UndefinedFlags
{
    public const uint CF = 1u << 0, PF = 1u << 2, AF = 1u << 4, ZF = 1u << 6, SF = 1u << 7, OF = 1u << 11;
    public const uint Arithmetic = CF | PF | AF | ZF | SF | OF;

    /// <param name="insn">The instruction that ran.</param>
    /// <param name="cl">ECX's low byte before it ran (for counts in CL).</param>
    public static uint After(in Instruction insn, byte cl)
    {
        switch (insn.Mnemonic)
        {
            case Mnemonic.And or Mnemonic.Or or Mnemonic.Xor or Mnemonic.Test:
                return AF;
            case Mnemonic.Shl or Mnemonic.Sal or Mnemonic.Shr or Mnemonic.Sar:
            {
                int count = Count(insn, cl);
                if (count == 0) return 0;
                uint mask = AF | (count == 1 ? 0 : OF);
                if (insn.Mnemonic != Mnemonic.Sar && count >= OperandBits(insn)) mask |= CF;
                return mask;
            }
            case Mnemonic.Rol or Mnemonic.Ror or Mnemonic.Rcl or Mnemonic.Rcr:
            {
                int count = Count(insn, cl);
                return count is 0 or 1 ? 0 : OF;
            }
            case Mnemonic.Shld or Mnemonic.Shrd:
            {
                int count = Count(insn, cl);
                return count == 0 ? 0 : AF | (count == 1 ? 0 : OF);
            }
            case Mnemonic.Mul or Mnemonic.Imul:
                return SF | ZF | AF | PF;
            case Mnemonic.Div or Mnemonic.Idiv:
                return Arithmetic;
            case Mnemonic.Bt or Mnemonic.Bts or Mnemonic.Btr or Mnemonic.Btc:
                return OF | SF | AF | PF;
            case Mnemonic.Bsf or Mnemonic.Bsr:
                return CF | OF | SF | AF | PF;
            case Mnemonic.Daa or Mnemonic.Das:
                return OF;
            case Mnemonic.Aaa or Mnemonic.Aas:
                return OF | SF | ZF | PF;
            case Mnemonic.Aam or Mnemonic.Aad:
                return OF | AF | CF;
            default:
                return 0;
        }
    }

    /// <summary>True when the instruction's destination register is undefined after it ran: BSF/BSR of a zero source (ZF set).</summary>
    public static bool DestinationUndefined(in Instruction insn, uint flagsAfter) =>
        insn.Mnemonic is Mnemonic.Bsf or Mnemonic.Bsr && (flagsAfter & ZF) != 0;

    /// <summary>
    /// PUSH of a segment register with a 32-bit operand size: the SDM (Vol. 2B PUSH) lets the CPU
    /// push the selector zero-extended or write only its 16 bits, leaving the upper two bytes of the
    /// stack slot as they were (recent Intel CPUs). True when that slot's upper half is implementation-specific.
    /// </summary>
    public static bool PushedSelectorUpperHalfUndefined(in Instruction insn) => insn.Code is
        Code.Pushd_ES or Code.Pushd_CS or Code.Pushd_SS or Code.Pushd_DS or Code.Pushd_FS or Code.Pushd_GS;

    /// <summary>The shift or rotate count, masked to 5 bits as every IA-32 processor since the 286 does.</summary>
    private static int Count(in Instruction insn, byte cl)
    {
        int last = insn.OpCount - 1;
        int raw = insn.GetOpKind(last) == OpKind.Register ? cl : (int)insn.GetImmediate(last);
        return raw & 0x1F;
    }

    private static int OperandBits(in Instruction insn) => insn.Op0Kind == OpKind.Register
        ? insn.Op0Register.GetSize() * 8
        : insn.MemorySize.GetSize() * 8;
}
