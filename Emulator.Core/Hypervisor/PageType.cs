namespace Emulator.Core.Hypervisor;

/// <summary>
/// The type a machine frame is in use as (XEN-ABI.md §6). <see cref="L2Xen"/> is an L2 referenced
/// from slot 3 of a PAE L3 (Xen's "pae_xen_l2"): it carries the hypervisor's own mappings in its top
/// slots, so it is a distinct type that cannot be shared with an ordinary L2 use.
/// </summary>
public enum PageType : byte { None, L1, L2, L2Xen, L3, Writable, SegDesc }

/// <summary>Who a machine frame belongs to.</summary>
public enum FrameOwner : byte { None, Xen, Domain }
