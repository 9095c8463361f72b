using Serilog;

namespace Emulator.Devices;

/// <summary>How <see cref="PcPlatform.Attach"/> wires the PC devices to the host.</summary>
public sealed class PcPlatformOptions
{
    /// <summary>Where COM1's transmitted bytes go (flushed per byte); null discards them.</summary>
    public Stream? SerialOutput { get; set; }

    /// <summary>Where bytes written to the 0xE9 debug console go (flushed per byte); null discards them.</summary>
    public Stream? DebugConsoleOutput { get; set; }

    /// <summary>The RTC's date and time at power-on; null means <see cref="CmosRtc.DefaultBaseTime"/> (never the host clock).</summary>
    public DateTime? RtcBaseTime { get; set; }

    /// <summary>The logger devices use; null means the machine's logger.</summary>
    public ILogger? Logger { get; set; }
}
