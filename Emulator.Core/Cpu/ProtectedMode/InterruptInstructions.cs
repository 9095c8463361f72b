using Iced.Intel;

namespace Emulator.Core.Cpu;

/// <summary>
/// INT n, INT3, INTO, INT1 and IRET/IRETD (SDM Vol. 2 "INT n/INTO/INT3/INT1", "IRET/IRETD").
/// Nested-task returns (NT=1) and returns to virtual-8086 mode are not supported: logged #GP(0).
/// </summary>
public sealed unsafe partial class Cpu
{
    static partial void RegisterInterruptInstructions()
    {
        Bind(Mnemonic.Int, &IntN);
        Bind(Mnemonic.Int3, &Int3);
        Bind(Mnemonic.Into, &Into);
        Bind(Mnemonic.Int1, &Int1);
        Bind(Mnemonic.Iret, &Iret);
        Bind(Mnemonic.Iretd, &Iret);
    }

    // The pushed EIP is the next instruction's (EIP was advanced before the handler ran); a fault during
    // delivery rolls EIP back to the INT instruction itself.
    private static void IntN(Cpu c, ref Instruction i)
    {
        if (c.V86Mode && c.Iopl < 3) { c.RaiseGP(0); return; }
        c.DeliverEvent(i.Immediate8, EventKind.SoftwareInt, false, 0);
    }

    private static void Int3(Cpu c, ref Instruction i) => c.DeliverEvent(Vector.BP, EventKind.SoftwareException, false, 0);

    private static void Into(Cpu c, ref Instruction i)
    {
        if (c.GetOF()) c.DeliverEvent(Vector.OF, EventKind.SoftwareException, false, 0);
    }

    /// <summary>INT1 (ICEBP) delivers #DB like a hardware debug trap: no gate DPL check, EXT set.</summary>
    private static void Int1(Cpu c, ref Instruction i) => c.DeliverEvent(Vector.DB, EventKind.DebugTrap, false, 0);

    private static void Iret(Cpu c, ref Instruction i) => c.InterruptReturn(i.Code == Code.Iretw ? 2 : 4);

    /// <summary>EFLAGS bits IRETD may load in real mode (VM, VIF, VIP are kept: SDM "IRET" real-address mode).</summary>
    private const uint IretRealMask32 = 0x257FD5;

    internal void InterruptReturn(int size)
    {
        if (!ProtectedMode)
        {
            uint eip = PeekStack(0, size);
            if (Faulted) return;
            ushort cs = (ushort)PeekStack((uint)size, 2);
            if (Faulted) return;
            uint flags = PeekStack((uint)(2 * size), size);
            if (Faulted) return;
            if (size == 2) eip &= 0xFFFF;
            if (eip > Segs[CS].Limit) { RaiseGP(0); return; }
            Segs[CS].LoadReal(cs);
            Eip = eip;
            AdjustStackPointer(3 * size);
            uint old = GetEflags();
            SetEflags(size == 4
                ? (flags & IretRealMask32) | (old & (FlagVM | FlagVIF | FlagVIP))
                : (old & 0xFFFF0000u) | (flags & 0xFFFF));
            Halted = false;
            return;
        }

        if (V86Mode)
        {
            LogUnsupportedOnce("IRET in virtual-8086 mode");
            RaiseGP(0);
            return;
        }
        if (FlagSet(FlagNT))
        {
            LogUnsupportedOnce("IRET with NT=1 (nested task return; hardware task switches are not implemented)");
            RaiseGP(0);
            return;
        }

        uint newEip = PeekStack(0, size);
        if (Faulted) return;
        ushort selector = (ushort)PeekStack((uint)size, 2);
        if (Faulted) return;
        uint newFlags = PeekStack((uint)(2 * size), size);
        if (Faulted) return;
        if (size == 2) newEip &= 0xFFFF;
        if (size == 4 && (newFlags & FlagVM) != 0 && Cpl == 0)
        {
            LogUnsupportedOnce("IRET to virtual-8086 mode");
            RaiseGP(0);
            return;
        }

        if (!CheckReturnCodeSegment(selector, out ulong desc, out uint address)) return;
        int rpl = selector & 3;
        bool outer = rpl > Cpl;
        uint newEsp = 0;
        ushort newSs = 0;
        ulong ssDesc = 0;
        if (outer)
        {
            newEsp = PeekStack((uint)(3 * size), size);
            if (Faulted) return;
            newSs = (ushort)PeekStack((uint)(4 * size), 2);
            if (Faulted) return;
            if (!CheckOuterStackSegment(newSs, rpl, out ssDesc)) return;
        }
        if (newEip > DescriptorLimit(desc)) { RaiseGP(0); return; }
        if (!SetAccessedBit(address, ref desc)) return;

        // EFLAGS: IF only when CPL <= IOPL, IOPL/VIF/VIP only at CPL 0 (the CPL before the return).
        uint changeable = FlagCF | FlagPF | FlagAF | FlagZF | FlagSF | FlagTF | FlagDF | FlagOF | FlagNT;
        if (size == 4) changeable |= FlagRF | FlagAC | FlagID;
        if (Cpl <= Iopl) changeable |= FlagIF;
        if (Cpl == 0)
        {
            changeable |= FlagIOPL;
            if (size == 4) changeable |= FlagVIF | FlagVIP;
        }
        uint flags32 = (GetEflags() & ~changeable) | (newFlags & changeable);

        if (!outer)
        {
            LoadCodeSegment(selector, desc, Cpl);
            Eip = newEip;
            AdjustStackPointer(3 * size);
            SetEflags(flags32);
        }
        else
        {
            LoadCodeSegment(selector, desc, rpl);
            Eip = newEip;
            SetEflags(flags32);
            Segs[SS].LoadDescriptor(newSs, ssDesc);
            if (size == 2) newEsp &= 0xFFFF;
            SetStackPointer(newEsp);
            NullInaccessibleDataSegments();
        }
        Halted = false;
    }
}
