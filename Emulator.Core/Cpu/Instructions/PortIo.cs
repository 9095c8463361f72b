using Iced.Intel;

namespace Emulator.Core.Cpu;

/// <summary>IN and OUT, imm8 and DX port forms, 8/16/32-bit (SDM Vol. 2; I/O privilege per Vol. 1 §19.5).</summary>
public sealed unsafe partial class Cpu
{
    static partial void RegisterPortIo()
    {
        Bind(Code.In_AL_imm8, &In); Bind(Code.In_AX_imm8, &In); Bind(Code.In_EAX_imm8, &In);
        Bind(Code.In_AL_DX, &In); Bind(Code.In_AX_DX, &In); Bind(Code.In_EAX_DX, &In);
        Bind(Code.Out_imm8_AL, &Out); Bind(Code.Out_imm8_AX, &Out); Bind(Code.Out_imm8_EAX, &Out);
        Bind(Code.Out_DX_AL, &Out); Bind(Code.Out_DX_AX, &Out); Bind(Code.Out_DX_EAX, &Out);
    }

    /// <summary>The port of an IN/OUT operand: an 8-bit immediate or DX.</summary>
    private ushort PortOperand(ref Instruction i, int n) =>
        i.GetOpKind(n) == OpKind.Immediate8 ? i.Immediate8 : (ushort)Regs[EDX];

    private static void In(Cpu c, ref Instruction i)
    {
        ushort port = c.PortOperand(ref i, 1);
        int size = RegSize(i.Op0Register);
        if (!c.CheckIoPermission(port, size)) return;
        c.WriteReg(i.Op0Register, c.Ports.Read(port, size));
        c.LeaveFastLoop = true; // a device may have raised or lowered an interrupt line
    }

    private static void Out(Cpu c, ref Instruction i)
    {
        ushort port = c.PortOperand(ref i, 0);
        int size = RegSize(i.Op1Register);
        if (!c.CheckIoPermission(port, size)) return;
        c.Ports.Write(port, size, c.ReadReg(i.Op1Register));
        c.LeaveFastLoop = true; // a device may have raised or lowered an interrupt line
    }
}
