using Emulator.Core.Loading;
using Emulator.Tests.Support;

namespace Emulator.Tests.Loading;

public class MultibootHeaderTests
{
    private static byte[] ImageWithHeaderAt(int offset, byte[] header, int size = 16384)
    {
        var image = new byte[size];
        header.CopyTo(image, offset);
        return image;
    }

    [Fact]
    public void FindsHeaderAtAnAlignedOffset()
    {
        var h = MultibootHeader.Find(ImageWithHeaderAt(0x40, Elf32Builder.MultibootHeader(0x3)), "k");
        Assert.Equal(0x40, h.Offset);
        Assert.Equal(3u, h.Flags);
        Assert.False(h.HasAddressFields);
    }

    [Fact]
    public void IgnoresAMagicThatIsNotFourByteAligned()
    {
        var e = Assert.Throws<LoadException>(() => MultibootHeader.Find(ImageWithHeaderAt(0x41, Elf32Builder.MultibootHeader(0x3)), "k"));
        Assert.Contains("no multiboot header", e.Message);
    }

    [Fact]
    public void HeaderMustLieInTheFirst8KiB()
    {
        // Last position where the 12-byte header still fits: 8192 - 12.
        Assert.Equal(8180, MultibootHeader.Find(ImageWithHeaderAt(8180, Elf32Builder.MultibootHeader(0)), "k").Offset);
        var e = Assert.Throws<LoadException>(() => MultibootHeader.Find(ImageWithHeaderAt(8192, Elf32Builder.MultibootHeader(0)), "k"));
        Assert.Equal("k: not a multiboot kernel (no multiboot header, magic 0x1BADB002, in the first 8192 bytes)", e.Message);
    }

    [Fact]
    public void BadChecksumIsReported()
    {
        var e = Assert.Throws<LoadException>(() => MultibootHeader.Find(ImageWithHeaderAt(0x20, Elf32Builder.MultibootHeader(0x3, checksumError: 1)), "k"));
        Assert.Contains("at offset 0x20 has a bad checksum", e.Message);
    }

    [Fact]
    public void AValidHeaderAfterABadOneIsUsed()
    {
        var image = ImageWithHeaderAt(0x20, Elf32Builder.MultibootHeader(0x3, checksumError: 1));
        Elf32Builder.MultibootHeader(0x2).CopyTo(image, 0x100);
        var h = MultibootHeader.Find(image, "k");
        Assert.Equal(0x100, h.Offset);
        Assert.Equal(2u, h.Flags);
    }

    [Fact]
    public void ReadsTheAddressFields()
    {
        var header = Elf32Builder.MultibootHeader(0x10003, headerAddr: 0x100040, loadAddr: 0x100000, loadEndAddr: 0x101000, bssEndAddr: 0x102000, entryAddr: 0x100060);
        var h = MultibootHeader.Find(ImageWithHeaderAt(0x40, header), "k");
        Assert.True(h.HasAddressFields);
        Assert.Equal(0x100040u, h.HeaderAddress);
        Assert.Equal(0x100000u, h.LoadAddress);
        Assert.Equal(0x101000u, h.LoadEndAddress);
        Assert.Equal(0x102000u, h.BssEndAddress);
        Assert.Equal(0x100060u, h.EntryAddress);
    }
}
