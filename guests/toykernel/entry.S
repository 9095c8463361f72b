/*
 * Trap entry and exit, and the kernel-stack switch. Every vector pushes an error code (a dummy 0
 * when the CPU pushes none, SDM Vol. 3A §6.13) and its number, so all frames look alike
 * (struct trapframe in kernel.h).
 */
    .text

.macro ISR_NOERR n
isr\n:
    pushl $0
    pushl $\n
    jmp isr_common
.endm
.macro ISR_ERR n
isr\n:
    pushl $\n
    jmp isr_common
.endm

ISR_NOERR 0
ISR_NOERR 1
ISR_NOERR 2
ISR_NOERR 3
ISR_NOERR 4
ISR_NOERR 5
ISR_NOERR 6
ISR_NOERR 7
ISR_ERR 8
ISR_NOERR 9
ISR_ERR 10
ISR_ERR 11
ISR_ERR 12
ISR_ERR 13
ISR_ERR 14
ISR_NOERR 15
ISR_NOERR 16
ISR_ERR 17
ISR_NOERR 18
ISR_NOERR 19
ISR_NOERR 20
ISR_ERR 21
ISR_NOERR 22
ISR_NOERR 23
ISR_NOERR 24
ISR_NOERR 25
ISR_NOERR 26
ISR_NOERR 27
ISR_NOERR 28
ISR_NOERR 29
ISR_ERR 30
ISR_NOERR 31
.irp n, 32,33,34,35,36,37,38,39,40,41,42,43,44,45,46,47
ISR_NOERR \n
.endr

    .globl isr_syscall
isr_syscall:
    pushl $0
    pushl $0x80
    jmp isr_common

    /*
     * Xen's event upcall (set_callbacks / callback_op, XEN-ABI.md §3): a frame like an interrupt's,
     * EIP, CS, EFLAGS [, ESP, SS], with events masked. It takes the trap path as vector VEC_XEN_EVENT.
     */
    .globl xen_event_callback
xen_event_callback:
    pushl $0
    pushl $0x30
    jmp isr_common

    /* The failsafe callback (a segment reload on the way back failed): the trap path reports it. */
    .globl xen_failsafe_callback
xen_failsafe_callback:
    pushl $0
    pushl $0x31
    jmp isr_common

isr_common:
    pushl %ds
    pushl %es
    pushal
    /* The kernel's data selector as trap_init found it: 0x10 in ring 0, FLAT_RING1_DS under Xen. */
    movw kernel_ds, %ax
    movw %ax, %ds
    movw %ax, %es
    pushl %esp
    call trap_dispatch
    addl $4, %esp
    .globl trap_return
trap_return:
    popal
    popl %es
    popl %ds
    addl $8, %esp
    /*
     * Under Xen (ring 1) the way back is the iret hypercall: its slot pushes EAX onto the
     * EIP, CS, EFLAGS [, ESP, SS] frame left here and restores the upcall mask from the saved IF
     * (XEN-ABI.md §3). The compare clobbers only EFLAGS, which both ways reload from the frame.
     */
    cmpb $0, pv_on_xen
    jne 1f
    iret
1:  jmp hypercall_page + 23 * 32

    /* switch_to(&old->kesp, new->kesp): callee-saved registers stay on each task's kernel stack. */
    .globl switch_to
switch_to:
    movl 4(%esp), %eax
    movl 8(%esp), %edx
    pushl %ebp
    pushl %ebx
    pushl %esi
    pushl %edi
    movl %esp, (%eax)
    movl %edx, %esp
    popl %edi
    popl %esi
    popl %ebx
    popl %ebp
    ret

    .section .rodata
    .globl isr_table
    .balign 4
isr_table:
.irp n, 0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,29,30,31,32,33,34,35,36,37,38,39,40,41,42,43,44,45,46,47
    .long isr\n
.endr

    .section .note.GNU-stack, "", @progbits
