using Emulator.Core.Tracing;
using Serilog;

namespace Emulator.Core.Bus;

/// <summary>
/// The 64 KiB I/O port space. Dispatch is one array index per access. Unclaimed ports read as
/// all ones and ignore writes; each unclaimed port is logged once at debug level.
/// </summary>
public sealed class PortBus
{
    private readonly IPortDevice?[] _devices = new IPortDevice?[0x10000];
    private readonly bool[] _loggedUnclaimed = new bool[0x10000];
    private readonly ILogger _log;

    public PortBus(ILogger? log = null) => _log = log ?? Serilog.Log.Logger;

    /// <summary>Records every access when the trace level is full; null otherwise (one null check per access).</summary>
    public Tracer? Tracer;

    /// <summary>The debugger's port breakpoints: told of every access (port, write, value); null otherwise.</summary>
    public Action<ushort, bool, uint>? DebugAccess;

    /// <summary>Claims <paramref name="count"/> consecutive ports starting at <paramref name="first"/>.</summary>
    public void Register(ushort first, int count, IPortDevice device)
    {
        for (int p = first; p < first + count; p++)
        {
            if (_devices[p] is { } existing && existing != device)
                throw new InvalidOperationException($"Port 0x{p:X4} is already claimed by {existing.GetType().Name}");
            _devices[p] = device;
        }
    }

    public IPortDevice? DeviceAt(ushort port) => _devices[port];

    public uint Read(ushort port, int size)
    {
        var dev = _devices[port];
        uint value;
        if (dev != null) value = dev.ReadPort(port, size);
        else
        {
            LogUnclaimed(port, "read");
            value = size == 1 ? 0xFFu : size == 2 ? 0xFFFFu : 0xFFFFFFFFu;
        }
        Tracer?.Emit(new IoEvent(Tracer.Now, false, port, size, value));
        DebugAccess?.Invoke(port, false, value);
        return value;
    }

    public void Write(ushort port, int size, uint value)
    {
        Tracer?.Emit(new IoEvent(Tracer.Now, true, port, size, value));
        DebugAccess?.Invoke(port, true, value);
        var dev = _devices[port];
        if (dev != null) { dev.WritePort(port, size, value); return; }
        LogUnclaimed(port, "write");
    }

    private void LogUnclaimed(ushort port, string what)
    {
        if (_loggedUnclaimed[port]) return;
        _loggedUnclaimed[port] = true;
        _log.Debug("Unclaimed I/O port 0x{Port:X4} ({Access}); reads return all ones, writes are ignored", port, what);
    }
}
