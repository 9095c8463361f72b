using static Iced.Intel.AssemblerRegisters;

namespace Emulator.Tests.CpuTests.Alu;

/// <summary>
/// Decimal adjust instructions, checked by what they are for: ADD/SUB of two packed (or unpacked)
/// BCD numbers followed by the adjust must give the decimal sum/difference and the decimal carry.
/// </summary>
public class BcdTests
{
    private static uint Packed(int n) => (uint)(((n / 10) << 4) | (n % 10));

    [Fact]
    public void AddThenDaaGivesThePackedDecimalSum()
    {
        var m = AluMachine.Flat32(a => { a.add(al, bl); a.daa(); });
        for (int x = 0; x < 100; x++)
            for (int y = 0; y < 100; y++)
            {
                m.Exec(eax: 0x1234_5600 | Packed(x), ebx: Packed(y));
                int sum = x + y;
                Check.Equal(0x1234_5600 | Packed(sum % 100), m.Eax, $"{x} + {y}");
                Check.Flags(Ref.Flag(sum >= 100, Ref.CF) | Ref.Szp(Packed(sum % 100), 8), m.Flags, $"{x} + {y}",
                    Ref.CF | Ref.ZF | Ref.SF | Ref.PF);
            }
    }

    [Fact]
    public void AdcThenDaaChainsTheDecimalCarry()
    {
        var m = AluMachine.Flat32(a => { a.adc(al, bl); a.daa(); });
        m.Exec(eax: Packed(99), ebx: Packed(0), flags: Ref.CF);
        Assert.Equal(0u, m.Eax);
        Assert.Equal(Ref.CF | Ref.ZF, m.Flags & (Ref.CF | Ref.ZF));
    }

    [Fact]
    public void SubThenDasGivesThePackedDecimalDifference()
    {
        var m = AluMachine.Flat32(a => { a.sub(al, bl); a.das(); });
        for (int x = 0; x < 100; x++)
            for (int y = 0; y < 100; y++)
            {
                m.Exec(eax: Packed(x), ebx: Packed(y));
                int diff = ((x - y) % 100 + 100) % 100;
                Check.Equal(Packed(diff), m.Eax, $"{x} - {y}");
                Check.Flags(Ref.Flag(x < y, Ref.CF) | Ref.Szp(Packed(diff), 8), m.Flags, $"{x} - {y}",
                    Ref.CF | Ref.ZF | Ref.SF | Ref.PF);
            }
    }

    /// <summary>AAA/AAS after ADD/SUB of unpacked digits: AL = the digit, AH carries/borrows, CF = AF = the decimal carry.</summary>
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void UnpackedAddAndSubtract(bool real)
    {
        var add = real ? AluMachine.Real16(a => { a.add(al, bl); a.aaa(); }) : AluMachine.Flat32(a => { a.add(al, bl); a.aaa(); });
        var sub = real ? AluMachine.Real16(a => { a.sub(al, bl); a.aas(); }) : AluMachine.Flat32(a => { a.sub(al, bl); a.aas(); });
        for (uint x = 0; x < 10; x++)
            for (uint y = 0; y < 10; y++)
            {
                const uint ah = 5;
                add.Exec(eax: 0xABCD_0000 | (ah << 8) | x, ebx: y);
                uint s = x + y;
                Check.Equal(0xABCD_0000 | ((ah + s / 10) << 8) | (s % 10), add.Eax, $"AAA {x}+{y}");
                uint carry = s >= 10 ? Ref.CF | Ref.AF : 0;
                Check.Flags(carry, add.Flags, $"AAA {x}+{y}", Ref.CF | Ref.AF);

                sub.Exec(eax: 0xABCD_0000 | (ah << 8) | x, ebx: y);
                bool borrow = x < y;
                uint digit = borrow ? x + 10 - y : x - y;
                Check.Equal(0xABCD_0000 | ((borrow ? ah - 1 : ah) << 8) | digit, sub.Eax, $"AAS {x}-{y}");
                Check.Flags(borrow ? Ref.CF | Ref.AF : 0, sub.Flags, $"AAS {x}-{y}", Ref.CF | Ref.AF);
            }
    }

    /// <summary>The 386+ AAA adds 106H to AX, so an AL above F9H carries into AH twice over (hand-worked from the SDM).</summary>
    [Fact]
    public void AaaAddsToAxAsAWhole()
    {
        var m = AluMachine.Flat32(a => a.aaa());
        m.Exec(eax: 0x01FA); // FA: low nibble > 9 -> AX + 106 = 0300, AL & 0F = 00
        Assert.Equal(0x0300u, m.Eax);
        var s = AluMachine.Flat32(a => a.aas());
        s.Exec(eax: 0x0203, flags: Ref.AF); // AX - 6 = 01FD, AH - 1 = 00FD, AL & 0F = 000D
        Assert.Equal(0x000Du, s.Eax);
    }

    [Theory]
    [InlineData(10, false)]
    [InlineData(16, false)]
    [InlineData(7, true)]
    [InlineData(255, true)]
    public void AamSplitsAndAadJoins(int @base, bool real)
    {
        var aam = real ? AluMachine.Real16(a => a.aam(unchecked((sbyte)@base))) : AluMachine.Flat32(a => a.aam(unchecked((sbyte)@base)));
        var aad = real ? AluMachine.Real16(a => a.aad(unchecked((sbyte)@base))) : AluMachine.Flat32(a => a.aad(unchecked((sbyte)@base)));
        for (uint al = 0; al < 256; al++)
        {
            aam.Exec(eax: 0x7777_0000 | 0x5500 | al);
            uint q = al / (uint)@base, r = al % (uint)@base;
            Check.Equal(0x7777_0000 | (q << 8) | r, aam.Eax, $"AAM {@base} {al}");
            Check.Flags(Ref.Szp(r, 8), aam.Flags, $"AAM {@base} {al}", Ref.ZF | Ref.SF | Ref.PF);

            uint ah = al % 13;
            aad.Exec(eax: 0x7777_0000 | (ah << 8) | al);
            uint joined = (al + ah * (uint)@base) & 0xFF;
            Check.Equal(0x7777_0000 | joined, aad.Eax, $"AAD {@base} {ah}:{al}");
            Check.Flags(Ref.Szp(joined, 8), aad.Flags, $"AAD {@base} {ah}:{al}", Ref.ZF | Ref.SF | Ref.PF);
        }
    }

    [Fact]
    public void AamWithZeroBaseIsDivideError()
    {
        var m = AluMachine.Real16(a => a.aam(0));
        m.Exec(eax: 0x1234);
        m.AssertVectoredTo(AluMachine.DeHandler);
        Assert.Equal(0x1234u, m.Eax);
    }
}
