namespace Emulator.Core.Fuzzing.Differential;

/// <summary>
/// One side of a differential comparison: loads a case (its code, registers, flags and window
/// contents at the mode's CS:EIP), executes one instruction at a time and reports the state.
/// Implemented by our interpreter and by QEMU driven through its gdb stub.
/// </summary>
public interface IDiffCpu : IDisposable
{
    string Name { get; }

    /// <summary>Puts the case's code at <see cref="DiffLayout.CodeBase"/> and its initial state in the CPU.</summary>
    void Load(DiffCase diffCase);

    /// <summary>Executes one instruction (or one iteration of a REP string instruction).</summary>
    void Step();

    DiffState Read();

    /// <summary>EIP alone (cheaper than <see cref="Read"/>: for stepping a REP instruction to its end).</summary>
    uint ReadEip();

    /// <summary>Overwrites EFLAGS (to carry the reference's value of flags the SDM leaves undefined).</summary>
    void WriteEflags(uint value);

    /// <summary>Overwrites memory (to carry the reference's bytes where the SDM lets implementations differ).</summary>
    void WriteMemory(uint address, byte[] bytes);

    /// <summary>Overwrites a general register (to carry the reference's value of an undefined result).</summary>
    void WriteRegister(int index, uint value);
}
