using Serilog;
using Serilog.Core;
using Serilog.Events;
using Serilog.Formatting.Display;

namespace Emulator.Host.Logging;

/// <summary>
/// Builds the Serilog logger of a run: to stderr always (stdout carries only the guest's console),
/// and to a file on request (--log-file).
/// </summary>
public static class LoggingSetup
{
    private const string ConsoleTemplate = "[{Level:u3}] {Message:lj}{NewLine}{Exception}";
    private const string FileTemplate = "{Timestamp:yyyy-MM-dd HH:mm:ss.fff} [{Level:u3}] {Message:lj}{NewLine}{Exception}";

    /// <param name="stderr">The stream for messages; when <paramref name="useConsoleSink"/> is true the process's standard error is used through Serilog's console sink instead.</param>
    public static Logger Create(LogEventLevel level, string? logFile, TextWriter stderr, bool useConsoleSink)
    {
        var config = new LoggerConfiguration().MinimumLevel.Is(level);
        if (useConsoleSink)
            config.WriteTo.Console(outputTemplate: ConsoleTemplate, standardErrorFromLevel: LogEventLevel.Verbose,
                formatProvider: System.Globalization.CultureInfo.InvariantCulture);
        else
            config.WriteTo.Sink(new TextWriterSink(stderr,
                new MessageTemplateTextFormatter(ConsoleTemplate, System.Globalization.CultureInfo.InvariantCulture)));
        if (logFile != null)
            config.WriteTo.File(logFile, outputTemplate: FileTemplate,
                formatProvider: System.Globalization.CultureInfo.InvariantCulture);
        return config.CreateLogger();
    }
}
