using System.IO.Compression;
using System.Security.Cryptography;
using System.Text;

namespace Emulator.Core.Snapshots;

/// <summary>
/// The snapshot file (<c>emu run -snapshot-save FILE</c> / <c>-snapshot-load FILE</c>), version 1:
/// <code>
///   "EMUSNAP\0"            8 bytes, the magic
///   u32 version            1
///   u8[32] sha256          of the payload below, before compression
///   deflate(payload)
/// payload:
///   string machine         what the machine was started as (e.g. "xen ram=33554432"); must match on load
///   u64 tick               virtual time
///   u32 n, n × (string name, bytes data)   the sections (<see cref="MachineState"/>)
///   u32 ramBytes, u32 pages, pages × (u32 pfn, 4096 bytes)   every RAM page that is not all zero
/// </code>
/// strings and byte blocks are length-prefixed (u32, little-endian). Anything that does not fit —
/// another magic or version, a checksum mismatch, truncation, another machine — is a
/// <see cref="SnapshotFormatException"/> with a message that says which.
/// </summary>
public static class SnapshotFile
{
    public const int FormatVersion = 1;
    private static readonly byte[] Magic = "EMUSNAP\0"u8.ToArray();
    private const int PageSize = 4096;

    /// <summary>Writes the machine's state (it must be stopped at an instruction boundary).</summary>
    public static void Save(Machine.Machine machine, string machineDescription, Stream output)
    {
        var state = MachineState.Capture(machine);
        var w = new SnapshotWriter();
        w.WriteString(machineDescription);
        w.WriteUInt64(state.Tick);
        w.WriteInt32(state.Sections.Count);
        foreach (var (name, data) in state.Sections)
        {
            w.WriteString(name);
            w.WriteBytes(data);
        }
        byte[] ram = machine.Memory.Ram;
        w.WriteUInt32((uint)ram.Length);
        var pages = new List<int>();
        for (int p = 0; p < ram.Length / PageSize; p++)
            if (ram.AsSpan(p * PageSize, PageSize).ContainsAnyExcept((byte)0)) pages.Add(p);
        w.WriteInt32(pages.Count);
        foreach (int p in pages)
        {
            w.WriteInt32(p);
            w.WriteBytes(ram.AsSpan(p * PageSize, PageSize));
        }
        byte[] payload = w.ToArray();
        output.Write(Magic);
        Span<byte> version = stackalloc byte[4];
        System.Buffers.Binary.BinaryPrimitives.WriteInt32LittleEndian(version, FormatVersion);
        output.Write(version);
        output.Write(SHA256.HashData(payload));
        using (var deflate = new DeflateStream(output, CompressionLevel.Fastest, leaveOpen: true))
            deflate.Write(payload);
        output.Flush();
    }

    public static void Save(Machine.Machine machine, string machineDescription, string path)
    {
        string temp = path + ".tmp";
        using (var f = File.Create(temp)) Save(machine, machineDescription, f);
        File.Move(temp, path, overwrite: true); // never leave half a snapshot under the real name
    }

    /// <summary>
    /// Reads a snapshot and loads it into <paramref name="machine"/>, which must have been built the
    /// same way (<paramref name="machineDescription"/>). Everything is checked before anything is
    /// changed but the section contents themselves.
    /// </summary>
    public static ulong Load(Machine.Machine machine, string machineDescription, Stream input)
    {
        Span<byte> header = stackalloc byte[8 + 4 + 32];
        if (input.ReadAtLeast(header, header.Length, throwOnEndOfStream: false) != header.Length || !header[..8].SequenceEqual(Magic))
            throw new SnapshotFormatException("not an emu snapshot (bad magic)");
        int version = System.Buffers.Binary.BinaryPrimitives.ReadInt32LittleEndian(header[8..12]);
        if (version != FormatVersion)
            throw new SnapshotFormatException($"snapshot format version {version}; this emu reads version {FormatVersion}");
        byte[] expectedHash = header[12..].ToArray();

        // Cap what a crafted file can make us allocate: the sections are small, RAM at most the machine's.
        long cap = (long)machine.Memory.RamSize + 64L * 1024 * 1024;
        byte[] payload;
        try
        {
            using var deflate = new DeflateStream(input, CompressionMode.Decompress, leaveOpen: true);
            using var buffer = new MemoryStream();
            var chunk = new byte[81920];
            int n;
            while ((n = deflate.Read(chunk, 0, chunk.Length)) > 0)
            {
                if (buffer.Length + n > cap) throw new SnapshotFormatException("the snapshot is larger than this machine's state can be");
                buffer.Write(chunk, 0, n);
            }
            payload = buffer.ToArray();
        }
        catch (InvalidDataException e)
        {
            throw new SnapshotFormatException($"the snapshot is corrupt ({e.Message})");
        }
        if (!SHA256.HashData(payload).AsSpan().SequenceEqual(expectedHash))
            throw new SnapshotFormatException("the snapshot is corrupt (checksum mismatch)");

        var r = new SnapshotReader("header", payload);
        string description = r.ReadString();
        if (description != machineDescription)
            throw new SnapshotFormatException($"the snapshot was taken on another machine ({description}); this one is {machineDescription}");
        ulong tick = r.ReadUInt64();
        int count = r.ReadInt32(0, 1024);
        var sections = new List<(string, byte[])>(count);
        for (int i = 0; i < count; i++) sections.Add((r.ReadString(), r.ReadBytes()));
        uint ramBytes = r.ReadUInt32();
        if (ramBytes != machine.Memory.RamSize)
            throw new SnapshotFormatException($"the snapshot's machine has {ramBytes / (1024 * 1024)} MiB of RAM, this one {machine.Memory.RamSize / (1024 * 1024)} MiB (-m)");
        int pageCount = r.ReadInt32(0, (int)(ramBytes / PageSize));
        var pages = new (int Pfn, byte[] Data)[pageCount];
        for (int i = 0; i < pageCount; i++)
        {
            int pfn = r.ReadInt32(0, (int)(ramBytes / PageSize) - 1);
            var data = r.ReadBytes();
            if (data.Length != PageSize) throw new SnapshotFormatException("the snapshot has a RAM page of the wrong size");
            pages[i] = (pfn, data);
        }
        r.ExpectEnd();

        var state = new MachineState(tick, sections);
        state.Restore(machine); // checks the section layout before loading any
        byte[] ram = machine.Memory.Ram;
        Array.Clear(ram);
        foreach (var (pfn, data) in pages) data.CopyTo(ram, pfn * PageSize);
        if (machine.Clock.Now != tick)
            throw new SnapshotFormatException("the snapshot's clock section disagrees with its header");
        return tick;
    }

    public static ulong Load(Machine.Machine machine, string machineDescription, string path)
    {
        using var f = File.OpenRead(path);
        return Load(machine, machineDescription, f);
    }
}
