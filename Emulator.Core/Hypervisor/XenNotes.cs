using Emulator.Core.Loading;
using static Emulator.Core.Hypervisor.XenAbi;

namespace Emulator.Core.Hypervisor;

/// <summary>
/// The Xen ELF notes a PV kernel carries (name "Xen", XEN-ABI.md §5): what the domain builder needs.
/// GUEST_OS, XEN_VERSION ("xen-3.0"), LOADER ("generic"), PAE_MODE ("yes..."), VIRT_BASE, ENTRY and
/// HYPERCALL_PAGE are required; FEATURES is optional. A missing or wrong note is a
/// <see cref="LoadException"/> naming it.
/// </summary>
public sealed record XenNotes(string GuestOs, string XenVersion, string Loader, string PaeMode, uint VirtBase, uint Entry,
    uint HypercallPage, string Features)
{
    public static XenNotes Parse(ElfImage elf)
    {
        string file = elf.FileName;
        var byType = new Dictionary<uint, byte[]>();
        foreach (var n in elf.Notes)
            if (n.Name == "Xen") byType.TryAdd(n.Type, n.Descriptor);
        if (byType.Count == 0)
            throw new LoadException(file, "no Xen ELF notes: not a Xen PV kernel (-machine xen needs the GUEST_OS, XEN_VERSION, LOADER, PAE_MODE, VIRT_BASE, ENTRY and HYPERCALL_PAGE notes)");

        byte[] Need(uint type, string name) => byType.TryGetValue(type, out var d) ? d
            : throw new LoadException(file, $"the Xen ELF note {name} (type {type}) is missing");
        string Text(uint type, string name)
        {
            var d = Need(type, name);
            int nul = Array.IndexOf(d, (byte)0);
            return System.Text.Encoding.ASCII.GetString(d, 0, nul >= 0 ? nul : d.Length);
        }
        uint Number(uint type, string name)
        {
            var d = Need(type, name);
            if (d.Length == 4) return BitConverter.ToUInt32(d);
            if (d.Length == 8)
            {
                ulong v = BitConverter.ToUInt64(d);
                if (v > uint.MaxValue) throw new LoadException(file, $"the Xen ELF note {name} holds 0x{v:X}, above 4 GiB");
                return (uint)v;
            }
            throw new LoadException(file, $"the Xen ELF note {name} has {d.Length} bytes; a 4- or 8-byte number is expected");
        }

        string guestOs = Text(NoteGuestOs, "GUEST_OS");
        string version = Text(NoteXenVersion, "XEN_VERSION");
        if (version != "xen-3.0") throw new LoadException(file, $"the Xen ELF note XEN_VERSION is '{version}'; 'xen-3.0' is expected");
        string loader = Text(NoteLoader, "LOADER");
        if (loader != "generic") throw new LoadException(file, $"the Xen ELF note LOADER is '{loader}'; 'generic' is expected");
        string pae = Text(NotePaeMode, "PAE_MODE");
        if (!pae.StartsWith("yes", StringComparison.Ordinal))
            throw new LoadException(file, $"the Xen ELF note PAE_MODE is '{pae}'; this hypervisor runs 32-bit PAE guests only ('yes')");
        uint virtBase = Number(NoteVirtBase, "VIRT_BASE");
        uint entry = Number(NoteEntry, "ENTRY");
        uint hypercallPage = Number(NoteHypercallPage, "HYPERCALL_PAGE");
        string features = byType.ContainsKey(NoteFeatures) ? Text(NoteFeatures, "FEATURES") : "";
        return new XenNotes(guestOs, version, loader, pae, virtBase, entry, hypercallPage, features);
    }
}
