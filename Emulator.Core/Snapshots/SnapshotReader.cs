using System.Buffers.Binary;
using System.Text;

namespace Emulator.Core.Snapshots;

/// <summary>
/// Reads the fields of one snapshot section. Running past its end, or a length that cannot be
/// right, throws <see cref="SnapshotFormatException"/> naming the section — never another exception.
/// </summary>
public sealed class SnapshotReader
{
    private readonly byte[] _data;
    private int _position;

    public SnapshotReader(string section, byte[] data)
    {
        Section = section;
        _data = data;
    }

    public string Section { get; }

    public bool AtEnd => _position == _data.Length;

    private ReadOnlySpan<byte> Take(int count)
    {
        if (count < 0 || count > _data.Length - _position)
            throw new SnapshotFormatException($"snapshot section '{Section}' is truncated or malformed");
        var span = _data.AsSpan(_position, count);
        _position += count;
        return span;
    }

    public byte ReadByte() => Take(1)[0];

    public bool ReadBool() => ReadByte() switch
    {
        0 => false,
        1 => true,
        _ => throw new SnapshotFormatException($"snapshot section '{Section}' has a malformed boolean"),
    };

    public ushort ReadUInt16() => BinaryPrimitives.ReadUInt16LittleEndian(Take(2));
    public uint ReadUInt32() => BinaryPrimitives.ReadUInt32LittleEndian(Take(4));
    public int ReadInt32() => (int)ReadUInt32();
    public ulong ReadUInt64() => BinaryPrimitives.ReadUInt64LittleEndian(Take(8));
    public long ReadInt64() => (long)ReadUInt64();

    public byte[] ReadBytes() => Take(ReadInt32()).ToArray();

    /// <summary>A length-prefixed block that must be exactly <paramref name="into"/>'s length.</summary>
    public void ReadBytes(Span<byte> into)
    {
        int n = ReadInt32();
        if (n != into.Length)
            throw new SnapshotFormatException($"snapshot section '{Section}' holds {n} bytes where {into.Length} were expected");
        Take(n).CopyTo(into);
    }

    public string ReadString() => Encoding.UTF8.GetString(Take(ReadInt32()));

    /// <summary>An integer in [min, max]; anything else is a malformed snapshot.</summary>
    public int ReadInt32(int min, int max)
    {
        int v = ReadInt32();
        if (v < min || v > max)
            throw new SnapshotFormatException($"snapshot section '{Section}' has {v} where {min}..{max} was expected");
        return v;
    }

    /// <summary>Reads a scheduled event written by <see cref="SnapshotWriter.WriteEvent"/>: (At, Sequence), or null.</summary>
    public (ulong At, long Sequence)? ReadEvent()
    {
        if (!ReadBool()) return null;
        return (ReadUInt64(), ReadInt64());
    }

    /// <summary>Checks that every byte of an enum or flag array read from a snapshot is a value it can hold.</summary>
    public static void ExpectAtMost(ReadOnlySpan<byte> values, byte max, string what)
    {
        foreach (byte v in values)
            if (v > max) throw new SnapshotFormatException($"the snapshot has a malformed {what} ({v})");
    }

    /// <summary>Called after the owner has read its fields: left-over bytes mean another layout.</summary>
    public void ExpectEnd()
    {
        if (!AtEnd)
            throw new SnapshotFormatException($"snapshot section '{Section}' has {_data.Length - _position} unexpected trailing bytes");
    }
}
