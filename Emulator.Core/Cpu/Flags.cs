using System.Numerics;
using System.Runtime.CompilerServices;
using Iced.Intel;

namespace Emulator.Core.Cpu;

/// <summary>The operation whose result the six arithmetic flags are derived from (lazy flags).</summary>
internal enum FlagOp : byte { None, Add, Adc, Sub, Sbb, Logic, Inc, Dec, Neg }

public sealed partial class Cpu
{
    public const uint FlagCF = 1u << 0, FlagPF = 1u << 2, FlagAF = 1u << 4, FlagZF = 1u << 6, FlagSF = 1u << 7,
        FlagTF = 1u << 8, FlagIF = 1u << 9, FlagDF = 1u << 10, FlagOF = 1u << 11, FlagIOPL = 3u << 12,
        FlagNT = 1u << 14, FlagRF = 1u << 16, FlagVM = 1u << 17, FlagAC = 1u << 18, FlagVIF = 1u << 19,
        FlagVIP = 1u << 20, FlagID = 1u << 21;
    public const uint ArithFlags = FlagCF | FlagPF | FlagAF | FlagZF | FlagSF | FlagOF;

    // The non-arithmetic flags always live here; the arithmetic ones too while _lfOp == None.
    private uint _eflags = 2;
    // Lazy state: result, operands and size (1, 2 or 4) of the last flag-setting operation.
    private FlagOp _lfOp;
    private byte _lfSize;
    private uint _lfRes, _lfDst, _lfSrc;
    private uint _lfCarryIn;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static uint SizeMask(int size) => size == 4 ? 0xFFFFFFFFu : size == 2 ? 0xFFFFu : 0xFFu;
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static uint SignBit(int size) => 1u << (size * 8 - 1);

    /// <summary>Records an ADD (or ADC with carry-in) for lazy flag evaluation.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal void SetFlagsAdd(int size, uint dst, uint src, uint result, uint carryIn = 0)
    {
        _lfOp = carryIn == 0 ? FlagOp.Add : FlagOp.Adc;
        _lfSize = (byte)size; _lfDst = dst; _lfSrc = src; _lfRes = result; _lfCarryIn = carryIn;
    }

    /// <summary>Records a SUB/CMP (or SBB with borrow-in) for lazy flag evaluation.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal void SetFlagsSub(int size, uint dst, uint src, uint result, uint borrowIn = 0)
    {
        _lfOp = borrowIn == 0 ? FlagOp.Sub : FlagOp.Sbb;
        _lfSize = (byte)size; _lfDst = dst; _lfSrc = src; _lfRes = result; _lfCarryIn = borrowIn;
    }

    /// <summary>AND/OR/XOR/TEST: CF = OF = 0, AF = 0 (undefined in the SDM), SF/ZF/PF from the result.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal void SetFlagsLogic(int size, uint result)
    {
        _lfOp = FlagOp.Logic; _lfSize = (byte)size; _lfRes = result;
    }

    /// <summary>INC: like ADD of 1 but CF is preserved.</summary>
    internal void SetFlagsInc(int size, uint dst, uint result)
    {
        uint cf = GetCF() ? FlagCF : 0;
        _eflags = (_eflags & ~FlagCF) | cf;
        _lfOp = FlagOp.Inc; _lfSize = (byte)size; _lfDst = dst; _lfSrc = 1; _lfRes = result;
    }

    /// <summary>DEC: like SUB of 1 but CF is preserved.</summary>
    internal void SetFlagsDec(int size, uint dst, uint result)
    {
        uint cf = GetCF() ? FlagCF : 0;
        _eflags = (_eflags & ~FlagCF) | cf;
        _lfOp = FlagOp.Dec; _lfSize = (byte)size; _lfDst = dst; _lfSrc = 1; _lfRes = result;
    }

    /// <summary>NEG: 0 - src.</summary>
    internal void SetFlagsNeg(int size, uint src, uint result)
    {
        _lfOp = FlagOp.Neg; _lfSize = (byte)size; _lfDst = 0; _lfSrc = src; _lfRes = result;
    }

    /// <summary>Sets the six arithmetic flags eagerly: ZF, SF, PF from <paramref name="result"/>, the others as given.</summary>
    internal void SetFlagsResult(int size, uint result, bool cf, bool of, bool af = false)
    {
        uint f = _eflags & ~ArithFlags;
        uint m = SizeMask(size);
        result &= m;
        if (cf) f |= FlagCF;
        if (of) f |= FlagOF;
        if (af) f |= FlagAF;
        if (result == 0) f |= FlagZF;
        if ((result & SignBit(size)) != 0) f |= FlagSF;
        if (Parity((byte)result)) f |= FlagPF;
        _eflags = f;
        _lfOp = FlagOp.None;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static bool Parity(byte b) => (BitOperations.PopCount(b) & 1) == 0;

    public bool GetCF()
    {
        uint m = SizeMask(_lfSize);
        switch (_lfOp)
        {
            case FlagOp.None:
            case FlagOp.Inc:
            case FlagOp.Dec: return (_eflags & FlagCF) != 0;
            case FlagOp.Add: return (_lfRes & m) < (_lfDst & m);
            case FlagOp.Adc: return _lfCarryIn != 0 ? (_lfRes & m) <= (_lfDst & m) : (_lfRes & m) < (_lfDst & m);
            case FlagOp.Sub: return (_lfDst & m) < (_lfSrc & m);
            case FlagOp.Sbb: return (ulong)(_lfDst & m) < (ulong)(_lfSrc & m) + _lfCarryIn;
            case FlagOp.Neg: return (_lfSrc & m) != 0;
            default: return false;
        }
    }

    public bool GetZF() => _lfOp == FlagOp.None ? (_eflags & FlagZF) != 0 : (_lfRes & SizeMask(_lfSize)) == 0;
    public bool GetSF() => _lfOp == FlagOp.None ? (_eflags & FlagSF) != 0 : (_lfRes & SignBit(_lfSize)) != 0;
    public bool GetPF() => _lfOp == FlagOp.None ? (_eflags & FlagPF) != 0 : Parity((byte)_lfRes);

    public bool GetAF()
    {
        switch (_lfOp)
        {
            case FlagOp.None: return (_eflags & FlagAF) != 0;
            case FlagOp.Logic: return false;
            default: return ((_lfDst ^ _lfSrc ^ _lfRes) & 0x10) != 0;
        }
    }

    public bool GetOF()
    {
        uint sb = SignBit(_lfSize);
        switch (_lfOp)
        {
            case FlagOp.None: return (_eflags & FlagOF) != 0;
            case FlagOp.Add:
            case FlagOp.Adc: return (((_lfDst ^ _lfRes) & (_lfSrc ^ _lfRes)) & sb) != 0;
            case FlagOp.Sub:
            case FlagOp.Sbb: return (((_lfDst ^ _lfSrc) & (_lfDst ^ _lfRes)) & sb) != 0;
            case FlagOp.Inc: return (_lfRes & SizeMask(_lfSize)) == sb;
            case FlagOp.Dec: return (_lfRes & SizeMask(_lfSize)) == sb - 1;
            case FlagOp.Neg: return (_lfRes & SizeMask(_lfSize)) == sb;
            default: return false;
        }
    }

    /// <summary>EFLAGS with the lazy arithmetic flags materialized.</summary>
    public uint GetEflags()
    {
        if (_lfOp == FlagOp.None) return _eflags;
        uint f = _eflags & ~ArithFlags;
        if (GetCF()) f |= FlagCF;
        if (GetPF()) f |= FlagPF;
        if (GetAF()) f |= FlagAF;
        if (GetZF()) f |= FlagZF;
        if (GetSF()) f |= FlagSF;
        if (GetOF()) f |= FlagOF;
        return f;
    }

    /// <summary>Writes EFLAGS as is (bit 1 forced to 1, reserved bits cleared). Privilege rules belong to the caller (POPF/IRET).</summary>
    public void SetEflags(uint value)
    {
        _eflags = (value & 0x003F7FD5u) | 2u;
        _lfOp = FlagOp.None;
        LeaveFastLoop = true; // IF or TF may have changed
    }

    /// <summary>The EFLAGS register as a property (materializing on read).</summary>
    public uint Eflags { get => GetEflags(); set => SetEflags(value); }

    /// <summary>Sets or clears individual non-lazy bits (IF, DF, TF, ...). Arithmetic bits are materialized first.</summary>
    public void SetFlag(uint mask, bool on)
    {
        if ((mask & ArithFlags) != 0 && _lfOp != FlagOp.None) { _eflags = GetEflags(); _lfOp = FlagOp.None; }
        _eflags = on ? _eflags | mask : _eflags & ~mask;
        LeaveFastLoop = true; // IF or TF may have changed
    }

    /// <summary>Reads a non-arithmetic flag bit cheaply.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public bool FlagSet(uint mask) => (mask & ArithFlags) == 0 ? (_eflags & mask) != 0 : (GetEflags() & mask) != 0;

    public int Iopl => (int)((_eflags >> 12) & 3);

    /// <summary>Evaluates a Jcc/SETcc/CMOVcc condition (SDM Vol. 1 Appendix B).</summary>
    public bool Condition(ConditionCode cc)
    {
        // The common case, a branch after a 32-bit CMP/SUB: compare the operands directly.
        if (_lfOp == FlagOp.Sub && _lfSize == 4)
        {
            uint d = _lfDst, s = _lfSrc;
            switch (cc)
            {
                case ConditionCode.e: return d == s;
                case ConditionCode.ne: return d != s;
                case ConditionCode.b: return d < s;
                case ConditionCode.ae: return d >= s;
                case ConditionCode.be: return d <= s;
                case ConditionCode.a: return d > s;
                case ConditionCode.l: return (int)d < (int)s;
                case ConditionCode.ge: return (int)d >= (int)s;
                case ConditionCode.le: return (int)d <= (int)s;
                case ConditionCode.g: return (int)d > (int)s;
            }
        }
        // After TEST/AND/OR/XOR: CF = OF = 0, so every condition but parity is ZF and SF alone.
        else if (_lfOp == FlagOp.Logic)
        {
            bool zf = (_lfRes & SizeMask(_lfSize)) == 0, sf = (_lfRes & SignBit(_lfSize)) != 0;
            switch (cc)
            {
                case ConditionCode.e: return zf;
                case ConditionCode.ne: return !zf;
                case ConditionCode.s: case ConditionCode.l: return sf;
                case ConditionCode.ns: case ConditionCode.ge: return !sf;
                case ConditionCode.le: return zf || sf;
                case ConditionCode.g: return !zf && !sf;
                case ConditionCode.be: return zf;
                case ConditionCode.a: return !zf;
                case ConditionCode.b: case ConditionCode.o: return false;
                case ConditionCode.ae: case ConditionCode.no: return true;
            }
        }
        switch (cc)
        {
            case ConditionCode.o: return GetOF();
            case ConditionCode.no: return !GetOF();
            case ConditionCode.b: return GetCF();
            case ConditionCode.ae: return !GetCF();
            case ConditionCode.e: return GetZF();
            case ConditionCode.ne: return !GetZF();
            case ConditionCode.be: return GetCF() || GetZF();
            case ConditionCode.a: return !GetCF() && !GetZF();
            case ConditionCode.s: return GetSF();
            case ConditionCode.ns: return !GetSF();
            case ConditionCode.p: return GetPF();
            case ConditionCode.np: return !GetPF();
            case ConditionCode.l: return GetSF() != GetOF();
            case ConditionCode.ge: return GetSF() == GetOF();
            case ConditionCode.le: return GetZF() || GetSF() != GetOF();
            case ConditionCode.g: return !GetZF() && GetSF() == GetOF();
            default: return true;
        }
    }
}
