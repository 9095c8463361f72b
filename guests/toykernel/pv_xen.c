/*
 * The Xen PV32 backend: every paravirt operation as a hypercall through the hypercall page
 * (`call hypercall_page + 32*nr`, XEN-ABI.md §1, §3) or a shared_info access.
 */
#include "pv_defs.h"
#include "xen.h"

extern char hypercall_page[];

struct xen_state xen;

/* The shared_info frame is mapped over this page (update_va_mapping), as Linux maps it in its fixmap. */
static uint8_t shared_info_page[4096] __attribute__((aligned(4096)));

int32_t xen_hypercall(uint32_t nr, uint32_t a1, uint32_t a2, uint32_t a3, uint32_t a4, uint32_t a5)
{
    uint32_t r = (uint32_t)(hypercall_page + 32 * nr);
    __asm__ volatile("call *%%eax" : "+a"(r), "+b"(a1), "+c"(a2), "+d"(a3), "+S"(a4), "+D"(a5) : : "memory", "cc");
    xen.last_rc = (int32_t)r;
    return (int32_t)r;
}

int32_t xen_mmuext(uint32_t cmd, uint32_t arg1)
{
    struct { uint32_t cmd, arg1, arg2; } op = {cmd, arg1, 0};
    return xen_hypercall(__HYPERVISOR_mmuext_op, (uint32_t)&op, 1, 0, 0x7FF0 /* DOMID_SELF */, 0);
}

/* vcpu_info[0].time read as a seqlock (XEN-ABI.md §4): system_time + scaled TSC delta. */
uint64_t xen_system_time(void)
{
    volatile uint8_t *t = xen.shared + SI_TIME;
    uint32_t v;
    uint64_t sys, stamp, tsc;
    uint32_t mul;
    signed char shift;
    do {
        v = *(volatile uint32_t *)t;
        __asm__ volatile("" ::: "memory");
        stamp = *(volatile uint64_t *)(t + 8);
        sys = *(volatile uint64_t *)(t + 16);
        mul = *(volatile uint32_t *)(t + 24);
        shift = *(volatile signed char *)(t + 28);
        __asm__ volatile("rdtsc" : "=A"(tsc));
        __asm__ volatile("" ::: "memory");
    } while ((v & 1) || v != *(volatile uint32_t *)t);
    uint64_t delta = tsc - stamp;
    if (shift >= 0)
        delta <<= shift;
    else
        delta >>= -shift;
    /* (delta * mul) >> 32 without a 64x64 multiply helper. */
    uint64_t lo = (uint64_t)(uint32_t)delta * mul, hi = (delta >> 32) * mul;
    return sys + hi + (lo >> 32);
}

int xen_port_pending(uint32_t port)
{
    return (((volatile uint32_t *)(xen.shared + SI_EVTCHN_PENDING))[port / 32] >> (port % 32)) & 1;
}

void xen_port_clear(uint32_t port)
{
    __atomic_and_fetch(&((uint32_t *)(xen.shared + SI_EVTCHN_PENDING))[port / 32], ~(1u << (port % 32)), __ATOMIC_SEQ_CST);
}

/* shared_info (a machine address) over our page: P|RW, invalidate that VA. */
static int32_t map_shared_info(void)
{
    return xen_hypercall(__HYPERVISOR_update_va_mapping, (uint32_t)shared_info_page, (xen.si->shared_info & ~0xFFFu) | 0x3, 0,
                         UVMF_INVLPG, 0);
}

void xen_init(const struct xen_start_info *si)
{
    xen.si = si;
    xen.p2m = (const uint32_t *)si->mfn_list;
    xen.map_shared_rc = map_shared_info();
    xen.shared = shared_info_page;
    xen.version = (uint32_t)xen_hypercall(__HYPERVISOR_xen_version, 0, 0, 0, 0, 0);
    /* VIRQ_TIMER on vCPU 0: its port latches pending when the one-shot timer fires. */
    struct { uint32_t virq, vcpu, port; } bind = {0, 0, 0};
    xen.bind_timer_rc = xen_hypercall(__HYPERVISOR_event_channel_op, 1 /* bind_virq */, (uint32_t)&bind, 0, 0, 0);
    xen.timer_port = bind.port;
}

/* The kernel's own tables map the RAM page behind shared_info_page: map shared_info there again (Linux's xen_pagetable_init does the same). */
int32_t xen_remap_shared_info(void) { return xen.remap_shared_rc = map_shared_info(); }

/* callback_op(register) for the event upcall and the failsafe callback, both in ring 1 (XEN-ABI.md §4 callback_register). */
int32_t xen_register_callbacks(uint32_t event_eip, uint32_t failsafe_eip)
{
    struct { uint16_t type, flags; uint32_t cs, eip; } cb[2] = {
        {0 /* CALLBACKTYPE_event */, 0, FLAT_RING1_CS, event_eip},
        {1 /* CALLBACKTYPE_failsafe */, 0, FLAT_RING1_CS, failsafe_eip},
    };
    int32_t rc = xen_hypercall(__HYPERVISOR_callback_op, 0, (uint32_t)&cb[0], 0, 0, 0);
    return rc ? rc : xen_hypercall(__HYPERVISOR_callback_op, 0, (uint32_t)&cb[1], 0, 0, 0);
}

/*
 * The event upcall's scan (2-level ABI, XEN-ABI.md §4): clear evtchn_upcall_pending first, then
 * take the selector and each selected word's pending and unmasked ports. Returns 1 when the timer
 * port is pending; the timer handler's irq_eoi clears it. Other ports (none is bound) are cleared.
 */
int xen_event_scan(void)
{
    volatile uint8_t *s = xen.shared;
    s[SI_UPCALL_PENDING] = 0;
    uint32_t sel = __atomic_exchange_n((uint32_t *)(s + SI_PENDING_SEL), 0, __ATOMIC_SEQ_CST);
    int timer = 0;
    while (sel) {
        uint32_t w = (uint32_t)__builtin_ctz(sel);
        sel &= sel - 1;
        uint32_t pending = ((volatile uint32_t *)(s + SI_EVTCHN_PENDING))[w] & ~((volatile uint32_t *)(s + SI_EVTCHN_MASK))[w];
        if (w == xen.timer_port / 32 && (pending & (1u << (xen.timer_port % 32)))) {
            timer = 1;
            pending &= ~(1u << (xen.timer_port % 32));
        }
        if (pending)
            __atomic_and_fetch(&((uint32_t *)(s + SI_EVTCHN_PENDING))[w], ~pending, __ATOMIC_SEQ_CST);
    }
    return timer;
}

/* ---- the operations -------------------------------------------------------------------------- */

/* The machine address of a kernel VA (pseudo-physical memory is identity-mapped at VIRT_BASE 0). */
static uint64_t machine_addr(const void *va)
{
    uint32_t v = (uint32_t)va;
    return ((uint64_t)xen.p2m[v >> 12] << 12) | (v & 0xFFF);
}

static void mmu_update(uint32_t *entry, uint32_t lo, uint32_t hi)
{
    struct { uint64_t ptr, val; } req = {machine_addr(entry) | 0 /* MMU_NORMAL_PT_UPDATE */, ((uint64_t)hi << 32) | lo};
    xen_hypercall(__HYPERVISOR_mmu_update, (uint32_t)&req, 1, 0, 0x7FF0, 0);
}

PVFN void xen_write_pte_l1(uint32_t *entry, uint32_t lo, uint32_t hi) { mmu_update(entry, lo, hi); }
PVFN void xen_write_pte_l2(uint32_t *entry, uint32_t lo, uint32_t hi) { mmu_update(entry, lo, hi); }
PVFN void xen_write_pte_l3(uint32_t *entry, uint32_t lo, uint32_t hi) { mmu_update(entry, lo, hi); }

/*
 * L3s this backend has pinned, by pseudo-physical frame (Linux's PG_pinned): an L3 is pinned the
 * first time it is loaded, so switching back to it costs one hypercall and no revalidation; an
 * L3 beyond the tracked range is pinned every time (a second pin's -EINVAL is harmless).
 */
#define PIN_TRACKED_PFNS 8192
static uint32_t pinned_l3[PIN_TRACKED_PFNS / 32];

static int pin_tracked(uint32_t pfn) { return pfn < PIN_TRACKED_PFNS && (pinned_l3[pfn / 32] >> (pfn % 32)) & 1; }

PVFN void xen_load_pt_base(uint32_t l3_phys)
{
    uint32_t pfn = l3_phys >> 12, mfn = xen.p2m[pfn];
    if (!pin_tracked(pfn)) {
        xen_mmuext(MMUEXT_PIN_L3_TABLE, mfn);
        if (pfn < PIN_TRACKED_PFNS)
            pinned_l3[pfn / 32] |= 1u << (pfn % 32);
    }
    xen_mmuext(MMUEXT_NEW_BASEPTR, mfn);
}

/* The direct-map entry of a pseudo-physical frame (VIRT_BASE 0: its VA is its pseudo-physical address). */
static void map_frame(uint32_t phys, uint32_t flags)
{
    xen_hypercall(__HYPERVISOR_update_va_mapping, phys, (xen.p2m[phys >> 12] << 12) | flags, 0, UVMF_INVLPG, 0);
}

/* A page table must have no writable mapping (XEN-ABI.md §6): read-only in the direct map. */
PVFN void xen_alloc_pt(uint32_t phys) { map_frame(phys, 0x21 /* P|A */); }

/* An L3 leaves the pinned set first (which drops the types of the tables below it), then the frame is writable again. */
PVFN void xen_release_pt(uint32_t phys, uint32_t level)
{
    uint32_t pfn = phys >> 12;
    if (level == 3) {
        xen_mmuext(MMUEXT_UNPIN_TABLE, xen.p2m[pfn]);
        if (pfn < PIN_TRACKED_PFNS)
            pinned_l3[pfn / 32] &= ~(1u << (pfn % 32));
    }
    map_frame(phys, 0x63 /* P|RW|A|D */);
}

PVFN void xen_flush_tlb_one(uint32_t va) { xen_mmuext(MMUEXT_INVLPG_LOCAL, va); }
PVFN void xen_flush_tlb(void) { xen_mmuext(MMUEXT_TLB_FLUSH_LOCAL, 0); }

/* evtchn_upcall_mask is the virtual IF; save/restore speak EFLAGS.IF (0x200) like the native ones. */
PVFN void xen_irq_disable(void)
{
    xen.shared[SI_UPCALL_MASK] = 1;
    __asm__ volatile("" ::: "memory");
}

PVFN void xen_irq_enable(void)
{
    xen.shared[SI_UPCALL_MASK] = 0;
    __asm__ volatile("" ::: "memory");
    /* An event that arrived while masked: any hypercall lets Xen deliver it (Linux's force_evtchn_callback). */
    if (xen.shared[SI_UPCALL_PENDING])
        xen_hypercall(__HYPERVISOR_xen_version, 0, 0, 0, 0, 0);
}

PVFN uint32_t xen_irq_save(void)
{
    uint32_t f = xen.shared[SI_UPCALL_MASK] ? 0 : 0x200;
    xen_irq_disable();
    return f;
}

PVFN void xen_irq_restore(uint32_t flags)
{
    if (flags & 0x200)
        xen_irq_enable();
    else
        xen_irq_disable();
}

PVFN void xen_idle(void) { xen_hypercall(__HYPERVISOR_sched_op, 1 /* block */, 0, 0, 0, 0); }

/*
 * The native IDT turned into Xen's trap_info list (vector u8, flags u8 = DPL | 4 when an interrupt
 * gate should mask events, cs u16, address u32; ends with address 0), handlers in ring 1. A
 * kernel-only gate (DPL 0) becomes DPL 1: the kernel's own ring, so its int3 still reaches the handler.
 */
PVFN void xen_load_trap_table(const void *idtr)
{
    static struct { uint8_t vector, flags; uint16_t cs; uint32_t address; } table[257];
    const struct { uint16_t limit; uint32_t base; } __attribute__((packed)) *d = idtr;
    const uint32_t *idt = (const uint32_t *)d->base;
    uint32_t n = 0, gates = (d->limit + 1u) / 8;
    for (uint32_t v = 0; v < gates && v < 256; v++) {
        uint32_t lo = idt[2 * v], hi = idt[2 * v + 1];
        if (!(hi & 0x8000))
            continue;
        table[n].vector = (uint8_t)v;
        uint32_t dpl = (hi >> 13) & 3;
        table[n].flags = (uint8_t)((dpl ? dpl : 1) | (((hi >> 8) & 0xF) == 0xE ? 4 : 0));
        table[n].cs = FLAT_RING1_CS;
        table[n].address = (hi & 0xFFFF0000u) | (lo & 0xFFFF);
        n++;
    }
    table[n].address = 0;
    xen_hypercall(__HYPERVISOR_set_trap_table, (uint32_t)table, 0, 0, 0, 0);
}

PVFN void xen_set_kernel_stack(uint32_t esp0) { xen_hypercall(__HYPERVISOR_stack_switch, FLAT_RING1_DS, esp0, 0, 0, 0); }

/* PIT input clocks (1,193,182 Hz) to ns: 838.1 ns each; the timer fires VIRQ_TIMER at that absolute time. */
PVFN void xen_arm_timer(uint32_t pit_ticks)
{
    uint64_t when = xen_system_time() + (uint64_t)pit_ticks * 838u;
    xen_hypercall(__HYPERVISOR_set_timer_op, (uint32_t)when, (uint32_t)(when >> 32), 0, 0, 0);
}

/* The timer port is edge-like: acknowledging it clears its pending bit. */
PVFN void xen_irq_eoi(void) { xen_port_clear(xen.timer_port); }

PVFN void xen_console_write(const char *s, uint32_t len)
{
    xen_hypercall(__HYPERVISOR_console_io, 0 /* CONSOLEIO_write */, len, (uint32_t)s, 0, 0);
}

PVFN uint32_t xen_read_fault_addr(void) { return *(volatile uint32_t *)(xen.shared + SI_CR2); }
PVFN uint32_t xen_pfn_to_mfn(uint32_t pfn) { return xen.p2m[pfn]; }
PVFN uint32_t xen_mfn_to_pfn(uint32_t mfn) { return ((const volatile uint32_t *)MACH2PHYS_VIRT_START)[mfn]; }

/* sched_op(SCHEDOP_shutdown): reason poweroff (0) on success, crash (3) otherwise. */
PVFN void xen_shutdown(uint32_t success)
{
    uint32_t reason = success ? 0 : 3;
    xen_hypercall(__HYPERVISOR_sched_op, 2 /* shutdown */, (uint32_t)&reason, 0, 0, 0);
    for (;;)
        xen_hypercall(__HYPERVISOR_sched_op, 1, 0, 0, 0, 0);
}
