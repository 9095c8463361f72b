/*
 * The image's two entry points and the headers that name them:
 *  - the multiboot v1 header (Multiboot Specification 0.6.96 §3.1): _start, flat protected mode,
 *    paging off, ring 0, EAX = 0x2BADB002, EBX = the multiboot information;
 *  - the Xen ELF notes (XEN-ABI.md §5, "ELF notes"; name "Xen"): xen_start, ring 1, paging on with
 *    pseudo-physical memory identity-mapped at VIRT_BASE = 0, ESI = start_info (XEN-ABI.md §4).
 */
#define MB_MAGIC 0x1BADB002
#define MB_FLAGS 0x00000003 /* bit 0: page-align modules, bit 1: memory information */

    .section .multiboot, "a"
    .align 4
    .long MB_MAGIC
    .long MB_FLAGS
    .long -(MB_MAGIC + MB_FLAGS)

#include "xen_note.h"

    XEN_PV32_NOTES("toykernel", "4", xen_start, hypercall_page)  /* GUEST_VERSION: issue 4 */

    .text
    .globl _start
_start:
    movl $boot_stack_top, %esp
    xorl %ebp, %ebp
    pushl $0            /* no start_info: multiboot path */
    pushl %ebx          /* tk_boot(magic, info, start_info) */
    pushl %eax
    call tk_boot
1:  cli
    hlt
    jmp 1b

    .globl xen_start
xen_start:
    movl $boot_stack_top, %esp
    xorl %ebp, %ebp
    pushl %esi          /* start_info */
    pushl $0
    pushl $0
    call tk_boot
2:  jmp 2b

    /*
     * The hypercall page: the Xen domain builder fills it (128 slots of 32 bytes) before the
     * first instruction runs; natively it is never called. 0xCC (int3) like Xen's filler.
     */
    .section .text.hypercall_page, "ax"
    .balign 4096
    .globl hypercall_page
hypercall_page:
    .fill 4096, 1, 0xCC

    .bss
    .balign 4096
    .globl boot_stack_bottom, boot_stack_top
boot_stack_bottom:
    .skip 16384
boot_stack_top:

    .section .note.GNU-stack, "", @progbits
