using Emulator.Core.Input;
using Emulator.Core.Loading;
using Emulator.Core.Machine;
using Emulator.Devices;
using Emulator.Host.Display;
using Serilog.Core;

namespace Emulator.Tests.Support;

/// <summary>
/// The toy kernel booted natively with `shell` on its command line, its COM1 output captured and
/// an input log attached to its 8042 (for typing into the shell).
/// </summary>
public sealed class ShellMachine
{
    /// <summary>Virtual time by which the kernel's self-tests are done and the shell waits for keys (it is ready at about 3.4 million).</summary>
    public const ulong ShellReadyTick = 10_000_000;

    /// <summary>Virtual time between two typed key events (1 ms: the input log's poll period).</summary>
    public const ulong KeySpacing = HostInputLog.PollTicks;

    private readonly MemoryStream _serial = new();

    public Machine Machine { get; }
    public PcPlatform Platform { get; }
    public HostInputLog Input { get; }

    public ShellMachine(string append = "shell")
    {
        Machine = new Machine(32u << 20, Logger.None);
        Platform = PcPlatform.Attach(Machine, new PcPlatformOptions { SerialOutput = _serial, Logger = Logger.None });
        MultibootLoader.Prepare(Machine.Memory, GuestImages.ToyKernel, append, log: Logger.None).Install(Machine.Memory, Machine.Cpu);
        Input = Platform.Input;
    }

    /// <summary>The key events that type <paramref name="text"/>, from <paramref name="startTick"/> on, one every <see cref="KeySpacing"/>.</summary>
    public static List<RecordedInput> Script(string text, ulong startTick = ShellReadyTick)
    {
        var events = new List<RecordedInput>();
        ulong t = startTick;
        foreach (var key in UsKeyboardLayout.Type(text))
        {
            events.Add(new RecordedInput(t, key));
            t += KeySpacing;
        }
        return events;
    }

    /// <summary>Writes the input log (-input-replay) that types <paramref name="text"/> into the shell; returns its path.</summary>
    public static string WriteScript(TempFiles files, string text)
    {
        string path = files.PathOf("keys.txt");
        File.WriteAllLines(path, Script(text).Select(InputLogFile.FormatLine));
        return path;
    }

    /// <summary>Everything the guest wrote to COM1 so far (call between runs, on the machine's thread).</summary>
    public string Serial => System.Text.Encoding.Latin1.GetString(_serial.ToArray());

}
