/*
 * The paravirt layer (shared declarations; the call sites are in pv.h): every sensitive operation the kernel performs, and the three ways a call
 * site reaches its implementation (DESIGN.md §1, §7).
 *
 * The kernel core (kmain.c, mm.c, task.c, bench.c, entry.S) is compiled three times, once per
 * strategy (PV_STRATEGY = PV_FLAG, PV_OPS or PV_PATCH), and the three copies are linked into the
 * same image with their symbols prefixed (flag_, ops_, patch_); boot.c enters the copy named by
 * pv= on the command line. So each strategy's call sites look exactly as that strategy would
 * compile them in a real kernel, with no run-time test of which strategy is active:
 *   flag:  an inline wrapper testing one boolean (pv_on_xen), then the native instruction inline
 *          or a direct call to the hypervisor implementation;
 *   ops:   an indirect call through the pv_ops table, filled at boot with one backend;
 *   patch: a 6-byte `call *pv_ops+off` recorded in the .pvpatch section and rewritten at boot
 *          (pv_patch.c) into a direct call or the inlined native instruction(s), NOP-padded.
 *
 * Every implementation uses regparm(3): arguments in EAX, EDX, ECX, result in EAX, and EAX, ECX,
 * EDX clobbered, so a patch site can hold a native instruction sequence in place of the call.
 */
#ifndef TK_PV_DEFS_H
#define TK_PV_DEFS_H

#include "lib.h"

#define PV_FLAG 1
#define PV_OPS 2
#define PV_PATCH 3

#define PVFN __attribute__((regparm(3)))

/* The operations, in pv_ops table order. X(name, C signature of the implementation). */
#define PV_OP_LIST(X)                                                                    \
    X(write_pte_l1, void, (uint32_t *entry, uint32_t lo, uint32_t hi))                    \
    X(write_pte_l2, void, (uint32_t *entry, uint32_t lo, uint32_t hi))                    \
    X(write_pte_l3, void, (uint32_t *entry, uint32_t lo, uint32_t hi))                    \
    X(load_pt_base, void, (uint32_t l3_phys))                                             \
    X(flush_tlb_one, void, (uint32_t va))                                                 \
    X(flush_tlb, void, (void))                                                            \
    X(irq_disable, void, (void))                                                          \
    X(irq_enable, void, (void))                                                           \
    X(irq_save, uint32_t, (void))                                                         \
    X(irq_restore, void, (uint32_t flags))                                                \
    X(idle, void, (void))                                                                 \
    X(load_trap_table, void, (const void *idtr))                                          \
    X(set_kernel_stack, void, (uint32_t esp0))                                            \
    X(arm_timer, void, (uint32_t pit_ticks))                                              \
    X(irq_eoi, void, (void))                                                              \
    X(console_write, void, (const char *s, uint32_t len))                                 \
    X(read_fault_addr, uint32_t, (void))                                                  \
    X(pfn_to_mfn, uint32_t, (uint32_t pfn))                                               \
    X(mfn_to_pfn, uint32_t, (uint32_t mfn))                                               \
    X(shutdown, void, (uint32_t success))                                                 \
    X(alloc_pt, void, (uint32_t phys))                                                    \
    X(release_pt, void, (uint32_t phys, uint32_t level))

enum pv_op_id {
#define PV_ENUM(name, ret, args) PV_OP_##name,
    PV_OP_LIST(PV_ENUM)
#undef PV_ENUM
    PV_NR_OPS
};

/* The ops table: one function pointer per operation (the ops strategy calls through it). */
struct pv_ops {
#define PV_FIELD(name, ret, args) ret (*name) args PVFN;
    PV_OP_LIST(PV_FIELD)
#undef PV_FIELD
};

extern struct pv_ops pv_ops;
extern const char *const pv_op_names[PV_NR_OPS];
/* Set once at boot: 1 when running on Xen (the flag strategy tests it at every call site). */
extern uint8_t pv_on_xen;

/* The two backends' implementations (pv_native.c, pv_xen.c). */
#define PV_DECL(name, ret, args) ret native_##name args PVFN; ret xen_##name args PVFN;
PV_OP_LIST(PV_DECL)
#undef PV_DECL

/* The native TSS (its esp0 field is what set_kernel_stack writes natively). */
struct tss32 {
    uint32_t link, esp0, ss0, esp1, ss1, esp2, ss2, cr3, eip, eflags;
    uint32_t eax, ecx, edx, ebx, esp, ebp, esi, edi, es, cs, ss, ds, fs, gs, ldt, iomap;
};
extern struct tss32 native_tss;

/* A rewrite-table record (section .pvpatch), one per patch-strategy call site. */
struct pv_patch_site {
    uint32_t site;   /* address of the first byte of the site */
    uint8_t op;      /* enum pv_op_id */
    uint8_t len;     /* bytes in the site */
    uint16_t reserved;
};
extern const struct pv_patch_site __pvpatch_start[], __pvpatch_end[];

#define PV_SITE_LEN 6 /* call *abs32 = FF 15 disp32 */

/* pv_patch.c */
uint32_t pv_patch_sites(void);          /* rewrites every site; returns how many */
extern uint32_t pv_patch_inlined;            /* how many of them got an inline native sequence */
int pv_site_is_indirect(const struct pv_patch_site *s); /* 1 if the site still reads pv_ops */
void pv_poison_ops(void);               /* fill pv_ops with a trap: nothing may use it after patching */

#endif
