/*
 * Multiboot v1 header and 32-bit entry (Multiboot Specification 0.6.96, section 3.1).
 * The boot loader enters here in flat protected mode with EAX = 0x2BADB002 and
 * EBX = the multiboot information structure; the stack is undefined, so set one up.
 */
#define MB_MAGIC 0x1BADB002
#define MB_FLAGS 0x00000003 /* bit 0: page-align modules, bit 1: memory information */

    .section .multiboot, "a"
    .align 4
    .long MB_MAGIC
    .long MB_FLAGS
    .long -(MB_MAGIC + MB_FLAGS)

    .text
    .globl _start
_start:
    movl $stack_top, %esp
    xorl %ebp, %ebp
    pushl %ebx          /* guest_main(magic, info) */
    pushl %eax
    call guest_main
1:  cli
    hlt
    jmp 1b

    .bss
    .align 16
stack_bottom:
    .skip 16384
stack_top:

    /* No executable stack is needed (silences ld's warning). */
    .section .note.GNU-stack, "", @progbits
