using System.Buffers.Binary;
using System.Text;
using Emulator.Core.Hypervisor;
using Emulator.Core.Loading;
using Emulator.Core.Machine;
using Emulator.Tests.Support;
using Iced.Intel;
using static Iced.Intel.AssemblerRegisters;

namespace Emulator.Tests.Hypervisor;

/// <summary>
/// Tiny PV guests for hypervisor tests: 32-bit code assembled with Iced at <see cref="Code"/>
/// (VIRT_BASE 0, kernel at 1 MiB), the hypercall page right after it, then a results page and a
/// scratch page, wrapped in an ELF with the Xen notes. <see cref="Run"/> builds the domain and runs it.
/// </summary>
public sealed class PvGuest
{
    public const uint Code = 0x100000;
    public const uint HypercallPage = Code + 0x1000;
    /// <summary>Where guests store their results (one dword per slot).</summary>
    public const uint Results = Code + 0x2000;
    public const uint Scratch = Code + 0x3000;
    public const uint ImageSize = 0x4000;
    public const uint DomainPages = 2048; // 8 MiB

    public static uint Err(int errno) => unchecked((uint)-errno);

    /// <summary>call hypercall_page + 32*nr.</summary>
    public static void Hcall(Assembler a, int nr) => a.call(HypercallPage + 32u * (uint)nr);

    /// <summary>sched_op(shutdown, reason) with the reason stored in the scratch page.</summary>
    public static void Shutdown(Assembler a, uint reason)
    {
        a.mov(__dword_ptr[Scratch + 0xFF0], reason);
        a.mov(ebx, 2);
        a.mov(ecx, Scratch + 0xFF0);
        Hcall(a, XenAbi.SchedOp);
        a.hlt(); // never reached: shutdown does not return (a #GP at ring 1 if it did)
    }

    /// <summary>Stores EAX into result slot <paramref name="slot"/>.</summary>
    public static void Store(Assembler a, int slot) => a.mov(__dword_ptr[Results + (uint)slot * 4], eax);

    public static List<(string, uint, byte[])> DefaultNotes() => new()
    {
        ("Xen", XenAbi.NoteGuestOs, Z("TestGuest")),
        ("Xen", XenAbi.NoteXenVersion, Z("xen-3.0")),
        ("Xen", XenAbi.NoteLoader, Z("generic")),
        ("Xen", XenAbi.NotePaeMode, Z("yes")),
        ("Xen", XenAbi.NoteVirtBase, U32(0)),
        ("Xen", XenAbi.NoteEntry, U32(Code)),
        ("Xen", XenAbi.NoteHypercallPage, U32(HypercallPage)),
    };

    public static byte[] Z(string s) => Encoding.ASCII.GetBytes(s + "\0");
    public static byte[] U32(uint v) { var b = new byte[4]; BinaryPrimitives.WriteUInt32LittleEndian(b, v); return b; }

    public static byte[] BuildImage(Action<Assembler> code, List<(string, uint, byte[])>? notes = null)
    {
        var a = new Assembler(32);
        code(a);
        var ms = new MemoryStream();
        a.Assemble(new StreamCodeWriter(ms), Code);
        var bytes = ms.ToArray();
        if (bytes.Length > 0x1000) throw new InvalidOperationException("test guest code is larger than a page");
        var elf = new Elf32Builder { Entry = Code };
        elf.AddLoad(Code, bytes, ImageSize);
        elf.Notes.AddRange(notes ?? DefaultNotes());
        return elf.Build();
    }

    public Machine Machine { get; }
    public XenHypervisor Hv { get; }
    public XenDomainInfo Info { get; }
    public MemoryStream Console { get; } = new();
    public List<HypercallEvent> Events { get; } = new();

    public PvGuest(Action<Assembler> code, ulong seed = 1, string? cmdline = null, uint pages = DomainPages)
        : this(BuildImage(code), seed, cmdline, pages) { }

    public PvGuest(byte[] image, ulong seed = 1, string? cmdline = null, uint pages = DomainPages)
    {
        Machine = new Machine((uint)XenHypervisor.MachineRamBytes(pages));
        Hv = new XenHypervisor(Machine.Cpu, Machine, pages, seed, Console);
        Hv.HypercallCompleted += e => Events.Add(e);
        Info = DomainBuilder.Build(Hv, ElfImage.Parse(image, "test.elf"), cmdline);
    }

    public MachineExit Run(ulong maxInstructions = 1_000_000) => Machine.Run(maxInstructions);

    public uint Result(int slot)
    {
        Assert.True(Hv.ReadGuest32(Results + (uint)slot * 4, out uint v));
        return v;
    }

    public string ConsoleText => Encoding.ASCII.GetString(Console.ToArray());
}
