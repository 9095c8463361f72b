using Emulator.Host.Benchmarking;

namespace Emulator.Tests.Support;

/// <summary>A fact that needs qemu-system-i386 on PATH: skipped, saying so, when it is not installed.</summary>
public sealed class QemuFactAttribute : FactAttribute
{
    public static readonly string? QemuPath = QemuReference.Locate(Environment.GetEnvironmentVariable)?.Path;

    public QemuFactAttribute()
    {
        if (QemuPath == null)
            Skip = "qemu-system-i386 is not installed (Debian: apt-get install qemu-system-x86); the differential CPU tests need it";
    }
}
