namespace Emulator.Host.Benchmarking;

/// <summary>A saved bench result that cannot be read: missing, unreadable, not JSON, or not an emu-bench report.</summary>
public sealed class BenchReportFormatException : Exception
{
    public BenchReportFormatException(string message, Exception? inner = null) : base(message, inner) { }
}
