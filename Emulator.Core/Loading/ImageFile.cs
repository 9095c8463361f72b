namespace Emulator.Core.Loading;

/// <summary>Reads image files, turning every I/O failure into a <see cref="LoadException"/>.</summary>
public static class ImageFile
{
    /// <summary>Files larger than this are refused before reading (nothing a 32-bit machine loads is bigger).</summary>
    public const long MaxBytes = 1L << 30;

    public static byte[] Read(string path)
    {
        try
        {
            var info = new FileInfo(path);
            if (Directory.Exists(path)) throw new LoadException(path, "is a directory, not an image file");
            if (!info.Exists) throw new LoadException(path, "no such file");
            if (info.Length > MaxBytes) throw new LoadException(path, $"the file is too large ({info.Length} bytes; at most {MaxBytes} are accepted)");
            return File.ReadAllBytes(path);
        }
        catch (LoadException) { throw; }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or ArgumentException or NotSupportedException)
        {
            throw new LoadException(path, $"cannot read the file: {e.Message}", e);
        }
    }
}
