namespace Emulator.Tests.Support;

/// <summary>A test that needs an X server: skipped, saying why, when Xvfb is not installed.</summary>
public sealed class XvfbFactAttribute : FactAttribute
{
    public XvfbFactAttribute()
    {
        if (!XvfbServer.IsInstalled) Skip = XvfbServer.MissingMessage;
    }
}
