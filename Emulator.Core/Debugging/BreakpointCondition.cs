using System.Globalization;
using CpuCore = Emulator.Core.Cpu.Cpu;

namespace Emulator.Core.Debugging;

/// <summary>
/// A breakpoint condition over registers and memory, a small expression language:
/// <code>
/// or      := and ("||" and)*
/// and     := compare ("&amp;&amp;" compare)*
/// compare := sum (("==" | "!=" | "&lt;" | "&lt;=" | "&gt;" | "&gt;=") sum)?
/// sum     := bits (("+" | "-") bits)*
/// bits    := unary (("&amp;" | "|" | "^") unary)*
/// unary   := "!" unary | "~" unary | atom
/// atom    := NUMBER | REGISTER | "[" or "]" | "byte[" or "]" | "word[" or "]" | "(" or ")"
/// </code>
/// NUMBER is decimal or 0x-hex; REGISTER is eax..edi, ax..di, al..bl, eip, eflags, cs..gs, cr0,
/// cr2, cr3, cr4, cpl; [x] reads the dword at linear address x through the current page tables
/// (byte[x], word[x] smaller sizes; an unmapped address reads as 0). Values are 32-bit unsigned;
/// comparisons and ! give 1 or 0; the condition holds when the value is not 0.
/// Example: <c>eax == 0x10 &amp;&amp; [esp+4] != 0 || cpl == 3</c>.
/// </summary>
public sealed class BreakpointCondition
{
    private readonly Func<CpuCore, uint> _eval;

    private BreakpointCondition(string text, Func<CpuCore, uint> eval)
    {
        Text = text;
        _eval = eval;
    }

    public string Text { get; }

    public bool Holds(CpuCore cpu) => _eval(cpu) != 0;

    public uint Evaluate(CpuCore cpu) => _eval(cpu);

    /// <summary>Parses a condition; a mistake throws <see cref="FormatException"/> naming the position.</summary>
    public static BreakpointCondition Parse(string text)
    {
        var p = new Parser(text);
        var e = p.Or();
        p.SkipSpace();
        if (!p.AtEnd) throw p.Error("unexpected text");
        return new BreakpointCondition(text.Trim(), e);
    }

    private sealed class Parser(string s)
    {
        private int _at;
        public bool AtEnd => _at >= s.Length;

        public void SkipSpace() { while (_at < s.Length && char.IsWhiteSpace(s[_at])) _at++; }

        public FormatException Error(string what) => new($"{what} at column {_at + 1} of \"{s}\"");

        private bool Take(string token)
        {
            SkipSpace();
            if (string.CompareOrdinal(s, _at, token, 0, token.Length) != 0) return false;
            // "&" must not be the first half of "&&", nor "|" of "||", "<" of "<=" and so on.
            if (token is "&" or "|" or "<" or ">" or "!" && _at + 1 < s.Length && (s[_at + 1] == token[0] || s[_at + 1] == '=')) return false;
            _at += token.Length;
            return true;
        }

        public Func<CpuCore, uint> Or()
        {
            var left = And();
            while (Take("||")) { var l = left; var r = And(); left = c => l(c) != 0 || r(c) != 0 ? 1u : 0u; }
            return left;
        }

        private Func<CpuCore, uint> And()
        {
            var left = Compare();
            while (Take("&&")) { var l = left; var r = Compare(); left = c => l(c) != 0 && r(c) != 0 ? 1u : 0u; }
            return left;
        }

        private Func<CpuCore, uint> Compare()
        {
            var l = Sum();
            foreach (var (op, f) in Comparisons)
                if (Take(op)) { var r = Sum(); return c => f(l(c), r(c)) ? 1u : 0u; }
            return l;
        }

        private static readonly (string, Func<uint, uint, bool>)[] Comparisons =
        {
            ("==", (a, b) => a == b), ("!=", (a, b) => a != b), ("<=", (a, b) => a <= b),
            (">=", (a, b) => a >= b), ("<", (a, b) => a < b), (">", (a, b) => a > b),
        };

        private Func<CpuCore, uint> Sum()
        {
            var left = Bits();
            while (true)
            {
                var l = left;
                if (Take("+")) { var r = Bits(); left = c => l(c) + r(c); }
                else if (Take("-")) { var r = Bits(); left = c => l(c) - r(c); }
                else return left;
            }
        }

        private Func<CpuCore, uint> Bits()
        {
            var left = Unary();
            while (true)
            {
                var l = left;
                if (Take("&")) { var r = Unary(); left = c => l(c) & r(c); }
                else if (Take("|")) { var r = Unary(); left = c => l(c) | r(c); }
                else if (Take("^")) { var r = Unary(); left = c => l(c) ^ r(c); }
                else return left;
            }
        }

        private Func<CpuCore, uint> Unary()
        {
            if (Take("!")) { var e = Unary(); return c => e(c) == 0 ? 1u : 0u; }
            if (Take("~")) { var e = Unary(); return c => ~e(c); }
            return Atom();
        }

        private Func<CpuCore, uint> Atom()
        {
            SkipSpace();
            if (Take("(")) { var e = Or(); Expect(")"); return e; }
            foreach (var (prefix, size) in new[] { ("byte[", 1), ("word[", 2), ("[", 4) })
                if (Take(prefix)) { var a = Or(); Expect("]"); return c => ReadLinear(c, a(c), size); }
            int start = _at;
            while (_at < s.Length && char.IsAsciiLetterOrDigit(s[_at])) _at++;
            string word = s[start.._at].ToLowerInvariant();
            if (word.Length == 0) throw Error("expected a number, a register, [address] or (");
            if (char.IsAsciiDigit(word[0]))
            {
                bool hex = word.StartsWith("0x", StringComparison.Ordinal);
                if (!uint.TryParse(hex ? word[2..] : word, hex ? NumberStyles.HexNumber : NumberStyles.None, CultureInfo.InvariantCulture, out uint n))
                    throw Error($"bad number '{word}'");
                return _ => n;
            }
            return Register(word) ?? throw Error($"unknown register '{word}'");
        }

        private void Expect(string token)
        {
            if (!Take(token)) throw Error($"expected '{token}'");
        }

        private static readonly string[] Gpr32 = { "eax", "ecx", "edx", "ebx", "esp", "ebp", "esi", "edi" };
        private static readonly string[] Gpr16 = { "ax", "cx", "dx", "bx", "sp", "bp", "si", "di" };
        private static readonly string[] Gpr8 = { "al", "cl", "dl", "bl" };
        private static readonly string[] Segs = { "es", "cs", "ss", "ds", "fs", "gs" };

        private static Func<CpuCore, uint>? Register(string name)
        {
            int k;
            if ((k = Array.IndexOf(Gpr32, name)) >= 0) return c => c.Regs[k];
            if ((k = Array.IndexOf(Gpr16, name)) >= 0) return c => c.Regs[k] & 0xFFFF;
            if ((k = Array.IndexOf(Gpr8, name)) >= 0) return c => c.Regs[k] & 0xFF;
            if ((k = Array.IndexOf(Segs, name)) >= 0) return c => c.Segs[k].Selector;
            return name switch
            {
                "eip" => c => c.Eip,
                "eflags" => c => c.GetEflags(),
                "cr0" => c => c.Cr0,
                "cr2" => c => c.Cr2,
                "cr3" => c => c.Cr3,
                "cr4" => c => c.Cr4,
                "cpl" => c => (uint)c.Cpl,
                _ => null,
            };
        }

        private static uint ReadLinear(CpuCore c, uint linear, int size)
        {
            Span<byte> bytes = stackalloc byte[4];
            if (c.PeekMemory(linear, bytes[..size]) < size) return 0; // unmapped reads as 0
            return bytes[0] | (uint)bytes[1] << 8 | (uint)bytes[2] << 16 | (uint)bytes[3] << 24;
        }
    }
}
