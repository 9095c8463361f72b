namespace Emulator.Core.Loading;

/// <summary>
/// An image could not be loaded: a missing or unreadable file, a malformed or unsupported image,
/// or one that does not fit the machine. The message names the file and the problem in one line,
/// fit for printing as is.
/// </summary>
public sealed class LoadException : Exception
{
    /// <summary>The file the problem is about.</summary>
    public string FileName { get; }

    /// <summary>The problem alone, without the file name.</summary>
    public string Problem { get; }

    public LoadException(string fileName, string problem, Exception? inner = null)
        : base($"{fileName}: {problem}", inner)
    {
        FileName = fileName;
        Problem = problem;
    }
}
