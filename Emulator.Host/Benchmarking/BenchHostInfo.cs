using System.Runtime.InteropServices;

namespace Emulator.Host.Benchmarking;

/// <summary>What the figures of a bench report were measured on (nothing that identifies a user or a host).</summary>
public sealed record BenchHostInfo(int ProcessorCount, string OperatingSystem, string Architecture, string DotnetVersion)
{
    public static BenchHostInfo Current() => new(
        Environment.ProcessorCount,
        RuntimeInformation.OSDescription,
        RuntimeInformation.ProcessArchitecture.ToString(),
        RuntimeInformation.FrameworkDescription);
}
