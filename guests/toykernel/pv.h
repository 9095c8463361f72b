/* The paravirt call sites for the kernel core, one form per strategy (see pv_defs.h). */
#ifndef TK_PV_H
#define TK_PV_H

#include "pv_defs.h"

#ifndef PV_STRATEGY
#error "PV_STRATEGY must be PV_FLAG, PV_OPS or PV_PATCH for kernel-core files"
#endif

/* ---- call sites ---------------------------------------------------------------------------- */

#if PV_STRATEGY == PV_PATCH
#define PV_STR2(x) #x
#define PV_STR(x) PV_STR2(x)
/* The site: a 6-byte indirect call through the table, plus its rewrite-table record. */
#define PV_SITE_ASM(op)                                                                   \
    "771: call *pv_ops+" PV_STR(4 * op) "\n"                                              \
    "772: .if (772b - 771b) - " PV_STR(PV_SITE_LEN) "\n.error \"pv site length\"\n.endif\n"   \
    ".pushsection .pvpatch, \"a\"\n"                                                      \
    ".long 771b\n.byte " PV_STR(op) ", " PV_STR(PV_SITE_LEN) "\n.short 0\n"               \
    ".popsection\n"
#define PV_CALL0(op) ({ uint32_t r_; __asm__ volatile(PV_SITE_ASM(op) : "=a"(r_) : : "edx", "ecx", "memory", "cc"); r_; })
#define PV_CALL1(op, a) ({ uint32_t r_ = (uint32_t)(a); __asm__ volatile(PV_SITE_ASM(op) : "+a"(r_) : : "edx", "ecx", "memory", "cc"); r_; })
#define PV_CALL2(op, a, b) ({ uint32_t r_ = (uint32_t)(a), b_ = (uint32_t)(b); \
    __asm__ volatile(PV_SITE_ASM(op) : "+a"(r_), "+d"(b_) : : "ecx", "memory", "cc"); r_; })
#define PV_CALL3(op, a, b, c) ({ uint32_t r_ = (uint32_t)(a), b_ = (uint32_t)(b), c_ = (uint32_t)(c); \
    __asm__ volatile(PV_SITE_ASM(op) : "+a"(r_), "+d"(b_), "+c"(c_) : : "memory", "cc"); r_; })
/* The op ids as plain numbers for the assembler strings. */
#define OPN_write_pte_l1 0
#define OPN_write_pte_l2 1
#define OPN_write_pte_l3 2
#define OPN_load_pt_base 3
#define OPN_flush_tlb_one 4
#define OPN_flush_tlb 5
#define OPN_irq_disable 6
#define OPN_irq_enable 7
#define OPN_irq_save 8
#define OPN_irq_restore 9
#define OPN_idle 10
#define OPN_load_trap_table 11
#define OPN_set_kernel_stack 12
#define OPN_arm_timer 13
#define OPN_irq_eoi 14
#define OPN_console_write 15
#define OPN_read_fault_addr 16
#define OPN_pfn_to_mfn 17
#define OPN_mfn_to_pfn 18
#define OPN_shutdown 19
#define OPN_alloc_pt 20
#define OPN_release_pt 21
#define PV_CHECK(name, ret, args) _Static_assert(OPN_##name == PV_OP_##name, "OPN_" #name);
PV_OP_LIST(PV_CHECK)
#undef PV_CHECK
#endif

#if PV_STRATEGY == PV_FLAG
#define PV_IF_XEN(call) if (__builtin_expect(pv_on_xen, 0)) { call; } else
#endif

/* write_pte_lN: write one 64-bit PAE entry (high half first, so a present entry is never half-written). */
#define PV_WRITE_PTE(level)                                                               \
    static inline void pv_write_pte_##level(uint64_t *entry, uint64_t value)             \
    {                                                                                     \
        uint32_t lo = (uint32_t)value, hi = (uint32_t)(value >> 32);                      \
        PV_DISPATCH_PTE(level, entry, lo, hi);                                            \
    }
#if PV_STRATEGY == PV_FLAG
#define PV_DISPATCH_PTE(level, e, lo, hi)                                                 \
    PV_IF_XEN(xen_write_pte_##level((uint32_t *)(e), lo, hi))                             \
    {                                                                                     \
        volatile uint32_t *w_ = (volatile uint32_t *)(e);                                 \
        w_[1] = hi;                                                                       \
        w_[0] = lo;                                                                       \
    }
#elif PV_STRATEGY == PV_OPS
#define PV_DISPATCH_PTE(level, e, lo, hi) pv_ops.write_pte_##level((uint32_t *)(e), lo, hi)
#else
#define PV_DISPATCH_PTE(level, e, lo, hi) PV_CALL3(OPN_write_pte_##level, e, lo, hi)
#endif
PV_WRITE_PTE(l1)
PV_WRITE_PTE(l2)
PV_WRITE_PTE(l3)

#if PV_STRATEGY == PV_FLAG
#define PV_V0(name, native_asm) static inline void pv_##name(void) { PV_IF_XEN(xen_##name()) __asm__ volatile(native_asm ::: "memory"); }
#elif PV_STRATEGY == PV_OPS
#define PV_V0(name, native_asm) static inline void pv_##name(void) { pv_ops.name(); }
#else
#define PV_V0(name, native_asm) static inline void pv_##name(void) { PV_CALL0(OPN_##name); }
#endif
PV_V0(irq_disable, "cli")
PV_V0(irq_enable, "sti")
PV_V0(idle, "sti; hlt")

static inline void pv_irq_eoi(void)
{
#if PV_STRATEGY == PV_FLAG
    PV_IF_XEN(xen_irq_eoi()) __asm__ volatile("outb %%al, $0x20" : : "a"(0x20) : "memory");
#elif PV_STRATEGY == PV_OPS
    pv_ops.irq_eoi();
#else
    PV_CALL0(OPN_irq_eoi);
#endif
}

static inline void pv_load_pt_base(uint32_t l3_phys)
{
#if PV_STRATEGY == PV_FLAG
    PV_IF_XEN(xen_load_pt_base(l3_phys)) __asm__ volatile("mov %0, %%cr3" : : "r"(l3_phys) : "memory");
#elif PV_STRATEGY == PV_OPS
    pv_ops.load_pt_base(l3_phys);
#else
    PV_CALL1(OPN_load_pt_base, l3_phys);
#endif
}

static inline void pv_flush_tlb_one(uint32_t va)
{
#if PV_STRATEGY == PV_FLAG
    PV_IF_XEN(xen_flush_tlb_one(va)) __asm__ volatile("invlpg (%0)" : : "r"(va) : "memory");
#elif PV_STRATEGY == PV_OPS
    pv_ops.flush_tlb_one(va);
#else
    PV_CALL1(OPN_flush_tlb_one, va);
#endif
}

static inline void pv_flush_tlb(void)
{
#if PV_STRATEGY == PV_FLAG
    uint32_t t;
    PV_IF_XEN(xen_flush_tlb()) __asm__ volatile("mov %%cr3, %0; mov %0, %%cr3" : "=r"(t) : : "memory");
#elif PV_STRATEGY == PV_OPS
    pv_ops.flush_tlb();
#else
    PV_CALL0(OPN_flush_tlb);
#endif
}

static inline uint32_t pv_irq_save(void)
{
#if PV_STRATEGY == PV_FLAG
    uint32_t f;
    PV_IF_XEN(return xen_irq_save()) __asm__ volatile("pushfl; popl %0; cli" : "=r"(f) : : "memory");
    return f;
#elif PV_STRATEGY == PV_OPS
    return pv_ops.irq_save();
#else
    return PV_CALL0(OPN_irq_save);
#endif
}

static inline void pv_irq_restore(uint32_t flags)
{
#if PV_STRATEGY == PV_FLAG
    PV_IF_XEN(xen_irq_restore(flags)) __asm__ volatile("pushl %0; popfl" : : "r"(flags) : "memory", "cc");
#elif PV_STRATEGY == PV_OPS
    pv_ops.irq_restore(flags);
#else
    PV_CALL1(OPN_irq_restore, flags);
#endif
}

static inline void pv_load_trap_table(const void *idtr)
{
#if PV_STRATEGY == PV_FLAG
    PV_IF_XEN(xen_load_trap_table(idtr)) __asm__ volatile("lidt (%0)" : : "r"(idtr) : "memory");
#elif PV_STRATEGY == PV_OPS
    pv_ops.load_trap_table(idtr);
#else
    PV_CALL1(OPN_load_trap_table, idtr);
#endif
}

static inline void pv_set_kernel_stack(uint32_t esp0)
{
#if PV_STRATEGY == PV_FLAG
    PV_IF_XEN(xen_set_kernel_stack(esp0)) native_tss.esp0 = esp0;
#elif PV_STRATEGY == PV_OPS
    pv_ops.set_kernel_stack(esp0);
#else
    PV_CALL1(OPN_set_kernel_stack, esp0);
#endif
}

static inline void pv_arm_timer(uint32_t pit_ticks)
{
#if PV_STRATEGY == PV_FLAG
    PV_IF_XEN(xen_arm_timer(pit_ticks)) native_arm_timer(pit_ticks);
#elif PV_STRATEGY == PV_OPS
    pv_ops.arm_timer(pit_ticks);
#else
    PV_CALL1(OPN_arm_timer, pit_ticks);
#endif
}

static inline void pv_console_write(const char *s, uint32_t len)
{
#if PV_STRATEGY == PV_FLAG
    PV_IF_XEN(xen_console_write(s, len)) native_console_write(s, len);
#elif PV_STRATEGY == PV_OPS
    pv_ops.console_write(s, len);
#else
    PV_CALL2(OPN_console_write, s, len);
#endif
}

static inline uint32_t pv_read_fault_addr(void)
{
#if PV_STRATEGY == PV_FLAG
    uint32_t v;
    PV_IF_XEN(return xen_read_fault_addr()) __asm__ volatile("mov %%cr2, %0" : "=r"(v));
    return v;
#elif PV_STRATEGY == PV_OPS
    return pv_ops.read_fault_addr();
#else
    return PV_CALL0(OPN_read_fault_addr);
#endif
}

static inline uint32_t pv_pfn_to_mfn(uint32_t pfn)
{
#if PV_STRATEGY == PV_FLAG
    PV_IF_XEN(return xen_pfn_to_mfn(pfn)) return pfn;
#elif PV_STRATEGY == PV_OPS
    return pv_ops.pfn_to_mfn(pfn);
#else
    return PV_CALL1(OPN_pfn_to_mfn, pfn);
#endif
}

static inline uint32_t pv_mfn_to_pfn(uint32_t mfn)
{
#if PV_STRATEGY == PV_FLAG
    PV_IF_XEN(return xen_mfn_to_pfn(mfn)) return mfn;
#elif PV_STRATEGY == PV_OPS
    return pv_ops.mfn_to_pfn(mfn);
#else
    return PV_CALL1(OPN_mfn_to_pfn, mfn);
#endif
}

/*
 * alloc_pt / release_pt: a frame starts or stops being a page table (Linux's pv_ops.mmu.alloc_pte
 * and release_pte). Natively nothing happens; under Xen a page-table frame must have no writable
 * mapping (XEN-ABI.md §6), so the backend maps it read-only in the direct map, and on release
 * unpins an L3 and maps the frame writable again.
 */
static inline void pv_alloc_pt(uint32_t phys)
{
#if PV_STRATEGY == PV_FLAG
    PV_IF_XEN(xen_alloc_pt(phys)) {}
#elif PV_STRATEGY == PV_OPS
    pv_ops.alloc_pt(phys);
#else
    PV_CALL1(OPN_alloc_pt, phys);
#endif
}

static inline void pv_release_pt(uint32_t phys, uint32_t level)
{
#if PV_STRATEGY == PV_FLAG
    PV_IF_XEN(xen_release_pt(phys, level)) {}
#elif PV_STRATEGY == PV_OPS
    pv_ops.release_pt(phys, level);
#else
    PV_CALL2(OPN_release_pt, phys, level);
#endif
}

static inline void __attribute__((noreturn)) pv_shutdown(uint32_t success)
{
#if PV_STRATEGY == PV_FLAG
    PV_IF_XEN(xen_shutdown(success)) native_shutdown(success);
#elif PV_STRATEGY == PV_OPS
    pv_ops.shutdown(success);
#else
    PV_CALL1(OPN_shutdown, success);
#endif
    for (;;) __asm__ volatile("");
}

#endif
