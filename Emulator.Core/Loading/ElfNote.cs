namespace Emulator.Core.Loading;

/// <summary>
/// One ELF note (System V ABI, "Note Section"): an owner name such as "Xen" or "GNU", a type, and a
/// descriptor. The Xen domain builder reads the kernel's Xen notes from these.
/// </summary>
public sealed record ElfNote(string Name, uint Type, byte[] Descriptor);
