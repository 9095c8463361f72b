using Iced.Intel;

namespace Emulator.Core.Cpu;

/// <summary>LDS, LES, LFS, LGS, LSS: load a far pointer into a segment register and a general register (SDM Vol. 2 LDS/LES/...).</summary>
public sealed unsafe partial class Cpu
{
    static partial void RegisterSegmentInstructions()
    {
        Bind(Code.Lds_r16_m1616, &Lds);
        Bind(Code.Lds_r32_m1632, &Lds);
        Bind(Code.Les_r16_m1616, &Les);
        Bind(Code.Les_r32_m1632, &Les);
        Bind(Code.Lfs_r16_m1616, &Lfs);
        Bind(Code.Lfs_r32_m1632, &Lfs);
        Bind(Code.Lgs_r16_m1616, &Lgs);
        Bind(Code.Lgs_r32_m1632, &Lgs);
        Bind(Code.Lss_r16_m1616, &Lss);
        Bind(Code.Lss_r32_m1632, &Lss);
    }

    private static void Lds(Cpu c, ref Instruction i) => LoadFarPointer(c, ref i, DS);
    private static void Les(Cpu c, ref Instruction i) => LoadFarPointer(c, ref i, ES);
    private static void Lfs(Cpu c, ref Instruction i) => LoadFarPointer(c, ref i, FS);
    private static void Lgs(Cpu c, ref Instruction i) => LoadFarPointer(c, ref i, GS);
    // Unlike MOV SS / POP SS, LSS does not inhibit interrupts: it loads SS:ESP in one instruction.
    private static void Lss(Cpu c, ref Instruction i) => LoadFarPointer(c, ref i, SS);

    /// <summary>
    /// Reads offset (operand size) then selector (16 bits) from memory, loads the segment register
    /// with its protected-mode checks, and only then writes the general register, so a fault leaves both unchanged.
    /// A register source (mod = 11) is #UD.
    /// </summary>
    private static void LoadFarPointer(Cpu c, ref Instruction i, int targetSeg)
    {
        if (i.Op1Kind != OpKind.Memory) { c.RaiseUD(); return; }
        int size = RegSize(i.Op0Register);
        int seg = MemorySeg(ref i);
        uint ea = c.EffectiveAddress(ref i);
        uint offset = c.ReadMem(seg, ea, size);
        if (c.Faulted) return;
        uint selEa = AddressSize16(ref i) ? (ea + (uint)size) & 0xFFFF : ea + (uint)size;
        ushort selector = (ushort)c.ReadMem(seg, selEa, 2);
        if (c.Faulted) return;
        if (!c.LoadSegment(targetSeg, selector)) return;
        c.WriteReg(i.Op0Register, offset);
    }
}
