using CsCheck;
using Emulator.Host.Cli;
using Emulator.Tests.Support;

namespace Emulator.Tests.Host;

/// <summary>
/// `emu run` end to end on mutants of a real multiboot kernel (CsCheck, fixed seed): whatever the
/// loader accepts runs (or crashes as a guest) until --max-instructions, and whatever it refuses is
/// one line on stderr with status 2. Never an internal error (status 70) or an exception escaping.
/// </summary>
public sealed class MalformedKernelRunTests : IDisposable
{
    private readonly TempFiles _files = new();

    public void Dispose() => _files.Dispose();

    [Fact]
    public void MutatedKernelsRunOrAreRefusedInOneLine()
    {
        int refused = 0, ran = 0;
        MutatedBytes.Of(File.ReadAllBytes(GuestImages.Loop)).Sample(bytes =>
        {
            string kernel = _files.Write("mutant.elf", bytes);
            var (status, _, stderr) = CapturedCli.Emu("run", "-kernel", kernel, "-m", "8", "-serial", "none", "--max-instructions", "20000");
            Assert.NotEqual(ExitStatus.InternalError, status);
            if (status == ExitStatus.Usage)
            {
                refused++;
                Assert.StartsWith("emu: ", stderr);
                Assert.Single(stderr.TrimEnd('\n').Split('\n'));
            }
            else ran++;
        }, seed: "000000000000", iter: 120, threads: 1);
        Assert.True(refused > 0 && ran > 0, $"refused {refused}, ran {ran}: the mutants should reach both the loader's errors and the CPU");
    }
}
