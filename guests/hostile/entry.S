/*
 * The hostile guest's entry, Xen ELF notes, hypercall page, trap stubs and the ring-3 code.
 * Faults are caught with probe() (a setjmp-like trap): a stub records the vector, error code, EIP
 * and the CR2 Xen stored in vcpu_info.arch.cr2 (XEN-ABI.md §3 "Exception and event frame"), then
 * the common handler resumes the probe's caller with the result 1 on the stack probe() saved.
 */
#include "xen_note.h"

    XEN_PV32_NOTES("hostile", "5", xen_start, hypercall_page)   /* GUEST_VERSION: issue 5 */

    .text
    .globl xen_start
xen_start:
    movl $stack_top, %esp
    xorl %ebp, %ebp
    pushl %esi              /* hostile_main(start_info) */
    call hostile_main
1:  jmp 1b

/* int probe(void (*fn)(uint32_t), uint32_t arg): 0 if fn(arg) returned, 1 if it faulted (see fault). */
    .globl probe
probe:
    pushl %ebp
    pushl %ebx
    pushl %esi
    pushl %edi
    movl %esp, probe_esp
    movl 24(%esp), %eax     /* arg */
    pushl %eax
    call *24(%esp)          /* fn (the push moved it by 4) */
    addl $4, %esp
    movl $0, probe_esp
    xorl %eax, %eax
    jmp 2f
probe_caught:
    movl probe_esp, %esp
    movl $0, probe_esp
    movl $1, %eax
2:  popl %edi
    popl %esi
    popl %ebx
    popl %ebp
    ret

/* Trap stubs: vectors without an error code push a dummy 0, so every frame is err, eip, cs, eflags. */
#define TRAP_NOERR(v) .globl trap_##v; trap_##v: pushl $0; pushl $v; jmp trap_common
#define TRAP_ERR(v)   .globl trap_##v; trap_##v: pushl $v; jmp trap_common
    TRAP_NOERR(0)
    TRAP_NOERR(3)
    TRAP_NOERR(4)
    TRAP_NOERR(6)
    TRAP_ERR(13)
    TRAP_ERR(14)
    TRAP_NOERR(0x80)
    TRAP_NOERR(0x81)

trap_common:
    /* Stack: vector, error code, EIP, CS (saved upcall mask in bits 16-23), EFLAGS [, ESP, SS]. */
    /* From ring 3 the iret nulled DS and ES (ring-1 selectors): reload them before any store. */
    movl $0xe021, %eax      /* FLAT_RING1_DS */
    movl %eax, %ds
    movl %eax, %es
    popl %eax
    movl %eax, fault+0      /* vector */
    popl %eax
    movl %eax, fault+4      /* error code */
    popl %eax
    movl %eax, fault+8      /* eip */
    popl %eax
    movl %eax, fault+12     /* cs */
    movl shared_info_va, %eax
    testl %eax, %eax
    jz 3f
    movl 8(%eax), %eax      /* vcpu_info[0].arch.cr2 */
3:  movl %eax, fault+16
    cmpl $0, probe_esp
    jne probe_caught
    call unexpected_fault   /* no probe armed: report and crash the domain */
4:  jmp 4b

/*
 * enter_ring3(eip, esp): the iret hypercall with a ring-3 frame. Its slot pushes EAX, so the stack
 * holds EAX, EIP, CS, EFLAGS, ESP, SS (XEN-ABI.md §3 "iret hypercall"); we jump, never call.
 */
    .globl enter_ring3
enter_ring3:
    movl 4(%esp), %ecx      /* eip */
    movl 8(%esp), %edx      /* esp */
    movl $0xe033, %eax      /* FLAT_RING3_DS: the iret nulls data selectors ring 3 may not use */
    movl %eax, %ds
    movl %eax, %es
    pushl $0xe033           /* FLAT_RING3_DS */
    pushl %edx
    pushl $0x202            /* EFLAGS: IF */
    pushl $0xe02b           /* FLAT_RING3_CS */
    pushl %ecx
    xorl %eax, %eax
    jmp hypercall_page + 23 * 32

/* Ring-3 code (mapped user-accessible on its own page): each piece ends in a fault the probe catches. */
    .section .user, "ax"
    .balign 4096
    .globl user_page, user_hypercall, user_int3, user_into, user_int80, user_write_kernel
user_page:
user_hypercall:             /* a hypercall from ring 3: xen_version through int 0x82 */
    movl $17, %eax
    xorl %ebx, %ebx
    int $0x82
    ud2
user_int3:
    int3
    ud2
user_into:
    movl $0x7fffffff, %eax
    addl $1, %eax           /* sets OF */
    into
    ud2
user_int80:
    int $0x80
    ud2
user_write_kernel:          /* ring 3 writes the kernel's (supervisor) memory */
    movl $0x1234, probe_esp_shadow
    ud2
    .balign 4096

    .section .text.hypercall_page, "ax"
    .balign 4096
    .globl hypercall_page
hypercall_page:
    .fill 4096, 1, 0xCC     /* the domain builder fills it before the first instruction runs */

    .data
    .globl fault, probe_esp, shared_info_va, probe_esp_shadow
    .balign 4
fault:  .long 0, 0, 0, 0, 0 /* vector, error code, eip, cs, cr2 */
probe_esp: .long 0
probe_esp_shadow: .long 0
shared_info_va: .long 0

    .bss
    .balign 4096
stack_bottom:
    .skip 16384
    .globl stack_top
stack_top:

    .section .note.GNU-stack, "", @progbits
