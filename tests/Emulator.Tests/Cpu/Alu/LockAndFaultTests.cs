using Emulator.Core.Cpu;
using Iced.Intel;
using static Iced.Intel.AssemblerRegisters;
using Cpu = Emulator.Core.Cpu.Cpu;

namespace Emulator.Tests.CpuTests.Alu;

/// <summary>
/// LOCK prefix validity (SDM Vol. 2 "LOCK": only the listed read-modify-write instructions with a
/// memory destination, else #UD) and the all-or-nothing rule for read-modify-write destinations:
/// a faulting write commits no register, flag or memory change.
/// </summary>
public class LockAndFaultTests
{
    [Theory]
    [InlineData(new byte[] { 0xF0, 0x01, 0xD8 })]             // lock add ax, bx (register destination)
    [InlineData(new byte[] { 0xF0, 0x39, 0x07 })]             // lock cmp [bx], ax (CMP is not lockable)
    [InlineData(new byte[] { 0xF0, 0x85, 0x07 })]             // lock test [bx], ax
    [InlineData(new byte[] { 0xF0, 0x0F, 0xA3, 0x07 })]       // lock bt [bx], ax
    [InlineData(new byte[] { 0xF0, 0xD1, 0x27 })]             // lock shl word [bx], 1
    [InlineData(new byte[] { 0xF0, 0xF7, 0x27 })]             // lock mul word [bx]
    [InlineData(new byte[] { 0xF0, 0xF7, 0xD0 })]             // lock not ax
    [InlineData(new byte[] { 0xF0, 0x0F, 0x94, 0x07 })]       // lock sete [bx]
    [InlineData(new byte[] { 0xF0, 0xF8 })]                   // lock clc
    public void LockOnAnInvalidFormIsUndefinedOpcode(byte[] bytes)
    {
        var m = AluMachine.Real16(a => a.db(bytes));
        m.H.Memory.Write16(0x2000, 0x1234);
        m.Exec(ebx: 0x2000, eax: 0x0F0F, flags: Ref.CF);
        m.AssertVectoredTo(AluMachine.UdHandler);
        Assert.Equal(0x0F0Fu, m.Eax);
        Assert.Equal((ushort)0x1234, m.H.Memory.Read16(0x2000));
    }

    [Theory]
    [InlineData(new byte[] { 0xF0, 0x01, 0x07 }, 0x1234 + 0x0F0F)]        // lock add [bx], ax
    [InlineData(new byte[] { 0xF0, 0x19, 0x07 }, 0x1234 - 0x0F0F - 1)]    // lock sbb [bx], ax (CF = 1)
    [InlineData(new byte[] { 0xF0, 0xFF, 0x07 }, 0x1235)]                 // lock inc word [bx]
    [InlineData(new byte[] { 0xF0, 0xF7, 0x1F }, 0x10000 - 0x1234)]       // lock neg word [bx]
    [InlineData(new byte[] { 0xF0, 0xF7, 0x17 }, 0xEDCB)]                 // lock not word [bx]
    [InlineData(new byte[] { 0xF0, 0x31, 0x07 }, 0x1234 ^ 0x0F0F)]        // lock xor [bx], ax
    [InlineData(new byte[] { 0xF0, 0x0F, 0xAB, 0x07 }, 0x1234 | 0x8000)]  // lock bts [bx], ax (bit 0F0F mod 16 = 15, word at +2*F0)
    public void LockOnAMemoryDestinationIsAllowed(byte[] bytes, int expected)
    {
        var m = AluMachine.Real16(a => a.db(bytes));
        bool bitString = bytes[2] == 0xAB;
        uint at = bitString ? 0x2000u + 2 * (0x0F0F / 16) : 0x2000u;
        m.H.Memory.Write16(at, 0x1234);
        m.Exec(ebx: 0x2000, eax: 0x0F0F, flags: Ref.CF);
        m.AssertCompleted();
        Assert.Equal((ushort)expected, m.H.Memory.Read16(at));
    }

    public static TheoryData<string> ReadModifyWriteForms() => new()
    {
        "add", "adc", "sub", "sbb", "inc", "dec", "neg", "and", "or", "xor", "not",
        "shl", "sar8", "rol", "rcr", "shld", "shrd16", "bts", "btr", "btc", "add16", "sub8",
    };

    private static void Emit(Assembler a, string form)
    {
        switch (form)
        {
            case "add": a.add(__dword_ptr[esi], ebx); break;
            case "adc": a.adc(__dword_ptr[esi], 1); break;
            case "sub": a.sub(__dword_ptr[esi], ebx); break;
            case "sbb": a.sbb(__dword_ptr[esi], ebx); break;
            case "inc": a.inc(__dword_ptr[esi]); break;
            case "dec": a.dec(__dword_ptr[esi]); break;
            case "neg": a.neg(__dword_ptr[esi]); break;
            case "and": a.and(__dword_ptr[esi], ebx); break;
            case "or": a.or(__dword_ptr[esi], ebx); break;
            case "xor": a.xor(__dword_ptr[esi], ebx); break;
            case "not": a.not(__dword_ptr[esi]); break;
            case "shl": a.shl(__dword_ptr[esi], 3); break;
            case "sar8": a.sar(__byte_ptr[esi], cl); break;
            case "rol": a.rol(__dword_ptr[esi], 1); break;
            case "rcr": a.rcr(__dword_ptr[esi], cl); break;
            case "shld": a.shld(__dword_ptr[esi], ebx, 4); break;
            case "shrd16": a.shrd(__word_ptr[esi], bx, cl); break;
            case "bts": a.bts(__dword_ptr[esi], ecx); break;
            case "btr": a.btr(__dword_ptr[esi], 4); break;
            case "btc": a.btc(__dword_ptr[esi], ecx); break;
            case "add16": a.add(__word_ptr[esi], bx); break;
            default: a.sub(__byte_ptr[esi], 0x7F); break;
        }
    }

    /// <summary>
    /// The destination is readable but not writable (a read-only data segment), so the write faults
    /// after the read. Registers, arithmetic flags and memory must be as before the instruction, and
    /// the instruction must not have completed. (Protected-mode delivery itself is not under test here.)
    /// </summary>
    [Theory, MemberData(nameof(ReadModifyWriteForms))]
    public void FaultingWriteCommitsNothing(string form)
    {
        var h = Support.CpuHarness.Flat32(1);
        byte[] code = h.Load(a => { Emit(a, form); a.hlt(); });
        var c = h.Cpu;
        const uint data = Support.CpuHarness.DataBase;
        h.Memory.Write32(data, 0x8000_0010);
        c.Segs[Cpu.DS].Attributes &= unchecked((ushort)~SegmentCache.AttrWritable);
        uint[] regs = { 0, 3, 1, 0, 0, 0, data, 0 }; // ECX = 3 (count / bit), EBX = 1 (source)
        regs[Cpu.ESP] = c.Regs[Cpu.ESP];
        Array.Copy(regs, c.Regs, 8);
        const uint flagsIn = Ref.ZF | Ref.AF | Ref.SF | Ref.PF;
        c.SetEflags(2 | flagsIn);
        uint start = c.Eip;

        h.Step(1);

        Assert.Equal(0x8000_0010u, h.Memory.Read32(data));
        for (int r = 0; r < 8; r++)
            if (r != Cpu.ESP) Check.Equal(regs[r], c.Regs[r], $"{form}: register {r}");
        Check.Flags(flagsIn, c.GetEflags(), form);
        Assert.NotEqual(start + (uint)code.Length - 1, c.Eip); // did not run on to the HLT
    }

    /// <summary>The same instructions succeed on a writable segment (so the test above fails for the right reason).</summary>
    [Theory, MemberData(nameof(ReadModifyWriteForms))]
    public void TheSameFormsWriteOnAWritableSegment(string form)
    {
        var m = AluMachine.Flat32(a => Emit(a, form));
        const uint data = Support.CpuHarness.DataBase;
        m.H.Memory.Write32(data, 0x8000_0010);
        m.Exec(esi: data, ebx: 1, ecx: 3, flags: Ref.ZF | Ref.AF | Ref.SF | Ref.PF);
        m.AssertCompleted();
        Assert.NotEqual(0x8000_0010u, m.H.Memory.Read32(data));
    }
}
