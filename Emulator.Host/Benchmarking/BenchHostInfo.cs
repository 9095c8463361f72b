using System.Diagnostics;
using System.Reflection;
using System.Runtime.InteropServices;

namespace Emulator.Host.Benchmarking;

/// <summary>
/// What the figures of a bench report were measured on (nothing that identifies a user or a host).
/// <paramref name="OptimizedBuild"/> is false for a Debug build of the emulator, whose figures mean little
/// (null: not recorded, in a file written before the field existed).
/// </summary>
public sealed record BenchHostInfo(int ProcessorCount, string OperatingSystem, string Architecture, string DotnetVersion,
    bool? OptimizedBuild = null)
{
    public static BenchHostInfo Current() => new(
        Environment.ProcessorCount,
        RuntimeInformation.OSDescription,
        RuntimeInformation.ProcessArchitecture.ToString(),
        RuntimeInformation.FrameworkDescription,
        IsOptimizedBuild(typeof(Emulator.Core.Machine.Machine).Assembly));

    /// <summary>False when the assembly was compiled with the JIT optimizer disabled (a Debug build).</summary>
    public static bool IsOptimizedBuild(Assembly assembly) =>
        assembly.GetCustomAttribute<DebuggableAttribute>() is not { IsJITOptimizerDisabled: true };
}
