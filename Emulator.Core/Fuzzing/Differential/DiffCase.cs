using Iced.Intel;

namespace Emulator.Core.Fuzzing.Differential;

/// <summary>
/// One differential case: straight-line code made of units (an instruction under test with the
/// set-up instructions it needs, such as loading a base register or a divisor that cannot fault),
/// and the initial state: registers, EFLAGS and the contents of the compared window.
/// </summary>
public sealed class DiffCase
{
    public DiffMode Mode { get; }
    public IReadOnlyList<IReadOnlyList<Instruction>> Units { get; }
    public uint[] Regs { get; }
    public uint Eflags { get; }
    public byte[] Window { get; }

    /// <summary>The encoded code, and for each instruction its offset in it and the unit it belongs to.</summary>
    public byte[] Code { get; }
    public IReadOnlyList<EncodedInstruction> Instructions { get; }

    public DiffCase(DiffMode mode, IReadOnlyList<IReadOnlyList<Instruction>> units, uint[] regs, uint eflags, byte[] window)
    {
        Mode = mode;
        Units = units;
        Regs = regs;
        Eflags = eflags;
        Window = window;
        var code = new List<byte>();
        var encoded = new List<EncodedInstruction>();
        var writer = new CodeBytes(code);
        var encoder = Encoder.Create(mode.Bits, writer);
        for (int u = 0; u < units.Count; u++)
            foreach (var original in units[u])
            {
                var insn = original;
                uint ip = DiffLayout.CodeBase + (uint)code.Count;
                int start = code.Count;
                encoder.Encode(insn, ip);
                var bytes = code.GetRange(start, code.Count - start).ToArray();
                var decoded = Decoder.Create(mode.Bits, new ByteArrayCodeReader(bytes), ip).Decode();
                encoded.Add(new EncodedInstruction(decoded, bytes, ip, u));
            }
        Code = code.ToArray();
        Instructions = encoded;
    }

    /// <summary>The same initial state with only the given units (for shrinking a mismatch).</summary>
    public DiffCase WithUnits(IEnumerable<int> keep) => new(Mode, keep.Select(k => Units[k]).ToList(), Regs, Eflags, Window);

    private sealed class CodeBytes(List<byte> sink) : CodeWriter
    {
        public override void WriteByte(byte value) => sink.Add(value);
    }
}

/// <summary>An instruction of a case as encoded: decoded back (so it formats as the CPU sees it), its bytes, address and unit.</summary>
public sealed record EncodedInstruction(Instruction Instruction, byte[] Bytes, uint Address, int Unit)
{
    public string Asm
    {
        get
        {
            var output = new StringOutput();
            new NasmFormatter().Format(Instruction, output);
            return output.ToStringAndReset();
        }
    }
}
