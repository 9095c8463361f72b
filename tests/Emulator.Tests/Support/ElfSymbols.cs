using System.Buffers.Binary;
using System.Text;

namespace Emulator.Tests.Support;

/// <summary>Reads a symbol's value from an ELF32 image's .symtab (the guests are linked with their symbols).</summary>
public static class ElfSymbols
{
    public static uint Address(string path, string name)
    {
        byte[] f = File.ReadAllBytes(path);
        uint shoff = BinaryPrimitives.ReadUInt32LittleEndian(f.AsSpan(0x20));
        int shentsize = BinaryPrimitives.ReadUInt16LittleEndian(f.AsSpan(0x2E));
        int shnum = BinaryPrimitives.ReadUInt16LittleEndian(f.AsSpan(0x30));
        for (int s = 0; s < shnum; s++)
        {
            var sh = f.AsSpan((int)shoff + s * shentsize);
            if (BinaryPrimitives.ReadUInt32LittleEndian(sh[4..]) != 2) continue; // SHT_SYMTAB
            uint off = BinaryPrimitives.ReadUInt32LittleEndian(sh[16..]);
            uint size = BinaryPrimitives.ReadUInt32LittleEndian(sh[20..]);
            uint link = BinaryPrimitives.ReadUInt32LittleEndian(sh[24..]);
            uint strOff = BinaryPrimitives.ReadUInt32LittleEndian(f.AsSpan((int)shoff + (int)link * shentsize + 16));
            for (uint e = off; e < off + size; e += 16)
            {
                uint nameAt = strOff + BinaryPrimitives.ReadUInt32LittleEndian(f.AsSpan((int)e));
                int end = Array.IndexOf(f, (byte)0, (int)nameAt);
                if (Encoding.ASCII.GetString(f, (int)nameAt, end - (int)nameAt) == name)
                    return BinaryPrimitives.ReadUInt32LittleEndian(f.AsSpan((int)e + 4));
            }
        }
        throw new InvalidOperationException($"no symbol {name} in {path}");
    }
}
