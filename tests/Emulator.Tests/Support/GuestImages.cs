namespace Emulator.Tests.Support;

/// <summary>The guest images built by guests/Makefile (the Emulator.Host build runs it).</summary>
public static class GuestImages
{
    /// <summary>The repository root: the first directory above the test assembly holding guests/Makefile.</summary>
    public static string RepositoryRoot
    {
        get
        {
            for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir != null; dir = dir.Parent)
                if (File.Exists(Path.Combine(dir.FullName, "guests", "Makefile"))) return dir.FullName;
            throw new InvalidOperationException($"no guests/Makefile above {AppContext.BaseDirectory}");
        }
    }

    public static string BuildDirectory => Path.Combine(RepositoryRoot, "guests", "build");

    /// <summary>The path of a built guest; fails the test with a clear message when it is not built.</summary>
    public static string Find(string name)
    {
        string p = Path.Combine(BuildDirectory, name);
        if (!File.Exists(p)) throw new InvalidOperationException($"{p} is not built (dotnet build runs make -C guests)");
        return p;
    }

    public static string Hello => Find("hello.elf");
    public static string Loop => Find("loop.elf");
    public static string Bench => Find("bench.elf");
    public static string ToyKernel => Find("toykernel.elf");
    public static string Hostile => Find("hostile.elf");
}
