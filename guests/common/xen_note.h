/*
 * One Xen ELF note for assembly sources (XEN-ABI.md §5 "ELF notes"): namesz, descsz, type, "Xen\0",
 * then the descriptor, each padded to 4 bytes. Use inside a .note.Xen section.
 */
#ifndef GUEST_XEN_NOTE_H
#define GUEST_XEN_NOTE_H

#define XEN_NOTE(type, desc)                \
    .balign 4;                              \
    .long 2f - 1f;                          \
    .long 4f - 3f;                          \
    .long type;                             \
1:  .asciz "Xen";                           \
2:  .balign 4;                              \
3:  desc;                                   \
4:  .balign 4

/*
 * The notes of a 32-bit PAE PV kernel linked at VIRT_BASE 0 (pseudo-physical memory identity-mapped):
 * its name and version, the loader and Xen versions it speaks, ENTRY and HYPERCALL_PAGE, and the
 * FEATURES it needs (XEN-ABI.md §4 "PV32 entry state", §5 "ELF notes").
 */
#define XEN_PV32_NOTES(guest_os, guest_version, entry, hypercall_page)      \
    .pushsection .note.Xen, "a";                                              \
    XEN_NOTE(6, .asciz guest_os);                             /* GUEST_OS */   \
    XEN_NOTE(7, .asciz guest_version);                        /* GUEST_VERSION */ \
    XEN_NOTE(5, .asciz "xen-3.0");                            /* XEN_VERSION */ \
    XEN_NOTE(8, .asciz "generic");                            /* LOADER */     \
    XEN_NOTE(9, .asciz "yes");                                /* PAE_MODE */   \
    XEN_NOTE(3, .long 0);                                     /* VIRT_BASE */  \
    XEN_NOTE(4, .long 0);                                     /* PADDR_OFFSET */ \
    XEN_NOTE(1, .long entry);                                 /* ENTRY */      \
    XEN_NOTE(2, .long hypercall_page);                        /* HYPERCALL_PAGE */ \
    XEN_NOTE(10, .asciz "!writable_page_tables|pae_pgdir_above_4gb"); /* FEATURES */ \
    .popsection

#endif
