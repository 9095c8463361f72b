using System.Buffers.Binary;
using CsCheck;
using Emulator.Core.Loading;
using Emulator.Core.Memory;
using Emulator.Tests.Support;

namespace Emulator.Tests.Loading;

/// <summary>
/// Property-based checks (CsCheck) of the ELF and multiboot loaders on hostile input: random bytes
/// and mutants of valid images (edited headers, sizes and offsets, truncations) only ever end in a
/// <see cref="LoadException"/> with a one-line message — never another exception, a hang or an
/// allocation out of proportion to the file. Fixed seeds, one thread: the same inputs every run.
/// </summary>
public sealed class LoaderPropertyTests : IDisposable
{
    private const string Seed = "000000000000";
    private readonly TempFiles _files = new();
    private readonly PhysicalMemory _memory = new(16u << 20); // built before any measured work

    public void Dispose() => _files.Dispose();

    /// <summary>A multiboot ELF kernel: two PT_LOAD segments (text with the header, data with bss) and a PT_NOTE of Xen notes.</summary>
    private static byte[] ValidKernel()
    {
        var header = Elf32Builder.MultibootHeader(0x3);
        var b = new Elf32Builder { Entry = 0x100000 + (uint)header.Length };
        b.AddLoad(0x100000, header.Concat(Enumerable.Repeat((byte)0x90, 0x40)).ToArray(), memorySize: 0x1000);
        b.AddLoad(0x102000, Enumerable.Range(0, 0x80).Select(i => (byte)i).ToArray(), memorySize: 0x3000);
        b.Notes.Add(("Xen", 5, "xen-3.0"u8.ToArray()));
        b.Notes.Add(("Xen", 6, "emu"u8.ToArray()));
        return b.Build();
    }

    /// <summary>Parsing returns an image or throws a one-line <see cref="LoadException"/>; nothing else.</summary>
    private static void ParseOrLoadError(byte[] bytes)
    {
        BoundedWork.Check(bytes.Length, () =>
        {
            try
            {
                var elf = ElfImage.Parse(bytes, "fuzzed.elf");
                foreach (var p in elf.LoadSegments) _ = elf.SegmentBytes(p).Length;
            }
            catch (LoadException e) { Assert.DoesNotContain('\n', e.Message); }
        }, "ElfImage.Parse");
    }

    [Fact]
    public void MutatedElfImagesParseOrFailWithALoadException() =>
        MutatedBytes.Of(ValidKernel()).Sample(ParseOrLoadError, seed: Seed, iter: 4000, threads: 1);

    [Fact]
    public void MutatedToyKernelsParseOrFailWithALoadException() =>
        MutatedBytes.Of(File.ReadAllBytes(GuestImages.ToyKernel)).Sample(ParseOrLoadError, seed: Seed, iter: 300, threads: 1);

    [Fact]
    public void RandomBytesAfterTheElfMagicFailWithALoadException() =>
        Gen.Byte.Array[0, 400].Select(b => new byte[] { 0x7F, (byte)'E', (byte)'L', (byte)'F', 1, 1, 1 }.Concat(b).ToArray())
            .Sample(ParseOrLoadError, seed: Seed, iter: 3000, threads: 1);

    [Fact]
    public void MultibootHeaderSearchOnRandomBytesFindsOrFailsWithALoadException() =>
        Gen.Select(Gen.Byte.Array[0, 600], Gen.Int[0, 150], Gen.UInt, (bytes, at, flags) =>
            {
                // Plant a magic with a consistent checksum somewhere, aligned or not.
                if (at * 4 + 12 <= bytes.Length)
                {
                    BinaryPrimitives.WriteUInt32LittleEndian(bytes.AsSpan(at * 4), MultibootHeader.HeaderMagic);
                    BinaryPrimitives.WriteUInt32LittleEndian(bytes.AsSpan(at * 4 + 4), flags);
                    BinaryPrimitives.WriteUInt32LittleEndian(bytes.AsSpan(at * 4 + 8), unchecked(0u - MultibootHeader.HeaderMagic - flags));
                }
                return bytes;
            })
            .Sample(bytes =>
            {
                try { Assert.Equal(0, MultibootHeader.Find(bytes, "fuzzed").Offset % 4); }
                catch (LoadException e) { Assert.DoesNotContain('\n', e.Message); }
            }, seed: Seed, iter: 3000, threads: 1);

    /// <summary>The whole multiboot preparation (header, ELF or address fields, placement in a 16 MiB machine) from a file.</summary>
    private void PrepareOrLoadError(byte[] bytes)
    {
        string path = _files.Write("kernel", bytes);
        BoundedWork.Check(bytes.Length, () =>
        {
            try
            {
                var boot = MultibootLoader.Prepare(_memory, path, "console=ttyS0", null, Serilog.Core.Logger.None);
                foreach (var s in boot.Segments)
                    Assert.True((ulong)s.PhysicalAddress + s.MemorySize <= _memory.RamSize && s.FileBytes.Length <= s.MemorySize);
            }
            catch (LoadException e) { Assert.DoesNotContain('\n', e.Message); }
        }, "MultibootLoader.Prepare");
    }

    [Fact]
    public void MutatedMultibootElfKernelsPrepareOrFailWithALoadException() =>
        MutatedBytes.Of(ValidKernel()).Sample(PrepareOrLoadError, seed: Seed, iter: 1500, threads: 1, print: Convert.ToHexString);

    /// <summary>Flat images loaded by the header's address fields (the a.out kludge), the five fields hostile and the checksum kept right.</summary>
    [Fact]
    public void HostileAddressFieldsPrepareOrFailWithALoadException()
    {
        uint[] hostile = { 0, 1, 0xFFF, 0x1000, 0x100000, 0x200000, 0x200010, 0x200040, 0xFFFFFF, 0x1000000, 0x7FFFFFFF, 0x80000000, 0xFFFFF000, 0xFFFFFFFF };
        var field = Gen.OneOf(Gen.Int[0, hostile.Length - 1].Select(i => hostile[i]), Gen.UInt, Gen.UInt[0x1FFF00, 0x202000]);
        Gen.Select(field.Array[5], Gen.Int[20, 0x3000], Gen.Int[0, 64], (fields, length, headerAt) =>
            {
                var header = Elf32Builder.MultibootHeader(0x10002, headerAddr: fields[0], loadAddr: fields[1], loadEndAddr: fields[2], bssEndAddr: fields[3], entryAddr: fields[4]);
                var image = new byte[Math.Max(length, headerAt * 4 + 32)];
                header.CopyTo(image, headerAt * 4);
                return image;
            })
            .Sample(PrepareOrLoadError, seed: Seed, iter: 2000, threads: 1);
    }
}
