namespace Emulator.Host.Benchmarking;

/// <summary>A case that did not end as a correct run does, or not the same way every time: its figures would mean nothing.</summary>
public sealed class BenchCaseFailedException : Exception
{
    public BenchCaseFailedException(string message) : base(message) { }
}
