namespace Emulator.Core.Hypervisor;

/// <summary>
/// Where the hypervisor puts its own structures, in machine memory and in every guest address space.
///
/// Machine frames (the machine has <see cref="TotalFrames"/> of them):
/// <list type="bullet">
/// <item>0-255: the first MiB, owned by the hypervisor and unused (keeps the PC's legacy holes out of the domain).</item>
/// <item>256: an all-zero frame (fills the guest part of the reserved GDT); 257: the reserved GDT page
/// holding the flat selectors; 258: the L1 that maps the GDT; 259: shared_info (mappable by the domain).</item>
/// <item>260..: the L1s that map the M2P table, then the M2P table itself (4 bytes per machine frame).</item>
/// <item>From <see cref="FirstDomainFrame"/> (2 MiB aligned) on: the domain's pages, in a seeded order.</item>
/// </list>
/// Virtual addresses (the hypervisor hole, from <see cref="XenAbi.HypervisorVirtStart"/> up, mapped
/// supervisor-only and read-only through the top slots of every pae_xen_l2):
/// <list type="bullet">
/// <item>0xF5800000: the read-only M2P table (machine_to_phys_mapping), as in Xen.</item>
/// <item><see cref="GdtVirt"/>: the GDT (16 pages; page 14 holds FLAT_RING1_CS 0xe019 and its siblings).</item>
/// </list>
/// The hypervisor's code and data live in C#, outside guest memory, so the hole holds nothing else.
/// </summary>
public sealed class XenMachineLayout
{
    public const uint LowReservedFrames = 256;
    public const uint ZeroFrame = 256, GdtFrame = 257, GdtL1Frame = 258, SharedInfoFrame = 259, FirstM2pL1Frame = 260;
    public const uint M2pVirt = XenAbi.HypervisorVirtStart;
    public const uint GdtVirt = 0xFC000000;
    public const uint GdtPages = 16;
    /// <summary>The GDT page that holds the hypervisor's flat selectors (0xe019 is entry 7171: page 14, slot 3).</summary>
    public const uint ReservedGdtPage = 14;

    public uint DomainPages { get; }
    public uint M2pFrames { get; }
    public uint M2pL1Frames { get; }
    public uint FirstM2pFrame => FirstM2pL1Frame + M2pL1Frames;
    public uint FirstDomainFrame { get; }
    public uint TotalFrames => FirstDomainFrame + DomainPages;
    public ulong MachineBytes => (ulong)TotalFrames << 12;

    public XenMachineLayout(uint domainPages)
    {
        DomainPages = domainPages;
        uint reserved = 512;
        while (true)
        {
            uint total = reserved + domainPages;
            uint m2p = (total + 1023) / 1024;
            uint l1s = (m2p + 511) / 512;
            uint need = FirstM2pL1Frame + l1s + m2p;
            uint rounded = (need + 511) & ~511u;
            M2pFrames = m2p;
            M2pL1Frames = l1s;
            if (rounded <= reserved) break;
            reserved = rounded;
        }
        FirstDomainFrame = reserved;
    }

    /// <summary>The machine address of M2P entry <paramref name="mfn"/>.</summary>
    public uint M2pEntryAddress(uint mfn) => (FirstM2pFrame << 12) + mfn * 4;
}
