/*
 * `bench`: the cost of each paravirt operation for this strategy and backend, in TSC ticks (the
 * emulator's TSC counts instructions: DESIGN.md §7a). Each operation runs N times between two
 * RDTSCs; the cost of an empty loop of the same shape is subtracted.
 *
 * Not measured: idle (sti; hlt waits for the next interrupt, so its cost is the wait) and shutdown
 * (it ends the run). console_write runs fewer times (it prints) with one-byte writes.
 * Interrupts stay off throughout; the one-shot timer armed here fires after the bench and is
 * acknowledged by the IRQ0 handler.
 */
#include "kernel.h"

#define N 1000

static inline uint64_t rdtsc(void)
{
    uint32_t lo, hi;
    __asm__ volatile("rdtsc" : "=a"(lo), "=d"(hi));
    return ((uint64_t)hi << 32) | lo;
}

static const char *strategy_name(int s)
{
    return s == PV_FLAG ? "flag" : s == PV_PATCH ? "patch" : "ops";
}

static uint64_t baseline;
static volatile uint32_t sink;

static void report(const struct boot_info *bi, const char *name, uint32_t n, uint64_t total)
{
    uint64_t net = total > baseline * n / N ? total - baseline * n / N : 0;
    uint64_t hundredths = net * 100 / n;
    kprintf("bench pv=%s backend=%s op=%s n=%u ticks_per_op=%u.%02u\n", strategy_name(bi->strategy),
            bi->start_info ? "xen" : "native", name, n,
            (uint32_t)(hundredths / 100), (uint32_t)(hundredths % 100));
}

/* One measured loop; the body is a statement using the loop counter i. */
#define MEASURE(n, body)                                                                  \
    ({                                                                                    \
        uint64_t t0_ = rdtsc();                                                           \
        for (uint32_t i = 0; i < (n); i++) {                                              \
            body;                                                                         \
            __asm__ volatile("" ::: "memory");                                            \
        }                                                                                 \
        rdtsc() - t0_;                                                                    \
    })

void bench_run(const struct boot_info *bi)
{
    pv_irq_disable();
    baseline = MEASURE(N, (void)0);
    kprintf("# bench: N=%u, empty-loop baseline %u ticks per iteration subtracted\n", N, (uint32_t)(baseline / N));

    uint64_t *pte = scratch_pte();
    uint64_t saved = *pte;
    uint32_t table = frame_alloc(); /* a page that is not a live table, for the L2/L3 writes */
    uint64_t *t = (uint64_t *)table;

    report(bi, "write_pte_l1", N, MEASURE(N, pv_write_pte_l1(pte, saved)));
    report(bi, "write_pte_l2", N, MEASURE(N, pv_write_pte_l2(&t[i & 511], (uint64_t)table | PTE_P)));
    report(bi, "write_pte_l3", N, MEASURE(N, pv_write_pte_l3(&t[i & 3], (uint64_t)table | PTE_P)));
    report(bi, "load_pt_base", N, MEASURE(N, pv_load_pt_base(kernel_l3)));
    report(bi, "flush_tlb_one", N, MEASURE(N, pv_flush_tlb_one(scratch_va)));
    report(bi, "flush_tlb", N, MEASURE(N, pv_flush_tlb()));
    report(bi, "irq_disable", N, MEASURE(N, pv_irq_disable()));
    report(bi, "irq_enable", N, MEASURE(N, pv_irq_enable()));
    pv_irq_disable();
    report(bi, "irq_save", N, MEASURE(N, sink = pv_irq_save()));
    uint32_t flags = pv_irq_save();
    report(bi, "irq_restore", N, MEASURE(N, pv_irq_restore(flags)));
    report(bi, "load_trap_table", N, MEASURE(N, pv_load_trap_table(&idtr)));
    report(bi, "set_kernel_stack", N, MEASURE(N, pv_set_kernel_stack(tasks[1].kstack_top)));
    report(bi, "arm_timer", N, MEASURE(N, pv_arm_timer(0xFFFF)));
    report(bi, "irq_eoi", N, MEASURE(N, pv_irq_eoi()));
    report(bi, "read_fault_addr", N, MEASURE(N, sink = pv_read_fault_addr()));
    report(bi, "pfn_to_mfn", N, MEASURE(N, sink = pv_pfn_to_mfn(i)));
    report(bi, "mfn_to_pfn", N, MEASURE(N, sink = pv_mfn_to_pfn(i)));
    report(bi, "alloc_pt", N, MEASURE(N, pv_alloc_pt(table)));
    report(bi, "release_pt", N, MEASURE(N, pv_release_pt(table, 1)));
    kprintf("# bench: console_write output follows: ");
    uint64_t console = MEASURE(16, pv_console_write(".", 1));
    kprintf("\n");
    report(bi, "console_write", 16, console);

    frame_free(table);
    pv_write_pte_l1(pte, saved);
    pv_flush_tlb_one(scratch_va);
}
