using System.Buffers.Binary;
using System.Text;

namespace Emulator.Core.Snapshots;

/// <summary>Little-endian fields of one snapshot section (the counterpart of <see cref="SnapshotReader"/>).</summary>
public sealed class SnapshotWriter
{
    private readonly MemoryStream _stream;

    /// <param name="capacity">The expected size (a previous capture's): big sections are then written without regrowing.</param>
    public SnapshotWriter(int capacity = 0) => _stream = new MemoryStream(capacity);
    private readonly byte[] _scratch = new byte[8];

    public void WriteByte(byte value) => _stream.WriteByte(value);
    public void WriteBool(bool value) => _stream.WriteByte(value ? (byte)1 : (byte)0);

    public void WriteUInt16(ushort value)
    {
        BinaryPrimitives.WriteUInt16LittleEndian(_scratch, value);
        _stream.Write(_scratch, 0, 2);
    }

    public void WriteUInt32(uint value)
    {
        BinaryPrimitives.WriteUInt32LittleEndian(_scratch, value);
        _stream.Write(_scratch, 0, 4);
    }

    public void WriteInt32(int value) => WriteUInt32((uint)value);

    public void WriteUInt64(ulong value)
    {
        BinaryPrimitives.WriteUInt64LittleEndian(_scratch, value);
        _stream.Write(_scratch, 0, 8);
    }

    public void WriteInt64(long value) => WriteUInt64((ulong)value);

    /// <summary>A length-prefixed block of bytes.</summary>
    public void WriteBytes(ReadOnlySpan<byte> data)
    {
        WriteInt32(data.Length);
        _stream.Write(data);
    }

    public void WriteString(string value) => WriteBytes(Encoding.UTF8.GetBytes(value));

    /// <summary>A scheduled clock event: whether there is one, and its (time, sequence) key.</summary>
    public void WriteEvent(Timing.VirtualClock.Handle? handle)
    {
        bool live = handle is { Cancelled: false, Fired: false };
        WriteBool(live);
        if (!live) return;
        WriteUInt64(handle!.At);
        WriteInt64(handle.Sequence);
    }

    public byte[] ToArray() => _stream.ToArray();
}
