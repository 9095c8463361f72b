namespace Emulator.Tests.Support;

/// <summary>A private temporary directory for image files, deleted when disposed.</summary>
public sealed class TempFiles : IDisposable
{
    public string Directory { get; } = Path.Combine(Path.GetTempPath(), "emu-tests-" + Guid.NewGuid().ToString("N"));

    public TempFiles() => System.IO.Directory.CreateDirectory(Directory);

    public string Write(string name, byte[] bytes)
    {
        string path = Path.Combine(Directory, name);
        File.WriteAllBytes(path, bytes);
        return path;
    }

    public string PathOf(string name) => Path.Combine(Directory, name);

    public void Dispose()
    {
        try { System.IO.Directory.Delete(Directory, recursive: true); } catch (IOException) { }
    }
}
