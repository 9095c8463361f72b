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

#endif
