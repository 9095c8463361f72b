/*
 * The hostile guest: a 32-bit PAE PV kernel in ring 1 that tries each thing XEN-ABI.md §6 forbids
 * (and the other misuses a domU can attempt) and checks that it gets Xen's error code or the fault
 * Xen reflects. Results are TAP lines on the console (console_io); it ends with sched_op shutdown
 * poweroff when every test passed, crash otherwise.
 */
#include "types.h"

typedef unsigned long long uint64_t;

/* Hypercall numbers (XEN-ABI.md §2). */
enum {
    HC_set_trap_table = 0, HC_mmu_update = 1, HC_stack_switch = 3, HC_multicall = 13, HC_update_va_mapping = 14,
    HC_xen_version = 17, HC_console_io = 18, HC_mmuext_op = 26, HC_sched_op = 29, HC_event_channel_op = 32,
};
/* errno values (XEN-ABI.md §1). */
enum { EPERM = 1, ESRCH = 3, EFAULT = 14, EBUSY = 16, EINVAL = 22, ENOSPC = 28, ENOSYS = 38, EOPNOTSUPP = 95 };
enum { MMUEXT_PIN_L1 = 0, MMUEXT_PIN_L2 = 1, MMUEXT_PIN_L3 = 2, MMUEXT_UNPIN = 4, MMUEXT_NEW_BASEPTR = 5 };
enum { MMU_NORMAL_PT_UPDATE = 0, MMU_MACHPHYS_UPDATE = 1 };
#define DOMID_SELF 0x7FF0u
#define FLAT_RING1_CS 0xe019u
#define FLAT_RING1_DS 0xe021u
#define HYPERVISOR_VIRT_START 0xF5800000u
#define XEN_L2_FIRST_SLOT 428 /* (0xF5800000 - 0xC0000000) >> 21 */

#define _P 1ull
#define _RW 2ull
#define _US 4ull
#define _PCD 0x10ull
#define _A 0x20ull
#define _PSE 0x80ull
#define ADDR_MASK 0x000FFFFFFFFFF000ull

struct start_info {
    char magic[32];
    uint32_t nr_pages, shared_info, flags, store_mfn, store_evtchn, console_mfn, console_evtchn;
    uint32_t pt_base, nr_pt_frames, mfn_list, mod_start, mod_len;
};
struct fault_record { uint32_t vector, error, eip, cs, cr2; };
struct mmu_update { uint64_t ptr, val; };
struct mmuext_op { uint32_t cmd, arg1, arg2; };
struct multicall_entry { uint32_t op, result, args[6]; };
struct trap_info { uint8_t vector, flags; uint16_t cs; uint32_t address; };

extern char hypercall_page[];
extern volatile struct fault_record fault;
extern volatile uint32_t shared_info_va;
extern uint32_t probe_esp_shadow;
extern char user_page[], user_hypercall[], user_int3[], user_into[], user_int80[], user_write_kernel[];
int probe(void (*fn)(uint32_t), uint32_t arg);
void enter_ring3(uint32_t eip, uint32_t esp) __attribute__((noreturn));
void trap_0(void), trap_3(void), trap_4(void), trap_6(void), trap_13(void), trap_14(void), trap_0x80(void), trap_0x81(void);

/* Pages of our own to play with (bss: mapped read-write by the domain builder). */
static uint8_t pages[8][4096] __attribute__((aligned(4096)));
static uint8_t shared_page[4096] __attribute__((aligned(4096)));
static uint8_t user_stack[4096] __attribute__((aligned(4096)));
static uint8_t trap_stack[8192] __attribute__((aligned(16)));
static struct mmu_update reqs[2500];
static struct multicall_entry calls[1500];

static const struct start_info *si;
static const uint32_t *p2m;
static const uint32_t *const m2p = (const uint32_t *)HYPERVISOR_VIRT_START;
static int tests, failures;

/* ---- Hypercalls and the console -------------------------------------------------------------- */

static int32_t hcall(uint32_t nr, uint32_t a1, uint32_t a2, uint32_t a3, uint32_t a4, uint32_t a5)
{
    uint32_t r = (uint32_t)(hypercall_page + 32 * nr);
    __asm__ volatile("call *%%eax" : "+a"(r), "+b"(a1), "+c"(a2), "+d"(a3), "+S"(a4), "+D"(a5) : : "memory", "cc");
    return (int32_t)r;
}

/* int $0x82 with any number in EAX, past the 128 slots of the hypercall page. */
static int32_t raw_hcall(uint32_t nr)
{
    __asm__ volatile("int $0x82" : "+a"(nr) : : "ebx", "ecx", "edx", "esi", "edi", "memory", "cc");
    return (int32_t)nr;
}

static uint32_t str_len(const char *s) { uint32_t n = 0; while (s[n]) n++; return n; }
static void puts_(const char *s) { hcall(HC_console_io, 0, str_len(s), (uint32_t)s, 0, 0); }

static void put_num(int32_t v, int hex)
{
    char b[16];
    int i = 15;
    uint32_t u = (!hex && v < 0) ? (uint32_t)-v : (uint32_t)v;
    b[i] = 0;
    do { b[--i] = "0123456789abcdef"[u % (hex ? 16 : 10)]; u /= hex ? 16 : 10; } while (u);
    if (hex) { b[--i] = 'x'; b[--i] = '0'; }
    else if (v < 0) b[--i] = '-';
    puts_(b + i);
}

static void shutdown(uint32_t reason)
{
    uint32_t r = reason;
    hcall(HC_sched_op, 2, (uint32_t)&r, 0, 0, 0);
    for (;;) ;
}

/* ---- TAP -------------------------------------------------------------------------------------- */

#define PLANNED 98

static void ok(int cond, const char *what)
{
    tests++;
    if (!cond) failures++;
    puts_(cond ? "ok " : "not ok ");
    put_num(tests, 0);
    puts_(" - ");
    puts_(what);
    puts_("\n");
}

/* A hypercall result against the value Xen gives; a mismatch prints what came back. */
static void expect(int32_t got, int32_t want, const char *what)
{
    ok(got == want, what);
    if (got != want) { puts_("# got "); put_num(got, 0); puts_(", want "); put_num(want, 0); puts_("\n"); }
}

/* A fault caught by probe(): its vector and error code. */
static void expect_fault(int caught, uint32_t vector, uint32_t error, const char *what)
{
    int good = caught && fault.vector == vector && fault.error == error;
    ok(good, what);
    if (!good) {
        puts_("# caught "); put_num(caught, 0); puts_(" vector "); put_num(fault.vector, 1);
        puts_(" error "); put_num(fault.error, 1); puts_(" eip "); put_num(fault.eip, 1); puts_("\n");
    }
}

/* One fault to provoke: probe(fn, arg) must be caught with this vector and error code. */
struct fault_case { void (*fn)(uint32_t); uint32_t arg, vector, error; const char *what; };

static int expect_probe(const struct fault_case *c)
{
    int caught = probe(c->fn, c->arg);
    expect_fault(caught, c->vector, c->error, c->what);
    return caught;
}

void unexpected_fault(void)
{
    puts_("Bail out! unexpected fault: vector "); put_num(fault.vector, 1);
    puts_(" error "); put_num(fault.error, 1); puts_(" eip "); put_num(fault.eip, 1);
    puts_(" cr2 "); put_num(fault.cr2, 1); puts_("\n");
    shutdown(3);
}

/* ---- Page-table helpers ----------------------------------------------------------------------- */

static uint32_t mfn_of(const void *va) { return p2m[(uint32_t)va >> 12]; }
/* A frame's VA through the M2P (pseudo-physical memory is mapped at VIRT_BASE 0). */
static void *va_of_mfn(uint32_t mfn) { return (void *)(m2p[mfn] << 12); }
static uint64_t *l3_table(void) { return (uint64_t *)si->pt_base; }
static uint32_t l3_mfn(void) { return mfn_of(l3_table()); }
static uint32_t frame(uint64_t e) { return (uint32_t)((e & ADDR_MASK) >> 12); }
static uint64_t *l2_of(uint32_t va) { return va_of_mfn(frame(l3_table()[va >> 30])); }
static uint64_t *l1_of(uint32_t va) { return va_of_mfn(frame(l2_of(va)[(va >> 21) & 511])); }
/* The machine address of a table entry (the `ptr` of mmu_update). */
static uint64_t entry_ma(const uint64_t *table, uint32_t index) { return ((uint64_t)mfn_of(table) << 12) + index * 8; }
static uint64_t l1e_ma(uint32_t va) { return entry_ma(l1_of(va), (va >> 12) & 511); }
static uint64_t pte(uint32_t mfn, uint64_t flags) { return ((uint64_t)mfn << 12) | flags; }

static int32_t mmu_update1(uint64_t ptr, uint64_t val)
{
    static struct mmu_update r;
    r.ptr = ptr;
    r.val = val;
    return hcall(HC_mmu_update, (uint32_t)&r, 1, 0, DOMID_SELF, 0);
}

static int32_t mmuext1(uint32_t cmd, uint32_t arg1)
{
    static struct mmuext_op op;
    op.cmd = cmd;
    op.arg1 = arg1;
    op.arg2 = 0;
    return hcall(HC_mmuext_op, (uint32_t)&op, 1, 0, DOMID_SELF, 0);
}

static int32_t uvm(const void *va, uint64_t val, uint32_t flags)
{
    return hcall(HC_update_va_mapping, (uint32_t)va, (uint32_t)val, (uint32_t)(val >> 32), flags, 0);
}

static int32_t evtchn(uint32_t cmd, void *arg) { return hcall(HC_event_channel_op, cmd, (uint32_t)arg, 0, 0, 0); }

/* ---- Things probed for faults ----------------------------------------------------------------- */

static void store32(uint32_t va) { *(volatile uint32_t *)va = 0; }
static void run_user(uint32_t eip) { enter_ring3(eip, (uint32_t)(user_stack + sizeof user_stack)); }
static void in_port(uint32_t port) { (void)port; __asm__ volatile("inb $0x60, %%al" : : : "eax"); }
static void int81(uint32_t unused) { (void)unused; __asm__ volatile("int $0x81"); }

static void do_cli(uint32_t unused) { (void)unused; __asm__ volatile("cli"); }
static void do_hlt(uint32_t unused) { (void)unused; __asm__ volatile("hlt"); }
static void load_cr3(uint32_t v) { __asm__ volatile("mov %0, %%cr3" : : "r"(v)); }
static void do_lgdt(uint32_t unused) { static uint16_t gdtr[3]; (void)unused; __asm__ volatile("lgdt %0" : : "m"(gdtr)); }
static void do_wrmsr(uint32_t msr) { __asm__ volatile("wrmsr" : : "c"(msr), "a"(0), "d"(0)); }

static volatile uint8_t *shared_info(void) { return (volatile uint8_t *)shared_info_va; }

/* ---- The tests -------------------------------------------------------------------------------- */

static void page_table_rules(void)
{
    uint8_t *victim = pages[0];
    uint32_t vmfn = mfn_of(victim);
    uint64_t *l1 = l1_of((uint32_t)victim);

    expect(mmu_update1(l1e_ma((uint32_t)victim), pte(l3_mfn(), _P | _RW | _A)), -EBUSY,
        "mmu_update: an L1 entry mapping our own L3 read-write is -EBUSY");
    expect(uvm(victim, pte(l3_mfn(), _P | _RW | _A), 0), -EBUSY,
        "update_va_mapping: mapping our own L3 read-write is -EBUSY");
    expect(uvm(victim, pte(mfn_of(l1), _P | _RW | _A), 0), -EBUSY,
        "update_va_mapping: mapping the L1 that maps the page itself read-write is -EBUSY");
    int32_t rc = uvm(victim, pte(l3_mfn(), _P | _A), 2);
    uint64_t seen = *(volatile uint64_t *)victim;
    int32_t back = uvm(victim, pte(vmfn, _P | _RW | _A), 2);
    ok(rc == 0 && seen == l3_table()[0] && back == 0, "a page table may be mapped read-only (and read through it)");

    expect(uvm(victim, pte(0, _P | _A), 0), -EINVAL, "mapping machine frame 0 (the hypervisor's) is -EINVAL");
    uint32_t m2p_l1 = frame(l2_of(0xC0000000u)[XEN_L2_FIRST_SLOT]);
    expect(uvm(victim, pte(m2p_l1, _P | _A), 0), -EINVAL, "mapping the hypervisor's M2P L1 frame is -EINVAL");
    expect(uvm(victim, pte(0xFFFFF, _P | _A), 0), -EPERM, "mapping a frame beyond RAM (I/O memory) is -EPERM");
    expect(mmu_update1(0x10, 0), -EINVAL, "mmu_update into hypervisor memory (frame 0) is -EINVAL");
    expect(mmuext1(MMUEXT_PIN_L1, vmfn), -EINVAL, "pinning a writably mapped frame as an L1 is -EINVAL");

    int caught = probe(store32, (uint32_t)&l1[5]);
    expect_fault(caught, 14, 3, "a direct write to our own L1 is a #PF (present|write) we see");
    ok(caught && fault.cr2 == (uint32_t)&l1[5], "its fault address is in vcpu_info.arch.cr2");

    expect(mmuext1(MMUEXT_UNPIN, vmfn), -EINVAL, "unpinning a frame that is not pinned is -EINVAL");
    uint8_t *t = pages[1];
    uint32_t tmfn = mfn_of(t);
    expect(uvm(t, pte(tmfn, _P | _A), 2), 0, "a fresh frame mapped read-only");
    expect(mmuext1(MMUEXT_PIN_L1, tmfn), 0, "pinned as an L1");
    expect(mmuext1(MMUEXT_PIN_L1, tmfn), -EINVAL, "pinning it twice is -EINVAL");
    expect(mmuext1(MMUEXT_UNPIN, tmfn), 0, "unpinned");
    expect(mmuext1(MMUEXT_UNPIN, tmfn), -EINVAL, "unpinning it twice is -EINVAL");
    expect(mmuext1(MMUEXT_NEW_BASEPTR, vmfn), -EINVAL, "NEW_BASEPTR onto a writable frame is -EINVAL");
    expect(mmuext1(MMUEXT_NEW_BASEPTR, tmfn), -EINVAL, "NEW_BASEPTR onto a frame that is no valid L3 (slot 3 empty) is -EINVAL");
    expect(mmuext1(MMUEXT_PIN_L1, 0), -EINVAL, "pinning the hypervisor's frame 0 is -EINVAL");
    expect(mmuext1(MMUEXT_PIN_L2, 0x7FFFFFFF), -EINVAL, "pinning a frame beyond RAM is -EINVAL");
}

static void entry_flag_rules(void)
{
    uint8_t *victim = pages[0];
    uint32_t vmfn = mfn_of(victim);
    uint64_t *l3 = l3_table();
    uint64_t *l2 = l2_of((uint32_t)victim);

    expect(mmu_update1(entry_ma(l3, 0), l3[0] | _RW), -EINVAL, "an L3 entry with RW (reserved in a PDPTE) is -EINVAL");
    expect(mmu_update1(entry_ma(l3, 3), l3[3]), -EINVAL, "L3 slot 3 (Xen's mappings) cannot be updated: -EINVAL");
    expect(mmu_update1(entry_ma(l3, 4), 0), -EINVAL, "L3 slot 4 (beyond the 4 PDPTEs) is -EINVAL");
    uint64_t *l2xen = l2_of(0xC0000000u);
    expect(mmu_update1(entry_ma(l2xen, XEN_L2_FIRST_SLOT), 0), -EPERM, "writing a Xen-reserved L2 slot is -EPERM");
    expect(mmu_update1(entry_ma(l2xen, 511), 0), -EPERM, "writing the last Xen-reserved L2 slot is -EPERM");
    expect(uvm(victim, pte(vmfn, _P | _RW | _A | _PCD), 0), -EINVAL, "an L1 entry with PCD is -EINVAL");
    expect(mmu_update1(entry_ma(l2, 500), pte(vmfn, _P | _PSE)), -EINVAL, "an L2 superpage (PSE) is -EINVAL");
    expect(mmu_update1(entry_ma(l2, 500), pte(mfn_of(l2), _P)), -EINVAL, "an L2 entry pointing at the L2 itself is -EINVAL");
    expect(mmu_update1(l1e_ma((uint32_t)victim) | 5, 0), -ENOSYS, "mmu_update command 5 is -ENOSYS");
    struct mmu_update one = { l1e_ma((uint32_t)victim), pte(vmfn, _P | _RW | _A) };
    expect(hcall(HC_mmu_update, (uint32_t)&one, 1, 0, 5, 0), -ESRCH, "mmu_update for another domain is -ESRCH");

    expect(mmu_update1(MMU_MACHPHYS_UPDATE, 0), -EINVAL, "MMU_MACHPHYS_UPDATE of frame 0 (not ours) is -EINVAL");
    expect(mmu_update1(((uint64_t)vmfn << 12) | MMU_MACHPHYS_UPDATE, m2p[vmfn]), 0, "MMU_MACHPHYS_UPDATE of our own frame is 0");
    uint32_t si_mfn = si->shared_info >> 12;
    expect(mmu_update1(((uint64_t)si_mfn << 12) | MMU_MACHPHYS_UPDATE, m2p[si_mfn]), 0,
        "MMU_MACHPHYS_UPDATE of the shared_info frame is 0");

    expect(uvm(victim, pte(vmfn, _P | _RW | _A), 3), 0, "update_va_mapping flush type 3 is accepted");
    expect(uvm(victim, pte(vmfn, _P | _RW | _A), HYPERVISOR_VIRT_START | 1), -EFAULT,
        "update_va_mapping with a vCPU bitmap in the hypervisor hole is -EFAULT");
    expect(uvm((void *)HYPERVISOR_VIRT_START, pte(vmfn, _P | _A), 0), -EINVAL, "update_va_mapping in the hypervisor hole is -EINVAL");
}

/* A second address space: XEN-ABI.md §6 "PAE (PV32) specifics" for the pae_xen_l2 of slot 3. */
static void second_l3(void)
{
    uint64_t *l3 = (uint64_t *)pages[5], *xen_l2 = (uint64_t *)pages[6];
    uint32_t l3mfn = mfn_of(l3), xl2mfn = mfn_of(xen_l2);
    l3[0] = l3_table()[0];
    l3[3] = l3_table()[3];                                  /* our own pae_xen_l2 */
    expect(uvm(l3, pte(l3mfn, _P | _A), 2), 0, "a new L3 (copied from ours) mapped read-only");
    expect(mmuext1(MMUEXT_PIN_L3, l3mfn), -EINVAL, "an L3 sharing our pae_xen_l2 does not pin: -EINVAL");
    expect(uvm(l3, pte(l3mfn, _P | _RW | _A), 2), 0, "... and is writable again");
    l3[3] = 0;
    l3[0] = l3_table()[3];                                  /* our pae_xen_l2 as an ordinary L2 */
    l3[3] = pte(xl2mfn, _P);
    expect(uvm(l3, pte(l3mfn, _P | _A), 2) | uvm(xen_l2, pte(xl2mfn, _P | _A), 2), 0, "the L3 and a fresh L2 read-only");
    expect(mmuext1(MMUEXT_PIN_L3, l3mfn), -EINVAL, "a pae_xen_l2 in slot 0 does not pin: -EINVAL");
    expect(uvm(l3, pte(l3mfn, _P | _RW | _A), 2), 0, "the L3 writable again");
    l3[0] = l3_table()[0];                                  /* our slot-0 L2 (an L2 may be shared) */
    expect(uvm(l3, pte(l3mfn, _P | _A), 2), 0, "the L3 read-only again");
    expect(mmuext1(MMUEXT_PIN_L3, l3mfn), 0, "an L3 with its own pae_xen_l2 pins");
    ok(l2_of(0xC0000000u)[XEN_L2_FIRST_SLOT] == xen_l2[XEN_L2_FIRST_SLOT] && xen_l2[XEN_L2_FIRST_SLOT] != 0,
        "Xen filled the new pae_xen_l2's hypervisor slots");
    uint32_t old = l3_mfn();
    int32_t to_new = mmuext1(MMUEXT_NEW_BASEPTR, l3mfn);
    volatile uint32_t *probe_va = (volatile uint32_t *)pages[0];
    probe_va[9] = 0x5A5A;                                    /* runs on the new tables */
    uint32_t seen = m2p[l3mfn];                              /* the M2P through the new pae_xen_l2 */
    int32_t back = mmuext1(MMUEXT_NEW_BASEPTR, old);
    ok(to_new == 0 && back == 0 && probe_va[9] == 0x5A5A && seen == ((uint32_t)l3 >> 12),
        "NEW_BASEPTR onto it and back: the kernel and the M2P stay mapped");
    expect(mmuext1(MMUEXT_UNPIN, l3mfn), 0, "unpinned");
    expect(uvm(xen_l2, pte(xl2mfn, _P | _RW | _A), 2), 0, "its pae_xen_l2 is free to be mapped writable again");
    ok(xen_l2[XEN_L2_FIRST_SLOT] == 0, "... with Xen's slots cleared");
}

static void ring3_and_traps(void)
{
    int caught;
    expect(uvm(user_page, pte(mfn_of(user_page), _P | _US | _A), 2), 0, "the ring-3 code page mapped user, read-only");
    expect(uvm(user_stack, pte(mfn_of(user_stack), _P | _RW | _US | _A), 2), 0, "the ring-3 stack mapped user, read-write");

    caught = probe(run_user, (uint32_t)user_hypercall);
    expect_fault(caught, 13, 0x82 * 8 + 2, "int 0x82 from ring 3 is #GP(0x412), delivered to us");
    ok(caught && (fault.cs & 3) == 3 && fault.eip == (uint32_t)user_hypercall + 7, "... at the int instruction, in ring 3");
    const struct fault_case user_cases[] = {
        {run_user, (uint32_t)user_int3, 3, 0, "int3 from ring 3 reaches #BP although its trap-table DPL is 0"},
        {run_user, (uint32_t)user_into, 4, 0, "into from ring 3 reaches #OF although its trap-table DPL is 0"},
        {run_user, (uint32_t)user_int80, 13, 0x80 * 8 + 2, "int 0x80 from ring 3 with trap-table DPL 0 is #GP(0x402)"},
        {run_user, (uint32_t)user_write_kernel, 14, 7, "ring 3 writing kernel memory is #PF (present|write|user)"},
    };
    for (uint32_t i = 0; i < sizeof user_cases / sizeof user_cases[0]; i++) caught = expect_probe(&user_cases[i]);
    ok(caught && fault.cr2 == (uint32_t)&probe_esp_shadow, "... with its address in arch.cr2");
    shared_info()[1] = 1; /* events masked again: the iret to ring 3 cleared the upcall mask */

    const struct fault_case ring1_cases[] = {
        {in_port, 0x60, 13, 0, "IN from ring 1 is #GP(0)"},
        {do_cli, 0, 13, 0, "cli in ring 1 (IOPL 0) is #GP(0)"},
        {do_hlt, 0, 13, 0, "hlt in ring 1 is #GP(0)"},
        {load_cr3, 0, 13, 0, "mov to CR3 of frame 0 (no L3 of ours) is #GP(0)"},
        {do_lgdt, 0, 13, 0, "lgdt in ring 1 is #GP(0)"},
        {do_wrmsr, 0x1234, 13, 0, "wrmsr of an MSR that does not exist is #GP(0)"},
        {store32, HYPERVISOR_VIRT_START + 8, 14, 3, "a write to the read-only M2P is #PF (present|write)"},
        {store32, 0xFC000000u + 14 * 4096 + 0x18, 14, 3, "a write to Xen's GDT (FLAT_RING1_CS) is #PF (present|write)"},
    };
    for (uint32_t i = 0; i < sizeof ring1_cases / sizeof ring1_cases[0]; i++) caught = expect_probe(&ring1_cases[i]);
    ok(caught && fault.cr2 == 0xFC000000u + 14 * 4096 + 0x18, "... with its address in arch.cr2");
    caught = probe(int81, 0);
    ok(caught && fault.vector == 0x81 && (fault.cs & 3) == 1, "a ring-0 handler selector in the trap table runs in ring 1");
}

static void bad_pointers_and_numbers(void)
{
    expect(hcall(HC_mmu_update, HYPERVISOR_VIRT_START, 1, 0, DOMID_SELF, 0), -EFAULT, "mmu_update reading the hypervisor hole is -EFAULT");
    expect(hcall(HC_mmu_update, 0x40000000, 1, 0, DOMID_SELF, 0), -EFAULT, "mmu_update reading unmapped memory is -EFAULT");
    expect(hcall(HC_mmuext_op, 0xFC000000, 1, 0, DOMID_SELF, 0), -EFAULT, "mmuext_op reading the hypervisor's GDT is -EFAULT");
    expect(hcall(HC_xen_version, 1, HYPERVISOR_VIRT_START, 0, 0, 0), -EFAULT, "xen_version writing into the hole is -EFAULT");
    expect(hcall(HC_xen_version, 1, si->pt_base, 0, 0, 0), -EFAULT, "xen_version writing into a read-only page table is -EFAULT");
    expect(hcall(HC_console_io, 0, 16, 0xFFFFF000, 0, 0), -EFAULT, "console_io from the hole is -EFAULT");
    expect(hcall(HC_set_trap_table, 0xF6000000, 0, 0, 0, 0), -EFAULT, "set_trap_table from the hole is -EFAULT");
    expect(hcall(HC_multicall, HYPERVISOR_VIRT_START, 1, 0, 0, 0), -EFAULT, "multicall reading the hole is -EFAULT");
    expect(evtchn(3, (void *)0x40000000), -EFAULT, "event_channel_op close with an unmapped argument is -EFAULT");
    expect(hcall(11, 0, 0, 0, 0, 0), -ENOSYS, "hypercall 11 (unused) is -ENOSYS");
    expect(hcall(127, 0, 0, 0, 0, 0), -ENOSYS, "hypercall 127 is -ENOSYS");
    expect(raw_hcall(0x10000), -ENOSYS, "hypercall 0x10000 is -ENOSYS");
    expect(mmuext1(14, 0), -ENOSYS, "mmuext_op command 14 is -ENOSYS");
    expect(mmuext1(0xFFFF, 0), -ENOSYS, "mmuext_op command 0xffff is -ENOSYS");
    expect(mmuext1(19, 0), -EOPNOTSUPP, "mmuext_op MARK_SUPER is -EOPNOTSUPP");

    static struct multicall_entry mc[3];
    mc[0].op = HC_multicall; mc[0].args[0] = (uint32_t)mc; mc[0].args[1] = 1;
    mc[1].op = 99;
    mc[2].op = HC_xen_version;
    int32_t rc = hcall(HC_multicall, (uint32_t)mc, 3, 0, 0, 0);
    ok(rc == 0 && mc[0].result == (uint32_t)-EINVAL && mc[1].result == (uint32_t)-ENOSYS && mc[2].result == 0x40011,
        "multicall: a nested multicall is -EINVAL, an unknown op -ENOSYS, the rest runs");
}

static void event_channels(void)
{
    uint32_t arg[3];
    uint32_t n = 0;
    int32_t rc;
    for (;;) {
        arg[0] = DOMID_SELF; /* dom and remote_dom (u16 each) */
        arg[0] |= DOMID_SELF << 16;
        rc = evtchn(6, arg);
        if (rc != 0 || n > 2000) break;
        n++;
    }
    ok(n == 1023 && rc == -ENOSPC, "alloc_unbound takes every port but 0, then -ENOSPC");
    int32_t bad = 0;
    for (uint32_t p = 1; p <= n; p++) { arg[0] = p; if (evtchn(3, arg) != 0) bad++; }
    ok(bad == 0, "every port closes");
    arg[0] = 1;
    expect(evtchn(3, arg), -EINVAL, "closing a closed port is -EINVAL");
    expect(evtchn(4, arg), -EINVAL, "sending on a closed port is -EINVAL");
    arg[0] = 24; arg[1] = 0;
    expect(evtchn(1, arg), -EINVAL, "bind_virq 24 (NR_VIRQS) is -EINVAL");

    arg[0] = 0;
    rc = evtchn(7, arg); /* bind_ipi {vcpu 0, OUT port} */
    uint32_t port = arg[1];
    volatile uint32_t *pending = (volatile uint32_t *)(shared_info() + 2048);
    arg[0] = port;
    int32_t sent = evtchn(4, arg);
    uint32_t before = pending[port / 32] & (1u << (port % 32));
    int32_t closed = evtchn(3, arg);
    uint32_t after = pending[port / 32] & (1u << (port % 32));
    ok(rc == 0 && sent == 0 && before && closed == 0 && !after, "closing a port clears its pending bit");
}

static void long_hypercalls(void)
{
    uint64_t *dst = (uint64_t *)pages[2];
    for (uint32_t i = 0; i < 2500; i++) {
        reqs[i].ptr = ((uint64_t)mfn_of(&dst[i % 1024]) << 12) + ((uint32_t)&dst[i % 1024] & 0xFFF);
        reqs[i].val = i;
    }
    uint32_t done = 0;
    int32_t rc = hcall(HC_mmu_update, (uint32_t)reqs, 2500, (uint32_t)&done, DOMID_SELF, 0);
    ok(rc == 0 && done == 2500 && dst[0] == 2048 && dst[451] == 2499 && dst[1023] == 2047,
        "mmu_update of 2500 entries (Xen preempts and continues it) does them all");

    for (uint32_t i = 0; i < 1500; i++) { calls[i].op = HC_xen_version; calls[i].result = 1; }
    rc = hcall(HC_multicall, (uint32_t)calls, 1500, 0, 0, 0);
    uint32_t good = 0;
    for (uint32_t i = 0; i < 1500; i++) good += calls[i].result == 0x40011;
    ok(rc == 0 && good == 1500, "a multicall of 1500 entries runs every one");
}

static void still_consistent(void)
{
    uint8_t *t = pages[4];
    uint32_t tmfn = mfn_of(t);
    int32_t a = uvm(t, pte(tmfn, _P | _A), 2);
    int32_t b = mmuext1(MMUEXT_PIN_L1, tmfn);
    int32_t c = mmuext1(MMUEXT_UNPIN, tmfn);
    int32_t d = uvm(t, pte(tmfn, _P | _RW | _A), 2);
    ok(a == 0 && b == 0 && c == 0 && d == 0, "afterwards a fresh L1 still pins and unpins, and maps read-write again");
    volatile uint32_t *v = (volatile uint32_t *)pages[0];
    v[7] = 0xC0FFEE;
    ok(v[7] == 0xC0FFEE && *(volatile uint64_t *)&l3_table()[3] != 0, "our mappings still work");
}

void hostile_main(const struct start_info *start)
{
    si = start;
    p2m = (const uint32_t *)si->mfn_list;
    puts_("hostile: a PV guest that tries what Xen forbids\n");
    puts_("1..");
    put_num(PLANNED, 0);
    puts_("\n");

    static struct trap_info traps[] = {
        {0, 0, FLAT_RING1_CS, 0}, {3, 0, FLAT_RING1_CS, 0}, {4, 0, FLAT_RING1_CS, 0}, {6, 0, FLAT_RING1_CS, 0},
        {13, 0, FLAT_RING1_CS, 0}, {14, 0, FLAT_RING1_CS, 0}, {0x80, 0, FLAT_RING1_CS, 0},
        {0x81, 1, FLAT_RING1_CS & ~3u, 0}, {0, 0, 0, 0},
    };
    void (*handlers[])(void) = {trap_0, trap_3, trap_4, trap_6, trap_13, trap_14, trap_0x80, trap_0x81};
    for (int i = 0; i < 8; i++) traps[i].address = (uint32_t)handlers[i];
    expect(hcall(HC_set_trap_table, (uint32_t)traps, 0, 0, 0, 0), 0, "set_trap_table");
    /* An RPL-0 stack selector: Xen raises it to ring 1 (the ring-3 tests below fault onto this stack). */
    expect(hcall(HC_stack_switch, FLAT_RING1_DS & ~3u, (uint32_t)(trap_stack + sizeof trap_stack), 0, 0, 0), 0,
        "stack_switch with an RPL-0 selector (raised to ring 1)");
    expect(uvm(shared_page, (uint64_t)(si->shared_info & ~0xFFFu) | _P | _RW | _A, 2), 0, "shared_info mapped");
    shared_info_va = (uint32_t)shared_page;

    page_table_rules();
    entry_flag_rules();
    second_l3();
    ring3_and_traps();
    bad_pointers_and_numbers();
    event_channels();
    long_hypercalls();
    still_consistent();

    if (tests != PLANNED) { puts_("# planned "); put_num(PLANNED, 0); puts_(" tests, ran "); put_num(tests, 0); puts_("\n"); }
    puts_(failures == 0 && tests == PLANNED ? "hostile: all tests passed\n" : "hostile: FAILED\n");
    shutdown(failures == 0 && tests == PLANNED ? 0 : 3);
}
