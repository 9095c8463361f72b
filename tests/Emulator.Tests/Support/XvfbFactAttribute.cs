namespace Emulator.Tests.Support;

/// <summary>
/// A test that needs an X server: skipped, saying why, when Xvfb is not installed (or, with
/// <see cref="NeedsXdotool"/>, when xdotool, which types into a window, is not).
/// </summary>
public sealed class XvfbFactAttribute : FactAttribute
{
    public XvfbFactAttribute()
    {
        if (!XvfbServer.IsInstalled) Skip = XvfbServer.MissingMessage;
    }

    public bool NeedsXdotool
    {
        get => false;
        init
        {
            if (value && Skip == null && XvfbServer.FindExecutable("xdotool") == null)
                Skip = "xdotool is not installed (apt-get install xdotool; .ci/run does it)";
        }
    }
}
