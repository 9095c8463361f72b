using System.Buffers.Binary;

namespace Emulator.Core.Loading;

/// <summary>
/// The multiboot v1 header of an OS image (Multiboot Specification 0.6.96, section 3.1): a
/// 32-bit-aligned structure within the first 8192 bytes, magic 0x1BADB002, flags, and a checksum
/// making the three words sum to zero. Flag bit 16 adds the a.out-kludge address fields.
/// </summary>
public sealed class MultibootHeader
{
    public const uint HeaderMagic = 0x1BADB002;
    /// <summary>The header must lie completely within this many bytes from the start of the image.</summary>
    public const int SearchLimit = 8192;

    public const uint FlagPageAlignModules = 1u << 0;
    public const uint FlagMemoryInfo = 1u << 1;
    public const uint FlagVideoMode = 1u << 2;
    public const uint FlagAddressFields = 1u << 16;

    /// <summary>Bits 0-15 are requirements: a loader that does not know one must refuse the image.</summary>
    public const uint RequiredMask = 0x0000FFFF;
    /// <summary>The requirement bits this loader knows (video mode is accepted but no mode is set, as QEMU does).</summary>
    public const uint KnownRequirements = FlagPageAlignModules | FlagMemoryInfo | FlagVideoMode;

    /// <summary>File offset of the magic.</summary>
    public int Offset { get; init; }
    public uint Flags { get; init; }
    public uint Checksum { get; init; }
    public uint HeaderAddress { get; init; }
    public uint LoadAddress { get; init; }
    public uint LoadEndAddress { get; init; }
    public uint BssEndAddress { get; init; }
    public uint EntryAddress { get; init; }

    public bool HasAddressFields => (Flags & FlagAddressFields) != 0;

    /// <summary>
    /// Finds the first valid header. Throws <see cref="LoadException"/> when there is none, naming
    /// a magic with a bad checksum if one was seen, or a header cut off by the 8 KiB limit.
    /// </summary>
    public static MultibootHeader Find(ReadOnlySpan<byte> image, string fileName)
    {
        int limit = Math.Min(image.Length, SearchLimit);
        int badChecksumAt = -1;
        for (int o = 0; o + 12 <= limit; o += 4)
        {
            if (U32(image, o) != HeaderMagic) continue;
            uint flags = U32(image, o + 4), checksum = U32(image, o + 8);
            if (unchecked(HeaderMagic + flags + checksum) != 0)
            {
                if (badChecksumAt < 0) badChecksumAt = o;
                continue;
            }
            if ((flags & FlagAddressFields) == 0)
                return new MultibootHeader { Offset = o, Flags = flags, Checksum = checksum };
            if (o + 32 > limit)
                throw new LoadException(fileName, $"the multiboot header at offset 0x{o:X} has address fields (flag bit 16) that run past the first {SearchLimit} bytes of the image");
            return new MultibootHeader
            {
                Offset = o,
                Flags = flags,
                Checksum = checksum,
                HeaderAddress = U32(image, o + 12),
                LoadAddress = U32(image, o + 16),
                LoadEndAddress = U32(image, o + 20),
                BssEndAddress = U32(image, o + 24),
                EntryAddress = U32(image, o + 28),
            };
        }
        if (badChecksumAt >= 0)
        {
            uint flags = U32(image, badChecksumAt + 4), checksum = U32(image, badChecksumAt + 8);
            throw new LoadException(fileName,
                $"the multiboot header at offset 0x{badChecksumAt:X} has a bad checksum (magic 0x{HeaderMagic:X8} + flags 0x{flags:X8} + checksum 0x{checksum:X8} must be 0 modulo 2^32)");
        }
        throw new LoadException(fileName, $"not a multiboot kernel (no multiboot header, magic 0x{HeaderMagic:X8}, in the first {SearchLimit} bytes)");
    }

    private static uint U32(ReadOnlySpan<byte> d, int o) => BinaryPrimitives.ReadUInt32LittleEndian(d.Slice(o, 4));
}
