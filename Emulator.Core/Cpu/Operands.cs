using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using Iced.Intel;

namespace Emulator.Core.Cpu;

/// <summary>Register and operand access for instruction handlers.</summary>
public sealed partial class Cpu
{
    // Per Iced Register value: kind (0 none, 1 gpr8 low, 2 gpr8 high, 3 gpr16, 4 gpr32, 5 segment) and index.
    private static readonly byte[] RegKindTable = BuildRegTables(out RegIndexTable);
    private static readonly byte[] RegIndexTable;
    private const byte RkNone = 0, Rk8Lo = 1, Rk8Hi = 2, Rk16 = 3, Rk32 = 4, RkSeg = 5;

    private static byte[] BuildRegTables(out byte[] index)
    {
        var kind = new byte[Enum.GetValues<Register>().Length];
        index = new byte[Enum.GetValues<Register>().Length];
        for (int r = 0; r < kind.Length; r++)
        {
            var reg = (Register)r;
            if (reg >= Register.AL && reg <= Register.BL) { kind[r] = Rk8Lo; index[r] = (byte)(reg - Register.AL); }
            else if (reg >= Register.AH && reg <= Register.BH) { kind[r] = Rk8Hi; index[r] = (byte)(reg - Register.AH); }
            else if (reg >= Register.AX && reg <= Register.DI) { kind[r] = Rk16; index[r] = (byte)(reg - Register.AX); }
            else if (reg >= Register.EAX && reg <= Register.EDI) { kind[r] = Rk32; index[r] = (byte)(reg - Register.EAX); }
            else if (reg >= Register.ES && reg <= Register.GS) { kind[r] = RkSeg; index[r] = (byte)(reg - Register.ES); }
        }
        return kind;
    }

    /// <summary>Reads a general-purpose or segment register (segment: the selector).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public uint ReadReg(Register r)
    {
        int i = RegIndexTable[(int)r];
        switch (RegKindTable[(int)r])
        {
            case Rk32: return Regs[i];
            case Rk16: return Regs[i] & 0xFFFF;
            case Rk8Lo: return Regs[i] & 0xFF;
            case Rk8Hi: return (Regs[i] >> 8) & 0xFF;
            case RkSeg: return Segs[i].Selector;
            default: throw new InvalidOperationException($"ReadReg: unsupported register {r}");
        }
    }

    /// <summary>Writes a general-purpose register, preserving the untouched parts (not segment registers: use LoadSegment).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void WriteReg(Register r, uint value)
    {
        int i = RegIndexTable[(int)r];
        switch (RegKindTable[(int)r])
        {
            case Rk32: Regs[i] = value; break;
            case Rk16: Regs[i] = (Regs[i] & 0xFFFF0000u) | (value & 0xFFFF); break;
            case Rk8Lo: Regs[i] = (Regs[i] & 0xFFFFFF00u) | (value & 0xFF); break;
            case Rk8Hi: Regs[i] = (Regs[i] & 0xFFFF00FFu) | ((value & 0xFF) << 8); break;
            default: throw new InvalidOperationException($"WriteReg: unsupported register {r}");
        }
    }

    /// <summary>Size in bytes of a register operand (1, 2, 4; segment registers are 2).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static int RegSize(Register r) => RegKindTable[(int)r] switch { Rk32 => 4, Rk16 => 2, RkSeg => 2, Rk8Lo => 1, Rk8Hi => 1, _ => r.GetSize() };

    /// <summary>Segment register index (ES=0..GS=5) of an Iced segment register.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static int SegIndex(Register r) => r - Register.ES;

    /// <summary>Size in bytes of operand <paramref name="n"/> (register, memory or immediate).</summary>
    public static int OperandSize(ref Instruction i, int n)
    {
        switch (i.GetOpKind(n))
        {
            case OpKind.Register: return RegSize(i.GetOpRegister(n));
            case OpKind.Immediate8: case OpKind.Immediate8_2nd: return 1;
            case OpKind.Immediate16: case OpKind.Immediate8to16: return 2;
            case OpKind.Immediate32: case OpKind.Immediate8to32: return 4;
            default: return i.MemorySize.GetSize();
        }
    }

    /// <summary>The operand size of the instruction as decided by operand 0 (the usual destination).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static int DestSize(ref Instruction i) =>
        i.Op0Kind == OpKind.Register ? RegSize(i.Op0Register) : i.MemorySize.GetSize();

    /// <summary>True when the memory operand uses 16-bit addressing.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static bool AddressSize16(ref Instruction i)
    {
        var b = i.MemoryBase;
        if (b != Register.None) return b.IsGPR16();
        var x = i.MemoryIndex;
        if (x != Register.None) return x.IsGPR16();
        return i.MemoryDisplSize == 2;
    }

    /// <summary>Effective address (offset within the segment) of the instruction's memory operand.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public uint EffectiveAddress(ref Instruction i)
    {
        // 32-bit addressing (base and index among EAX..EDI, or absent): the registers by index.
        var b = i.MemoryBase;
        var x = i.MemoryIndex;
        uint bi = (uint)(b - Register.EAX), xi = (uint)(x - Register.EAX);
        if ((bi < 8 || b == Register.None) && (xi < 8 || x == Register.None) && (b != Register.None || x != Register.None))
        {
            ref uint regs = ref MemoryMarshal.GetArrayDataReference(Regs);
            uint ea32 = i.MemoryDisplacement32;
            if (b != Register.None) ea32 += Unsafe.Add(ref regs, (int)bi);
            if (x != Register.None) ea32 += Unsafe.Add(ref regs, (int)xi) * (uint)i.MemoryIndexScale;
            return ea32;
        }
        return EffectiveAddressGeneral(ref i);
    }

    /// <summary>Effective address with 16-bit registers or a bare displacement (16- or 32-bit).</summary>
    private uint EffectiveAddressGeneral(ref Instruction i)
    {
        uint ea = i.MemoryDisplacement32;
        var b = i.MemoryBase;
        var x = i.MemoryIndex;
        if (b != Register.None) ea += ReadReg(b);
        if (x != Register.None) ea += ReadReg(x) * (uint)i.MemoryIndexScale;
        if (AddressSize16(ref i)) ea &= 0xFFFF;
        return ea;
    }

    /// <summary>Segment register index used by the memory operand (after overrides and SS defaults).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static int MemorySeg(ref Instruction i) => i.MemorySegment - Register.ES;

    /// <summary>Reads operand <paramref name="n"/> (register, memory or immediate), zero-extended.</summary>
    public uint ReadOperand(ref Instruction i, int n)
    {
        switch (i.GetOpKind(n))
        {
            case OpKind.Register: return ReadReg(i.GetOpRegister(n));
            case OpKind.Memory: return ReadMem(MemorySeg(ref i), EffectiveAddress(ref i), i.MemorySize.GetSize());
            case OpKind.Immediate8: return i.Immediate8;
            case OpKind.Immediate8_2nd: return i.Immediate8_2nd;
            case OpKind.Immediate16: return i.Immediate16;
            case OpKind.Immediate32: return i.Immediate32;
            case OpKind.Immediate8to16: return (ushort)i.Immediate8to16;
            case OpKind.Immediate8to32: return (uint)i.Immediate8to32;
            default: throw new InvalidOperationException($"ReadOperand: unsupported operand kind {i.GetOpKind(n)} in {i.Code}");
        }
    }

    /// <summary>Writes operand <paramref name="n"/> (register or memory) with <paramref name="size"/> bytes.</summary>
    public void WriteOperand(ref Instruction i, int n, uint value)
    {
        switch (i.GetOpKind(n))
        {
            case OpKind.Register: WriteReg(i.GetOpRegister(n), value); break;
            case OpKind.Memory: WriteMem(MemorySeg(ref i), EffectiveAddress(ref i), i.MemorySize.GetSize(), value); break;
            default: throw new InvalidOperationException($"WriteOperand: unsupported operand kind {i.GetOpKind(n)} in {i.Code}");
        }
    }

    // ---- Stack ------------------------------------------------------------------------------

    /// <summary>The stack pointer as the stack-size attribute sees it (SP or ESP).</summary>
    public uint StackPointer => Stack32 ? Regs[ESP] : Regs[ESP] & 0xFFFF;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private void SetStackPointer(uint value)
    {
        if (Stack32) Regs[ESP] = value;
        else Regs[ESP] = (Regs[ESP] & 0xFFFF0000u) | (value & 0xFFFF);
    }

    /// <summary>Pushes <paramref name="size"/> (2 or 4) bytes; ESP changes only if the write succeeds.</summary>
    public void Push(uint value, int size)
    {
        uint sp = (StackPointer - (uint)size) & (Stack32 ? 0xFFFFFFFFu : 0xFFFFu);
        WriteMem(SS, sp, size, value);
        if (!Faulted) SetStackPointer(sp);
    }

    /// <summary>Pops <paramref name="size"/> (2 or 4) bytes; ESP changes only if the read succeeds.</summary>
    public uint Pop(int size)
    {
        uint sp = StackPointer;
        uint v = ReadMem(SS, sp, size);
        if (!Faulted) SetStackPointer(sp + (uint)size);
        return v;
    }

    /// <summary>Reads the stack at SP + <paramref name="offset"/> without popping.</summary>
    public uint PeekStack(uint offset, int size)
    {
        uint sp = (StackPointer + offset) & (Stack32 ? 0xFFFFFFFFu : 0xFFFFu);
        return ReadMem(SS, sp, size);
    }

    /// <summary>Adds <paramref name="delta"/> to SP/ESP per the stack-size attribute.</summary>
    public void AdjustStackPointer(int delta) => SetStackPointer(StackPointer + (uint)delta);
}
