using Iced.Intel;

namespace Emulator.Core.Cpu;

/// <summary>
/// There is no x87 FPU (CPUID.01H:EDX.FPU = 0). Every x87 escape instruction (opcodes D8-DF,
/// including the WAIT-prefixed forms Iced decodes as one instruction, e.g. FSTSW AX = 9B DF E0)
/// raises #NM when CR0.EM or CR0.TS is set (SDM Vol. 3 §2.5, Table 2-2), so an OS can emulate
/// the FPU. With EM = TS = 0 the instruction does nothing: no register or memory destination is
/// written and no fault is raised. That is what a 386/486SX without a coprocessor does, and what
/// FPU probes rely on: Linux's "fninit; fnstsw; fnstcw" into memory pre-set to 0xFFFF sees the
/// words unchanged and concludes there is no FPU (a #UD here would crash such probes).
/// </summary>
public sealed unsafe partial class Cpu
{
    static partial void RegisterFpuAbsent()
    {
        foreach (Code code in Enum.GetValues<Code>())
            if (IsX87Escape(code)) Bind(code, &FpuAbsentEscape);
    }

    /// <summary>True for a legacy one-byte-map opcode D8-DF (the x87 escapes), with or without a folded WAIT (9B).</summary>
    internal static bool IsX87Escape(Code code)
    {
        if (code == Code.INVALID) return false;
        OpCodeInfo info = code.ToOpCode();
        if (info.Encoding != EncodingKind.Legacy || info.Table != OpCodeTableKind.Normal) return false;
        // Register forms carry their ModRM byte in OpCode (e.g. FNINIT = DB E3, length 2).
        uint first = info.OpCodeLength == 2 ? info.OpCode >> 8 : info.OpCode;
        return info.OpCodeLength <= 2 && first >= 0xD8 && first <= 0xDF;
    }

    private static void FpuAbsentEscape(Cpu c, ref Instruction i)
    {
        if ((c.Cr0 & (Cr0EM | Cr0TS)) != 0) c.RaiseFault(Vector.NM);
    }
}
