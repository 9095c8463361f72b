using System.Buffers.Binary;
using System.IO.Compression;
using System.Text;

namespace Emulator.Host.Display;

/// <summary>A minimal PNG encoder (RGBA, 8 bits per channel, no filtering, zlib through <see cref="ZLibStream"/>), for screenshots.</summary>
public static class PngWriter
{
    private static readonly uint[] CrcTable = BuildCrcTable();

    /// <summary>Writes <paramref name="rgba"/> (<paramref name="width"/>×<paramref name="height"/>, top row first) as a PNG file.</summary>
    public static void Write(string path, byte[] rgba, int width, int height)
    {
        using var file = File.Create(path);
        Write(file, rgba, width, height);
    }

    public static void Write(Stream output, byte[] rgba, int width, int height)
    {
        if (width <= 0 || height <= 0 || rgba.Length != width * height * 4)
            throw new ArgumentException($"expected {width}x{height} RGBA pixels ({width * height * 4} bytes), got {rgba.Length} bytes");
        output.Write([0x89, (byte)'P', (byte)'N', (byte)'G', 0x0D, 0x0A, 0x1A, 0x0A]);

        var header = new byte[13];
        BinaryPrimitives.WriteInt32BigEndian(header, width);
        BinaryPrimitives.WriteInt32BigEndian(header.AsSpan(4), height);
        header[8] = 8; // bits per channel
        header[9] = 6; // colour type: RGBA
        WriteChunk(output, "IHDR", header);

        using var compressed = new MemoryStream();
        using (var z = new ZLibStream(compressed, CompressionLevel.Optimal, leaveOpen: true))
        {
            int stride = width * 4;
            for (int y = 0; y < height; y++)
            {
                z.WriteByte(0); // filter: none
                z.Write(rgba, y * stride, stride);
            }
        }
        WriteChunk(output, "IDAT", compressed.ToArray());
        WriteChunk(output, "IEND", []);
    }

    private static void WriteChunk(Stream output, string type, byte[] data)
    {
        var lengthAndType = new byte[8];
        BinaryPrimitives.WriteInt32BigEndian(lengthAndType, data.Length);
        Encoding.ASCII.GetBytes(type, 0, 4, lengthAndType, 4);
        output.Write(lengthAndType);
        output.Write(data);
        uint crc = 0xFFFFFFFF;
        crc = Update(crc, lengthAndType.AsSpan(4));
        crc = Update(crc, data);
        var crcBytes = new byte[4];
        BinaryPrimitives.WriteUInt32BigEndian(crcBytes, crc ^ 0xFFFFFFFF);
        output.Write(crcBytes);
    }

    private static uint Update(uint crc, ReadOnlySpan<byte> data)
    {
        foreach (byte b in data) crc = CrcTable[(crc ^ b) & 0xFF] ^ (crc >> 8);
        return crc;
    }

    /// <summary>The CRC-32 of ISO 3309 / ITU-T V.42 that PNG chunks carry.</summary>
    public static uint Crc32(ReadOnlySpan<byte> data) => Update(0xFFFFFFFF, data) ^ 0xFFFFFFFF;

    private static uint[] BuildCrcTable()
    {
        var table = new uint[256];
        for (uint n = 0; n < 256; n++)
        {
            uint c = n;
            for (int k = 0; k < 8; k++) c = (c & 1) != 0 ? 0xEDB88320 ^ (c >> 1) : c >> 1;
            table[n] = c;
        }
        return table;
    }
}
