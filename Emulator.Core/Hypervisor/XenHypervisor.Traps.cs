using Emulator.Core.Cpu;
using static Emulator.Core.Hypervisor.XenAbi;
using CpuCore = Emulator.Core.Cpu.Cpu;

namespace Emulator.Core.Hypervisor;

/// <summary>
/// Exception reflection and the guest's way back (XEN-ABI.md §3 "Exception and event frame",
/// "iret hypercall"): the trap table, bounce frames on the ring-1 stack (the stack_switch stack
/// when the event came from ring 3), the iret hypercall and the event/failsafe callbacks.
/// </summary>
public sealed partial class XenHypervisor
{
    private readonly ushort[] _trapCs = new ushort[256];
    private readonly uint[] _trapAddress = new uint[256];
    private readonly byte[] _trapFlags = new byte[256];
    private ushort _kernelSs;
    private uint _kernelSp;
    private ushort _eventCs, _failsafeCs;
    private uint _eventEip, _failsafeEip;
    private string _bounceFailure = "";

    /// <summary>Selectors the guest hands the hypervisor get their RPL raised to 1: nothing can enter ring 0.</summary>
    private static ushort GuestSelector(uint sel) => (ushort)((sel & 3) == 0 ? (sel | 1) : sel);

    private int SetTrapTableOp(uint table)
    {
        if (table == 0)
        {
            Array.Clear(_trapCs); Array.Clear(_trapAddress); Array.Clear(_trapFlags);
            return 0;
        }
        Span<byte> e = stackalloc byte[8];
        for (uint i = 0; i < 1024; i++)
        {
            if (!ReadGuest(table + i * 8, e)) return -EFAULT;
            uint address = BitConverter.ToUInt32(e[4..]);
            if (address == 0) break;
            byte vector = e[0];
            _trapFlags[vector] = e[1];
            _trapCs[vector] = GuestSelector(BitConverter.ToUInt16(e[2..]));
            _trapAddress[vector] = address;
        }
        return 0;
    }

    private int StackSwitchOp(uint ss, uint esp)
    {
        _kernelSs = GuestSelector(ss & 0xFFFF);
        _kernelSp = esp;
        return 0;
    }

    private int SetCallbacksOp(uint eventCs, uint eventEip, uint failsafeCs, uint failsafeEip)
    {
        _eventCs = GuestSelector(eventCs & 0xFFFF);
        _eventEip = eventEip;
        _failsafeCs = GuestSelector(failsafeCs & 0xFFFF);
        _failsafeEip = failsafeEip;
        return 0;
    }

    /// <summary>callback_op register (0) / unregister (1) for the event and failsafe callbacks.</summary>
    private int CallbackOpCall(uint cmd, uint arg)
    {
        if (cmd > 1) return -ENOSYS;
        Span<byte> b = stackalloc byte[12];
        if (!ReadGuest(arg, cmd == 0 ? b : b[..4])) return -EFAULT;
        ushort type = BitConverter.ToUInt16(b);
        ushort cs = cmd == 0 ? GuestSelector(BitConverter.ToUInt32(b[4..]) & 0xFFFF) : (ushort)0;
        uint eip = cmd == 0 ? BitConverter.ToUInt32(b[8..]) : 0;
        switch (type)
        {
            case 0: _eventCs = cs; _eventEip = eip; return 0;
            case 1: _failsafeCs = cs; _failsafeEip = eip; return 0;
            case 4: return 0; // NMI callback: accepted, no NMIs are ever sent
            default: return -EINVAL;
        }
    }

    /// <summary>
    /// INT n / INT3 / INTO from the guest: allowed by the trap table entry's DPL, else #GP(vector*8+2)
    /// as Xen gives. Vectors 3 and 4 are DPL-3 gates in Xen's own IDT, so #BP and #OF reach the
    /// guest's handler from any ring whatever DPL its trap table gave them.
    /// </summary>
    private void SoftwareInterrupt(byte vector)
    {
        int dpl = vector is Vector.BP or Vector.OF ? 3 : _trapFlags[vector] & 3;
        if (_trapAddress[vector] == 0 || dpl < _cpu.Cpl)
        {
            // The faulting EIP is the INT instruction itself, as the hardware #GP would report it.
            _cpu.Eip = _cpu.StartEip;
            ReflectException(Vector.GP, true, (uint)vector * 8 + 2);
            return;
        }
        ReflectException(vector, false, 0);
    }

    /// <summary>Bounces an exception to the guest's handler, or crashes the domain when it has none.</summary>
    private void ReflectException(byte vector, bool hasError, uint errorCode)
    {
        if (_trapAddress[vector] == 0)
        {
            CrashDomain($"{Vector.Name(vector)} (error code 0x{errorCode:X}) at {_cpu.Segs[CpuCore.CS].Selector:X4}:{_cpu.Eip:X8} " +
                $"(CR2 {_cpu.Cr2:X8}) and no handler in the trap table");
            return;
        }
        if (!Bounce(_trapCs[vector], _trapAddress[vector], hasError, errorCode, (_trapFlags[vector] & 4) != 0))
            CrashDomain($"cannot deliver {Vector.Name(vector)} to {_trapCs[vector]:X4}:{_trapAddress[vector]:X8}: " +
                $"{_bounceFailure}");
    }

    /// <summary>
    /// Builds a PV32 bounce frame and enters the handler in ring 1. From the low address up:
    /// [error code], EIP, CS with the saved upcall mask in bits 16-23, EFLAGS (IF = !saved mask),
    /// and ESP, SS when coming from ring 3 (then on the stack_switch stack). False when the frame
    /// cannot be written or a selector is bad (nothing is changed then).
    /// </summary>
    private bool Bounce(ushort cs, uint eip, bool hasError, uint errorCode, bool maskEvents)
    {
        _clock.Now += HypervisorCosts.Bounce;
        var c = _cpu;
        byte savedMask = _mem.Read8(SharedInfo + SiUpcallMask);
        bool fromUser = c.Cpl == 3;
        SegmentCache ss;
        uint esp;
        if (fromUser)
        {
            if (!ReadGdtDescriptor(_kernelSs, out ulong ssDesc) || !IsRing1Stack(_kernelSs, ssDesc))
            {
                _bounceFailure = $"stack_switch selector {_kernelSs:X4} is not a ring-1 stack";
                return false;
            }
            ss = default;
            ss.LoadDescriptor(_kernelSs, ssDesc);
            esp = _kernelSp;
        }
        else
        {
            ss = c.Segs[CpuCore.SS];
            esp = c.Regs[CpuCore.ESP];
        }
        if (!ReadGdtDescriptor(cs, out ulong csDesc) || !IsCode(csDesc, 1))
        {
            _bounceFailure = $"handler selector {cs:X4} is not ring-1 code";
            return false;
        }

        Span<uint> frame = stackalloc uint[6];
        int n = 0;
        if (hasError) frame[n++] = errorCode;
        frame[n++] = c.Eip;
        frame[n++] = c.Segs[CpuCore.CS].Selector | ((uint)savedMask << 16);
        uint flags = c.GetEflags() & ~CpuCore.FlagIOPL;
        frame[n++] = savedMask != 0 ? flags & ~CpuCore.FlagIF : flags | CpuCore.FlagIF;
        if (fromUser)
        {
            frame[n++] = c.Regs[CpuCore.ESP];
            frame[n++] = c.Segs[CpuCore.SS].Selector;
        }
        uint newEsp = esp - (uint)(n * 4);
        if (!WriteGuest(ss.Base + newEsp, System.Runtime.InteropServices.MemoryMarshal.AsBytes(frame[..n])))
        {
            _bounceFailure = $"the frame cannot be written at {ss.Base + newEsp:X8} (cpl {c.Cpl}, esp {c.Regs[CpuCore.ESP]:X8}, kernel sp {_kernelSp:X8})";
            return false;
        }

        if (fromUser) c.Segs[CpuCore.SS] = ss;
        c.Regs[CpuCore.ESP] = newEsp;
        c.LoadCodeSegment(cs, csDesc, 1);
        c.Eip = eip;
        c.SetFlag(CpuCore.FlagTF | CpuCore.FlagNT | CpuCore.FlagRF | CpuCore.FlagVM, false);
        c.SetFlag(CpuCore.FlagIF, true);
        if (maskEvents) _mem.Write8(SharedInfo + SiUpcallMask, 1);
        c.Halted = false;
        _blocked = false;
        UpdateTime();
        return true;
    }

    /// <summary>
    /// The iret hypercall: the guest jumped to slot 23 after pushing EAX, so the stack holds EAX,
    /// EIP, CS, EFLAGS [, ESP, SS]. IOPL is dropped, IF forced on, and the frame's IF becomes the
    /// new upcall mask. A return to ring 0 (or through a bad selector) crashes the domain.
    /// </summary>
    private void IretHypercall()
    {
        var c = _cpu;
        uint sp = c.Segs[CpuCore.SS].Base + c.Regs[CpuCore.ESP];
        Span<byte> b = stackalloc byte[24];
        if (!ReadGuest(sp, b[..16])) { CrashDomain("iret hypercall: the frame on the stack is unreadable"); return; }
        uint eax = BitConverter.ToUInt32(b), eip = BitConverter.ToUInt32(b[4..]);
        ushort cs = (ushort)BitConverter.ToUInt32(b[8..]);
        uint eflags = BitConverter.ToUInt32(b[12..]);
        int rpl = cs & 3;
        if (rpl == 0) { CrashDomain("iret hypercall to ring 0"); return; }
        if (rpl == 2) { CrashDomain("iret hypercall to ring 2"); return; }
        if (!ReadGdtDescriptor(cs, out ulong csDesc) || !IsCode(csDesc, rpl)) { CrashDomain($"iret hypercall to a bad code selector {cs:X4}"); return; }
        uint newEsp = c.Regs[CpuCore.ESP] + 16;
        ushort ssSel = 0;
        ulong ssDesc = 0;
        if (rpl == 3)
        {
            if (!ReadGuest(sp + 16, b.Slice(16, 8))) { CrashDomain("iret hypercall: the frame on the stack is unreadable"); return; }
            newEsp = BitConverter.ToUInt32(b[16..]);
            ssSel = (ushort)BitConverter.ToUInt32(b[20..]);
            if (!ReadGdtDescriptor(ssSel, out ssDesc) || !IsStack(ssSel, ssDesc, 3)) { CrashDomain($"iret hypercall to a bad stack selector {ssSel:X4}"); return; }
        }

        c.Regs[CpuCore.EAX] = eax;
        c.LoadCodeSegment(cs, csDesc, rpl);
        c.Eip = eip;
        c.SetEflags((eflags & ~(CpuCore.FlagIOPL | CpuCore.FlagVM)) | CpuCore.FlagIF);
        _mem.Write8(SharedInfo + SiUpcallMask, (byte)((eflags & CpuCore.FlagIF) != 0 ? 0 : 1));
        if (rpl == 3)
        {
            c.Segs[CpuCore.SS].LoadDescriptor(ssSel, ssDesc);
            c.Regs[CpuCore.ESP] = newEsp;
            c.NullInaccessibleDataSegments();
        }
        else c.Regs[CpuCore.ESP] = newEsp;
        TryUpcall();
    }

    /// <summary>Reads a GDT descriptor without side effects (no fault, no CR2, no accessed bit).</summary>
    private bool ReadGdtDescriptor(ushort selector, out ulong desc)
    {
        desc = 0;
        if ((selector & 0xFFFC) == 0 || (selector & 4) != 0) return false;
        uint index = selector & 0xFFF8u;
        if (index + 7 > _cpu.GdtrLimit) return false;
        uint lin = _cpu.GdtrBase + index;
        if (!_cpu.Mmu.Probe(lin, out uint pa)) return false;
        desc = _mem.Read64(pa);
        return true;
    }

    private static bool IsCode(ulong desc, int dpl)
    {
        int access = (int)(desc >> 40) & 0xFF;
        return (access & 0x98) == 0x98 && ((access >> 5) & 3) == dpl;
    }

    private static bool IsStack(ushort sel, ulong desc, int ring)
    {
        int access = (int)(desc >> 40) & 0xFF;
        return (access & 0x9A) == 0x92 && (access & 0x08) == 0 && ((access >> 5) & 3) == ring && (sel & 3) == ring;
    }

    private static bool IsRing1Stack(ushort sel, ulong desc) => IsStack(sel, desc, 1);
}
