using Emulator.Host.Benchmarking;

namespace Emulator.Tests.Host;

public class BenchProgressTests
{
    [Fact]
    public void OnATerminalTheLineIsRewrittenInPlaceAndClearedAtTheEnd()
    {
        var stderr = new StringWriter();
        var progress = new BenchProgress(stderr, terminal: true);
        progress.Report("alu run 10/10");
        progress.Report("mem run 1/10");
        progress.Finish();
        Assert.Equal("\rbench: alu run 10/10" + "\rbench: mem run 1/10 " + "\r" + new string(' ', 19) + "\r", stderr.ToString());
    }

    [Fact]
    public void ElsewhereEachStepIsALineOfItsOwn()
    {
        var stderr = new StringWriter();
        var progress = new BenchProgress(stderr, terminal: false);
        progress.Report("alu run 1/5");
        progress.Report("alu run 2/5");
        progress.Finish();
        Assert.Equal("bench: alu run 1/5\nbench: alu run 2/5\n", stderr.ToString().ReplaceLineEndings("\n"));
    }
}
