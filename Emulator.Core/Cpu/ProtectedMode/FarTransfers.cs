using Iced.Intel;

namespace Emulator.Core.Cpu;

/// <summary>
/// Far JMP, far CALL and RETF (SDM Vol. 2 "JMP", "CALL", "RET"; Vol. 3 §5.8): real mode, direct
/// transfers to code segments, call gates with parameter copying and stack switches through the TSS,
/// and returns to outer privilege levels. Task gates and TSS targets are not supported (#GP, logged).
/// Every transfer checks and reads first and changes registers only at the end.
/// </summary>
public sealed unsafe partial class Cpu
{
    static partial void RegisterFarTransfers()
    {
        Bind(Code.Jmp_ptr1616, &JmpFarPtr);
        Bind(Code.Jmp_ptr1632, &JmpFarPtr);
        Bind(Code.Jmp_m1616, &JmpFarMem);
        Bind(Code.Jmp_m1632, &JmpFarMem);
        Bind(Code.Call_ptr1616, &CallFarPtr);
        Bind(Code.Call_ptr1632, &CallFarPtr);
        Bind(Code.Call_m1616, &CallFarMem);
        Bind(Code.Call_m1632, &CallFarMem);
        Bind(Mnemonic.Retf, &Retf);
    }

    private static void JmpFarPtr(Cpu c, ref Instruction i)
    {
        int size = i.Code == Code.Jmp_ptr1616 ? 2 : 4;
        c.FarTransfer(i.FarBranchSelector, size == 2 ? i.FarBranch16 : i.FarBranch32, size, call: false);
    }

    private static void CallFarPtr(Cpu c, ref Instruction i)
    {
        int size = i.Code == Code.Call_ptr1616 ? 2 : 4;
        c.FarTransfer(i.FarBranchSelector, size == 2 ? i.FarBranch16 : i.FarBranch32, size, call: true);
    }

    private static void JmpFarMem(Cpu c, ref Instruction i)
    {
        int size = i.Code == Code.Jmp_m1616 ? 2 : 4;
        if (c.ReadFarPointer(ref i, size, out ushort sel, out uint offset)) c.FarTransfer(sel, offset, size, call: false);
    }

    private static void CallFarMem(Cpu c, ref Instruction i)
    {
        int size = i.Code == Code.Call_m1616 ? 2 : 4;
        if (c.ReadFarPointer(ref i, size, out ushort sel, out uint offset)) c.FarTransfer(sel, offset, size, call: true);
    }

    /// <summary>Reads an m16:16 or m16:32 far pointer (offset first, selector after it).</summary>
    private bool ReadFarPointer(ref Instruction i, int size, out ushort selector, out uint offset)
    {
        int seg = MemorySeg(ref i);
        uint ea = EffectiveAddress(ref i);
        offset = ReadMem(seg, ea, size);
        selector = 0;
        if (Faulted) return false;
        selector = (ushort)ReadMem(seg, ea + (uint)size, 2);
        return !Faulted;
    }

    /// <summary>A far JMP or CALL to selector:offset with the instruction's operand size (2 or 4).</summary>
    internal void FarTransfer(ushort selector, uint offset, int size, bool call)
    {
        if (size == 2) offset &= 0xFFFF;
        if (!ProtectedMode || V86Mode)
        {
            // Real mode: CS keeps its cached limit; the new IP must lie within it.
            if (offset > Segs[CS].Limit) { RaiseGP(0); return; }
            if (call)
            {
                uint esp = Regs[ESP];
                Push(Segs[CS].Selector, size);
                Push(Eip, size);
                if (Faulted) { Regs[ESP] = esp; return; }
            }
            Segs[CS].LoadReal(selector);
            Eip = offset;
            return;
        }

        uint selError = (uint)(selector & 0xFFFC);
        if (selError == 0) { RaiseGP(0); return; }
        if (!ReadDescriptor(selector, Vector.GP, 0, out ulong desc, out uint address)) return;
        int access = DescriptorAccess(desc);
        if ((access & 0x18) == 0x18)
        {
            // Direct transfer to a code segment: no privilege change is possible (SDM §5.8.1).
            int dpl = (access >> 5) & 3;
            bool conforming = (access & 0x04) != 0;
            if (conforming ? dpl > Cpl : ((selector & 3) > Cpl || dpl != Cpl)) { RaiseGP(selError); return; }
            if ((access & 0x80) == 0) { RaiseFault(Vector.NP, selError); return; }
            SameLevelTransfer(selector, desc, address, offset, call ? size : 0);
            return;
        }
        if ((access & 0x10) != 0) { RaiseGP(selError); return; }
        switch (access & 0x0F)
        {
            case 0x04:
            case 0x0C:
                CallGateTransfer(selector, desc, call);
                return;
            case 0x05:
            case 0x01:
            case 0x09:
                LogUnsupportedOnce(call ? "far CALL to a task gate or TSS selector (hardware task switches are not implemented)" : "far JMP to a task gate or TSS selector (hardware task switches are not implemented)", selector);
                RaiseGP(selError);
                return;
            default:
                RaiseGP(selError);
                return;
        }
    }

    /// <summary>
    /// Completes a transfer that keeps the CPL: optional push of CS:EIP (<paramref name="pushSize"/> 2 or 4,
    /// 0 for none), limit check, then CS (RPL = CPL) and EIP are loaded.
    /// </summary>
    private void SameLevelTransfer(ushort selector, ulong desc, uint address, uint offset, int pushSize)
    {
        ref SegmentCache ss = ref Segs[SS];
        uint spMask = ss.Big ? 0xFFFFFFFFu : 0xFFFFu;
        uint esp = Regs[ESP];
        uint sp = (esp - (uint)(2 * pushSize)) & spMask;
        if (pushSize != 0 && !CheckStackRoom(ref ss, sp, 2 * pushSize, 0)) return;
        if (offset > DescriptorLimit(desc)) { RaiseGP(0); return; }
        if (!SetAccessedBit(address, ref desc)) return;
        if (pushSize != 0)
        {
            bool user = Cpl == 3;
            uint at = sp;
            if (!WriteFrameItem(ref ss, ref at, spMask, pushSize, Eip, user)) return;
            if (!WriteFrameItem(ref ss, ref at, spMask, pushSize, Segs[CS].Selector, user)) return;
            Regs[ESP] = ss.Big ? sp : (esp & 0xFFFF0000u) | sp;
        }
        LoadCodeSegment(selector, desc, Cpl);
        Eip = offset;
    }

    /// <summary>
    /// JMP or CALL through a call gate (SDM §5.8.4-5.8.5): gate DPL &gt;= max(CPL, RPL); JMP may only
    /// reach a conforming segment or one at CPL; CALL to a more privileged non-conforming segment
    /// switches to the TSS stack of that ring and copies the gate's parameter count.
    /// </summary>
    private void CallGateTransfer(ushort gateSel, ulong gate, bool call)
    {
        int gateAccess = DescriptorAccess(gate);
        int gateDpl = (gateAccess >> 5) & 3;
        uint gateError = (uint)(gateSel & 0xFFFC);
        if (gateDpl < Cpl || gateDpl < (gateSel & 3)) { RaiseGP(gateError); return; }
        if ((gateAccess & 0x80) == 0) { RaiseFault(Vector.NP, gateError); return; }

        bool gate32 = (gateAccess & 0x08) != 0;
        ushort codeSel = (ushort)(gate >> 16);
        uint offset = (uint)(gate & 0xFFFF) | (uint)((gate >> 32) & 0xFFFF0000);
        if (!gate32) offset &= 0xFFFF;
        uint codeError = (uint)(codeSel & 0xFFFC);
        if (codeError == 0) { RaiseGP(0); return; }
        if (!ReadDescriptor(codeSel, Vector.GP, 0, out ulong codeDesc, out uint codeAddress)) return;
        int codeAccess = DescriptorAccess(codeDesc);
        int codeDpl = (codeAccess >> 5) & 3;
        bool conforming = (codeAccess & 0x04) != 0;
        if ((codeAccess & 0x18) != 0x18 || codeDpl > Cpl) { RaiseGP(codeError); return; }
        if (!call && !conforming && codeDpl != Cpl) { RaiseGP(codeError); return; }
        if ((codeAccess & 0x80) == 0) { RaiseFault(Vector.NP, codeError); return; }

        int size = gate32 ? 4 : 2;
        if (!call || conforming || codeDpl == Cpl)
        {
            SameLevelTransfer(codeSel, codeDesc, codeAddress, offset, call ? size : 0);
            return;
        }

        // CALL to an inner ring: new stack from the TSS.
        int newCpl = codeDpl;
        if (!ReadTssStack(newCpl, 0, out ushort newSsSel, out uint newEsp)) return;
        if (!CheckInnerStackSegment(newSsSel, newCpl, 0, out ulong ssDesc)) return;
        SegmentCache ss = default;
        ss.LoadDescriptor(newSsSel, ssDesc);
        int paramCount = (int)(gate >> 32) & 0x1F;
        int frameBytes = (4 + paramCount) * size;
        uint spMask = ss.Big ? 0xFFFFFFFFu : 0xFFFFu;
        uint sp = (newEsp - (uint)frameBytes) & spMask;
        if (!CheckStackRoom(ref ss, sp, frameBytes, (uint)(newSsSel & 0xFFFC))) return;
        if (offset > DescriptorLimit(codeDesc)) { RaiseGP(0); return; }
        if (!SetAccessedBit(codeAddress, ref codeDesc)) return;

        // New frame from its lowest address: EIP, CS, parameters (same order as on the caller's stack), ESP, SS.
        bool user = newCpl == 3;
        uint at = sp;
        if (!WriteFrameItem(ref ss, ref at, spMask, size, Eip, user)) return;
        if (!WriteFrameItem(ref ss, ref at, spMask, size, Segs[CS].Selector, user)) return;
        uint oldSpMask = Stack32 ? 0xFFFFFFFFu : 0xFFFFu;
        for (int k = 0; k < paramCount; k++)
        {
            uint param = ReadMem(SS, (StackPointer + (uint)(k * size)) & oldSpMask, size);
            if (Faulted) return;
            if (!WriteFrameItem(ref ss, ref at, spMask, size, param, user)) return;
        }
        if (!WriteFrameItem(ref ss, ref at, spMask, size, Regs[ESP], user)) return;
        if (!WriteFrameItem(ref ss, ref at, spMask, size, Segs[SS].Selector, user)) return;

        Segs[SS] = ss;
        Regs[ESP] = ss.Big ? sp : (newEsp & 0xFFFF0000u) | sp;
        LoadCodeSegment(codeSel, codeDesc, newCpl);
        Eip = offset;
    }

    /// <summary>RETF [imm16] (SDM Vol. 2 "RET"): same level, or to an outer ring with SS:ESP reloaded.</summary>
    private static void Retf(Cpu c, ref Instruction i)
    {
        Code code = i.Code;
        int size = code is Code.Retfw or Code.Retfw_imm16 ? 2 : 4;
        uint imm = code is Code.Retfw_imm16 or Code.Retfd_imm16 ? i.Immediate16 : 0u;
        c.FarReturn(size, imm);
    }

    internal void FarReturn(int size, uint imm)
    {
        uint offset = PeekStack(0, size);
        if (Faulted) return;
        ushort selector = (ushort)PeekStack((uint)size, 2);
        if (Faulted) return;
        if (size == 2) offset &= 0xFFFF;

        if (!ProtectedMode || V86Mode)
        {
            if (offset > Segs[CS].Limit) { RaiseGP(0); return; }
            Segs[CS].LoadReal(selector);
            Eip = offset;
            AdjustStackPointer(2 * size + (int)imm);
            return;
        }

        if (!CheckReturnCodeSegment(selector, out ulong desc, out uint address)) return;
        int rpl = selector & 3;
        if (rpl == Cpl)
        {
            if (offset > DescriptorLimit(desc)) { RaiseGP(0); return; }
            if (!SetAccessedBit(address, ref desc)) return;
            LoadCodeSegment(selector, desc, Cpl);
            Eip = offset;
            AdjustStackPointer(2 * size + (int)imm);
            return;
        }

        // Return to an outer ring: the caller's SS:ESP follow the parameters that imm16 skips.
        uint newEsp = PeekStack((uint)(2 * size) + imm, size);
        if (Faulted) return;
        ushort newSs = (ushort)PeekStack((uint)(3 * size) + imm, 2);
        if (Faulted) return;
        if (!CheckOuterStackSegment(newSs, rpl, out ulong ssDesc)) return;
        if (offset > DescriptorLimit(desc)) { RaiseGP(0); return; }
        if (!SetAccessedBit(address, ref desc)) return;

        LoadCodeSegment(selector, desc, rpl);
        Eip = offset;
        Segs[SS].LoadDescriptor(newSs, ssDesc);
        if (size == 2) newEsp &= 0xFFFF;
        SetStackPointer(newEsp + imm);
        NullInaccessibleDataSegments();
    }

    /// <summary>
    /// The CS checks shared by RETF and IRET (SDM "RET" / "IRET"): code segment, RPL &gt;= CPL,
    /// conforming DPL &lt;= RPL, non-conforming DPL = RPL, present.
    /// </summary>
    internal bool CheckReturnCodeSegment(ushort selector, out ulong desc, out uint address)
    {
        desc = 0; address = 0;
        uint selError = (uint)(selector & 0xFFFC);
        if (selError == 0) { RaiseGP(0); return false; }
        if (!ReadDescriptor(selector, Vector.GP, 0, out desc, out address)) return false;
        int access = DescriptorAccess(desc);
        int dpl = (access >> 5) & 3;
        int rpl = selector & 3;
        if ((access & 0x18) != 0x18 || rpl < Cpl) { RaiseGP(selError); return false; }
        bool conforming = (access & 0x04) != 0;
        if (conforming ? dpl > rpl : dpl != rpl) { RaiseGP(selError); return false; }
        if ((access & 0x80) == 0) { RaiseFault(Vector.NP, selError); return false; }
        return true;
    }
}
