using System.Globalization;
using System.Text;
using CpuCore = Emulator.Core.Cpu.Cpu;

namespace Emulator.Host.Debugging;

/// <summary>
/// The register file as gdb's i386 target sees it: the target description this stub sends
/// (org.gnu.gdb.i386.core and .sse, as gdb requires, plus org.emu.i386.sys with the control
/// registers), and the 'g'/'p' encodings in that order. The x87 and SSE registers do not exist in
/// this CPU (CPUID reports no FPU): their values are sent as unavailable ('x').
/// </summary>
public static class I386Registers
{
    private record struct Reg(string Name, int Bits, string Type, string? Group = null);

    private static readonly Reg[] All = BuildRegisters();

    private static Reg[] BuildRegisters()
    {
        var r = new List<Reg>
        {
            new("eax", 32, "int32"), new("ecx", 32, "int32"), new("edx", 32, "int32"), new("ebx", 32, "int32"),
            new("esp", 32, "data_ptr"), new("ebp", 32, "data_ptr"), new("esi", 32, "int32"), new("edi", 32, "int32"),
            new("eip", 32, "code_ptr"), new("eflags", 32, "int32"),
            new("cs", 32, "int32"), new("ss", 32, "int32"), new("ds", 32, "int32"), new("es", 32, "int32"), new("fs", 32, "int32"), new("gs", 32, "int32"),
        };
        for (int k = 0; k < 8; k++) r.Add(new($"st{k}", 80, "i387_ext"));
        foreach (var n in new[] { "fctrl", "fstat", "ftag", "fiseg", "fioff", "foseg", "fooff", "fop" }) r.Add(new(n, 32, "int", "float"));
        for (int k = 0; k < 8; k++) r.Add(new($"xmm{k}", 128, "uint128", "vector"));
        r.Add(new("mxcsr", 32, "int", "vector"));
        foreach (var n in new[] { "cr0", "cr2", "cr3", "cr4", "efer" }) r.Add(new(n, 32, "int32", "system"));
        return r.ToArray();
    }

    public const int Eip = 8, Eflags = 9, FirstSegment = 10, FirstSystem = 41;
    public static int Count => All.Length;

    // gdb's segment order cs ss ds es fs gs, as indices into Cpu.Segs (ES=0 CS=1 SS=2 DS=3 FS=4 GS=5).
    private static readonly int[] SegmentOf = { CpuCore.CS, CpuCore.SS, CpuCore.DS, CpuCore.ES, CpuCore.FS, CpuCore.GS };

    /// <summary>The target description (qXfer:features:read:target.xml).</summary>
    public static string TargetXml
    {
        get
        {
            var sb = new StringBuilder();
            sb.Append("<?xml version=\"1.0\"?><!DOCTYPE target SYSTEM \"gdb-target.dtd\"><target version=\"1.0\"><architecture>i386</architecture>");
            string? feature = null;
            for (int n = 0; n < All.Length; n++)
            {
                string f = n < 32 ? "org.gnu.gdb.i386.core" : n < FirstSystem ? "org.gnu.gdb.i386.sse" : "org.emu.i386.sys";
                if (f != feature)
                {
                    if (feature != null) sb.Append("</feature>");
                    sb.Append("<feature name=\"").Append(f).Append("\">");
                    feature = f;
                }
                var r = All[n];
                sb.Append(CultureInfo.InvariantCulture, $"<reg name=\"{r.Name}\" bitsize=\"{r.Bits}\" type=\"{r.Type}\" regnum=\"{n}\"");
                if (r.Group != null) sb.Append(" group=\"").Append(r.Group).Append('"');
                sb.Append("/>");
            }
            sb.Append("</feature></target>");
            return sb.ToString();
        }
    }

    /// <summary>One register as gdb's hex (target byte order, little-endian), or 'x's when unavailable; null for no such register.</summary>
    public static string? Read(CpuCore cpu, int n)
    {
        if (n < 0 || n >= All.Length) return null;
        uint? v = Value(cpu, n);
        int bytes = All[n].Bits / 8;
        if (v is not uint value) return new string('x', bytes * 2);
        var sb = new StringBuilder(8);
        for (int k = 0; k < 4; k++) sb.Append(((value >> (8 * k)) & 0xFF).ToString("x2", CultureInfo.InvariantCulture));
        return sb.ToString();
    }

    public static string ReadAll(CpuCore cpu)
    {
        var sb = new StringBuilder();
        for (int n = 0; n < All.Length; n++) sb.Append(Read(cpu, n));
        return sb.ToString();
    }

    private static uint? Value(CpuCore cpu, int n) => n switch
    {
        < 8 => cpu.Regs[n],
        Eip => cpu.Eip,
        Eflags => cpu.GetEflags(),
        < 16 => cpu.Segs[SegmentOf[n - FirstSegment]].Selector,
        FirstSystem => cpu.Cr0,
        FirstSystem + 1 => cpu.Cr2,
        FirstSystem + 2 => cpu.Cr3,
        FirstSystem + 3 => cpu.Cr4,
        FirstSystem + 4 => (uint)cpu.Efer,
        _ => null,
    };

    /// <summary>
    /// Writes one register from gdb's hex. The general registers, EIP and EFLAGS can be written;
    /// the others (segments, which would need a descriptor load; absent x87/SSE; control registers)
    /// cannot: false. Bad hex: false.
    /// </summary>
    public static bool Write(CpuCore cpu, int n, string hex)
    {
        if (n < 0 || n > Eflags || hex.Length != 8) return false;
        uint value = 0;
        for (int k = 0; k < 4; k++)
        {
            if (!byte.TryParse(hex.AsSpan(2 * k, 2), NumberStyles.HexNumber, CultureInfo.InvariantCulture, out byte b)) return false;
            value |= (uint)b << (8 * k);
        }
        if (n < 8) cpu.Regs[n] = value;
        else if (n == Eip) cpu.Eip = value;
        else cpu.SetEflags(value);
        return true;
    }

    /// <summary>The hex width of register <paramref name="n"/> in a 'g' packet.</summary>
    public static int HexWidth(int n) => All[n].Bits / 4;
}
