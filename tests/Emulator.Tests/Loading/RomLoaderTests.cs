using Emulator.Core.Loading;
using Emulator.Tests.Support;
using Cpu = Emulator.Core.Cpu.Cpu;
using Machine = Emulator.Core.Machine.Machine;

namespace Emulator.Tests.Loading;

public sealed class RomLoaderTests : IDisposable
{
    private readonly TempFiles _files = new();

    public void Dispose() => _files.Dispose();

    private static byte[] Pattern(int size)
    {
        var rom = new byte[size];
        for (int i = 0; i < size; i++) rom[i] = (byte)((i >> 12) * 7 + i);
        return rom;
    }

    [Theory]
    [InlineData(0)]
    [InlineData(1000)]
    [InlineData(4096 + 512)]
    [InlineData(16 * 1024 * 1024 + 4096)]
    public void RomOfABadSizeIsRefused(int size)
    {
        string path = _files.Write("bad.rom", new byte[size]);
        var m = new Machine(16 * 1024 * 1024);
        var e = Assert.Throws<LoadException>(() => RomLoader.Load(m.Memory, m.Cpu, path));
        Assert.Equal($"{path}: a firmware image must be a positive multiple of 4 KiB and at most 16 MiB; this one is {size} bytes", e.Message);
    }

    [Fact]
    public void MissingRom()
    {
        string path = _files.PathOf("none.rom");
        var m = new Machine(16 * 1024 * 1024);
        Assert.Equal($"{path}: no such file", Assert.Throws<LoadException>(() => RomLoader.Load(m.Memory, m.Cpu, path)).Message);
    }

    [Fact]
    public void SmallRomIsMappedBelow4GiBAndBelow1MiB()
    {
        var rom = Pattern(64 * 1024);
        var m = new Machine(16 * 1024 * 1024);
        var map = RomLoader.Load(m.Memory, m.Cpu, _files.Write("bios.rom", rom));

        Assert.Equal(0xFFFF0000u, map.HighBase);
        Assert.Equal(0xF0000u, map.LowBase);
        for (int i = 0; i < rom.Length; i += 97)
        {
            Assert.Equal(rom[i], m.Memory.Read8(0xFFFF0000u + (uint)i));
            Assert.Equal(rom[i], m.Memory.Read8(0xF0000u + (uint)i));
        }
        // The reset vector is the ROM's last 16 bytes.
        Assert.Equal(rom[^16], m.Memory.Read8(0xFFFFFFF0));
        // ROM ignores writes.
        m.Memory.Write8(0xF0000, (byte)~rom[0]);
        Assert.Equal(rom[0], m.Memory.Read8(0xF0000));
    }

    [Fact]
    public void LargeRomShowsOnlyItsLast128KiBBelow1MiB()
    {
        var rom = Pattern(256 * 1024);
        var m = new Machine(16 * 1024 * 1024);
        m.Memory.Write8(0xDFFFF, 0x5A);
        var map = RomLoader.Load(m.Memory, m.Cpu, _files.Write("bios.rom", rom));

        Assert.Equal(0xFFFC0000u, map.HighBase);
        Assert.Equal(0xE0000u, map.LowBase);
        Assert.Equal(rom[0], m.Memory.Read8(0xFFFC0000));
        Assert.Equal(rom[128 * 1024], m.Memory.Read8(0xE0000));   // first byte of the last 128 KiB
        Assert.Equal(rom[^1], m.Memory.Read8(0xFFFFF));
        Assert.Equal(0x5A, m.Memory.Read8(0xDFFFF));               // RAM below the alias is untouched
    }

    [Fact]
    public void CpuStaysAtTheResetVector()
    {
        var m = new Machine(16 * 1024 * 1024);
        RomLoader.Load(m.Memory, m.Cpu, _files.Write("bios.rom", Pattern(64 * 1024)));
        var c = m.Cpu;
        Assert.Equal(0xF000, c.Segs[Cpu.CS].Selector);
        Assert.Equal(0xFFFF0000u, c.Segs[Cpu.CS].Base);
        Assert.Equal(0xFFF0u, c.Eip);
        Assert.False(c.ProtectedMode);
    }
}
