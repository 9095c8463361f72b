namespace Emulator.Core.Input;

/// <summary>A key event of the input log and the virtual time (instructions retired) it enters the machine at.</summary>
public readonly record struct RecordedInput(ulong Tick, KeyInput Key);
