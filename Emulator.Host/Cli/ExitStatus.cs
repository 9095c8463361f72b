namespace Emulator.Host.Cli;

/// <summary>The process exit statuses of `emu` (also listed in the help text).</summary>
public static class ExitStatus
{
    /// <summary>The guest powered off, or help/version was shown.</summary>
    public const int Success = 0;
    /// <summary>`emu trace diff`: the traces differ.</summary>
    public const int TracesDiffer = 1;
    /// <summary>Bad command line, bad image, or a feature that is not implemented yet.</summary>
    public const int Usage = 2;
    /// <summary>The guest crashed (triple fault) or halted with nothing left to wake it.</summary>
    public const int GuestCrash = 4;
    /// <summary>An error inside the emulator itself (a bug): reported, never a stack dump on the console.</summary>
    public const int InternalError = 70;
    /// <summary>--max-instructions was reached.</summary>
    public const int InstructionLimit = 124;
    /// <summary>Interrupted with Ctrl-C.</summary>
    public const int Interrupted = 130;
}
