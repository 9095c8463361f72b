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

    /// <summary>Trap table entry {vector, flags, FLAT_RING1_CS, handler} at Scratch + 8*index.</summary>
    public static void TrapEntry(Assembler a, int index, byte vector, byte flags, uint handler)
    {
        uint e = Scratch + (uint)index * 8;
        a.mov(__byte_ptr[e], vector);
        a.mov(__byte_ptr[e + 1], flags);
        a.mov(__word_ptr[e + 2], XenAbi.FlatRing1Cs);
        a.mov(__dword_ptr[e + 4], handler);
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

    /// <summary>Fixed addresses for handlers (32-bit Iced cannot take a label's address), assembled apart from the main code.</summary>
    public const uint Handler1 = Code + 0x800, Handler2 = Code + 0xC00;

    public static byte[] BuildImage(Action<Assembler> code, List<(string, uint, byte[])>? notes = null,
        Action<Assembler>? handler1 = null, Action<Assembler>? handler2 = null)
    {
        var bytes = new byte[0x1000];
        Place(bytes, Code, code, 0x800);
        if (handler1 != null) Place(bytes, Handler1, handler1, 0x400);
        if (handler2 != null) Place(bytes, Handler2, handler2, 0x400);
        var elf = new Elf32Builder { Entry = Code };
        elf.AddLoad(Code, bytes, ImageSize);
        elf.Notes.AddRange(notes ?? DefaultNotes());
        return elf.Build();
    }

    private static void Place(byte[] page, uint at, Action<Assembler> code, int room)
    {
        var a = new Assembler(32);
        code(a);
        var ms = new MemoryStream();
        a.Assemble(new StreamCodeWriter(ms), at);
        if (ms.Length > room) throw new InvalidOperationException($"test guest code at 0x{at:X} is larger than {room} bytes");
        ms.ToArray().CopyTo(page, (int)(at - Code));
    }

    public Machine Machine { get; }
    public XenHypervisor Hv { get; }
    public XenDomainInfo Info { get; }
    public MemoryStream Console { get; } = new();
    public List<HypercallEvent> Events { get; } = new();

    public PvGuest(Action<Assembler> code, ulong seed = 1, string? cmdline = null, uint pages = DomainPages,
        Action<Assembler>? handler1 = null, Action<Assembler>? handler2 = null)
        : this(BuildImage(code, null, handler1, handler2), seed, cmdline, pages) { }

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

    /// <summary>The machine frame behind a guest VA (pseudo-physical memory is mapped at VIRT_BASE 0).</summary>
    public uint MfnOf(uint va) => Hv.P2m[va >> 12];

    /// <summary>A domain frame outside the bootstrap mapping: unmapped, untyped.</summary>
    public uint FreeFrame(uint k) => Hv.P2m[(Info.VirtEnd >> 12) + k];

    /// <summary>The bootstrap L1 that maps <paramref name="va"/>, and the machine address of its entry.</summary>
    public (uint L1, uint EntryMa) L1EntryOf(uint va)
    {
        ulong l3e = Hv.Memory.Read64((Info.L3Mfn << 12) + (va >> 30) * 8);
        ulong l2e = Hv.Memory.Read64((uint)(l3e & PvMmu.AddressMask) + ((va >> 21) & 511) * 8);
        uint l1 = (uint)((l2e & PvMmu.AddressMask) >> 12);
        return (l1, (l1 << 12) + ((va >> 12) & 511) * 8);
    }
}
