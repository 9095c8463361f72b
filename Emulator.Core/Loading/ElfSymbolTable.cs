using System.Buffers.Binary;
using System.Text;

namespace Emulator.Core.Loading;

/// <summary>
/// The address symbols of an ELF image's SHT_SYMTAB section (with the string table its sh_link
/// names), sorted by address, for the debugger: an address becomes "name+offset". Only symbols that
/// name code or data (STT_NOTYPE, STT_OBJECT, STT_FUNC with a section index) are kept. Symbol tables
/// are not needed to run an image, so a malformed one is not an error: entries that lie outside the
/// file are skipped and a table that cannot be read gives no symbols.
/// </summary>
public sealed class ElfSymbolTable
{
    public const uint ShtSymtab = 2;
    public const int EntrySize = 16;
    /// <summary>How far past a symbol without a size an address is still shown relative to it.</summary>
    public const uint UnsizedReach = 0x1000;

    private readonly ElfSymbol[] _byAddress;

    private ElfSymbolTable(ElfSymbol[] byAddress) => _byAddress = byAddress;

    public static readonly ElfSymbolTable Empty = new(Array.Empty<ElfSymbol>());

    /// <summary>Every kept symbol, by address (then name).</summary>
    public IReadOnlyList<ElfSymbol> Symbols => _byAddress;

    /// <summary>Reads the symbol tables of <paramref name="image"/>.</summary>
    public static ElfSymbolTable From(ElfImage image)
    {
        var data = image.Data;
        var list = new List<ElfSymbol>();
        var sections = image.SectionHeaders;
        foreach (var s in sections)
        {
            if (s.Type != ShtSymtab || s.Link >= sections.Count) continue;
            var strings = sections[(int)s.Link];
            if (!Within(data, strings.Offset, strings.Size) || !Within(data, s.Offset, s.Size)) continue;
            for (uint at = s.Offset; at + EntrySize <= s.Offset + s.Size; at += EntrySize)
            {
                var e = data.AsSpan((int)at, EntrySize);
                uint nameOffset = BinaryPrimitives.ReadUInt32LittleEndian(e);
                uint value = BinaryPrimitives.ReadUInt32LittleEndian(e[4..]);
                uint size = BinaryPrimitives.ReadUInt32LittleEndian(e[8..]);
                byte type = (byte)(e[12] & 0xF);
                ushort sectionIndex = BinaryPrimitives.ReadUInt16LittleEndian(e[14..]);
                if (type > ElfSymbol.SttFunc || sectionIndex == 0 || sectionIndex >= 0xFF00) continue; // undefined, absolute, common
                if (nameOffset == 0 || nameOffset >= strings.Size) continue;
                var name = data.AsSpan((int)(strings.Offset + nameOffset), (int)(strings.Size - nameOffset));
                int end = name.IndexOf((byte)0);
                if (end <= 0) continue;
                list.Add(new ElfSymbol(Encoding.ASCII.GetString(name[..end]), value, size, type));
            }
        }
        list.Sort((a, b) => a.Address != b.Address ? a.Address.CompareTo(b.Address) : string.CompareOrdinal(a.Name, b.Name));
        return new ElfSymbolTable(list.ToArray());
    }

    /// <summary>The symbols of the ELF file at <paramref name="path"/>; empty when it is not an ELF image or cannot be read.</summary>
    public static ElfSymbolTable FromFile(string path)
    {
        try
        {
            byte[] data = ImageFile.Read(path);
            return ElfImage.HasElfMagic(data) ? From(ElfImage.Parse(data, path)) : Empty;
        }
        catch (LoadException) { return Empty; }
    }

    /// <summary>The address of the symbol called <paramref name="name"/>, or null.</summary>
    public uint? AddressOf(string name)
    {
        foreach (var s in _byAddress)
            if (s.Name == name) return s.Address;
        return null;
    }

    /// <summary>
    /// The symbol covering <paramref name="address"/> (the nearest one at or below it, within its
    /// size, or within <see cref="UnsizedReach"/> when it has none) and the offset into it; null when none does.
    /// </summary>
    public (ElfSymbol Symbol, uint Offset)? Lookup(uint address)
    {
        int lo = 0, hi = _byAddress.Length - 1, found = -1;
        while (lo <= hi)
        {
            int mid = (lo + hi) >>> 1;
            if (_byAddress[mid].Address <= address) { found = mid; lo = mid + 1; }
            else hi = mid - 1;
        }
        // Among symbols at the same nearest address prefer a function, then one with a size.
        for (int k = found; k >= 0 && found >= 0; k--)
        {
            var s = _byAddress[k];
            if (s.Address != _byAddress[found].Address) break;
            if (s.Type == ElfSymbol.SttFunc) { found = k; break; }
        }
        if (found < 0) return null;
        var symbol = _byAddress[found];
        uint offset = address - symbol.Address;
        uint reach = symbol.Size != 0 ? symbol.Size : UnsizedReach;
        return offset < reach ? (symbol, offset) : null;
    }

    /// <summary>"name" or "name+0x12" for <paramref name="address"/>, or null without a covering symbol.</summary>
    public string? Describe(uint address) => Lookup(address) is { } hit
        ? (hit.Offset == 0 ? hit.Symbol.Name : $"{hit.Symbol.Name}+0x{hit.Offset:x}")
        : null;

    private static bool Within(byte[] data, uint offset, uint size) => (ulong)offset + size <= (ulong)data.Length;
}
