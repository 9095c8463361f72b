namespace Emulator.Host.Commands;

/// <summary>
/// Finds the built guest images: in the directory named by EMU_GUESTS, else in guests/build/ of the
/// repository that contains the executable (found by walking up to a directory with guests/Makefile).
/// </summary>
public static class DefaultGuest
{
    public const string EnvironmentVariable = "EMU_GUESTS";
    /// <summary>The toy kernel (guests/toykernel): paravirt self-tests in TAP, exit status 0 when all pass.</summary>
    public const string DefaultImage = "toykernel.elf";

    /// <summary>The path of a built guest image; throws <see cref="FileNotFoundException"/> with a helpful message when it is not there.</summary>
    public static string Locate(HostConsole console, string image = DefaultImage)
    {
        string? fromEnv = console.GetEnvironmentVariable(EnvironmentVariable);
        if (!string.IsNullOrEmpty(fromEnv))
        {
            string p = Path.Combine(fromEnv, image);
            if (File.Exists(p)) return p;
            throw new FileNotFoundException($"the default guest {image} is not in {EnvironmentVariable}={fromEnv}");
        }
        for (var dir = new DirectoryInfo(console.BaseDirectory); dir != null; dir = dir.Parent)
        {
            if (!File.Exists(Path.Combine(dir.FullName, "guests", "Makefile"))) continue;
            string p = Path.Combine(dir.FullName, "guests", "build", image);
            if (File.Exists(p)) return p;
            throw new FileNotFoundException(
                $"the default guest {p} is not built: build it with `make -C {Path.Combine(dir.FullName, "guests")}` (dotnet build does it too), or pass -kernel FILE");
        }
        throw new FileNotFoundException(
            $"cannot find the default guest: no guests/ directory above {console.BaseDirectory}; pass -kernel FILE or set {EnvironmentVariable} to a directory holding {image}");
    }
}
