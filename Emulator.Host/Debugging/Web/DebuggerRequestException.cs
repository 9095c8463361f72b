namespace Emulator.Host.Debugging.Web;

/// <summary>A web debugger request that cannot be carried out (bad JSON, unknown command, bad number...): its message is the error reply.</summary>
public sealed class DebuggerRequestException(string message) : Exception(message);
