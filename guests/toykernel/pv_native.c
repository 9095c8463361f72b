/*
 * The native backend: the paravirt operations as bare-hardware instructions and PC devices,
 * plus the one-time platform set-up (GDT and TSS, PIC, UART, turning PAE paging on).
 */
#include "platform.h"
#include "io.h"
#include "pv_defs.h"

struct pv_ops pv_ops;
uint8_t pv_on_xen;

const char *const pv_op_names[PV_NR_OPS] = {
#define PV_NAME(name, ret, args) #name,
    PV_OP_LIST(PV_NAME)
#undef PV_NAME
};

struct tss32 native_tss __attribute__((aligned(128)));

/* ---- the operations -------------------------------------------------------------------------- */

PVFN void native_write_pte_l1(uint32_t *entry, uint32_t lo, uint32_t hi)
{
    ((volatile uint32_t *)entry)[1] = hi;
    ((volatile uint32_t *)entry)[0] = lo;
}

PVFN void native_write_pte_l2(uint32_t *entry, uint32_t lo, uint32_t hi)
{
    ((volatile uint32_t *)entry)[1] = hi;
    ((volatile uint32_t *)entry)[0] = lo;
}

/* A PDPTE takes effect at the next CR3 load (SDM Vol. 3A §4.4.1); callers reload CR3. */
PVFN void native_write_pte_l3(uint32_t *entry, uint32_t lo, uint32_t hi)
{
    ((volatile uint32_t *)entry)[1] = hi;
    ((volatile uint32_t *)entry)[0] = lo;
}

PVFN void native_load_pt_base(uint32_t l3_phys) { __asm__ volatile("mov %0, %%cr3" : : "r"(l3_phys) : "memory"); }
PVFN void native_flush_tlb_one(uint32_t va) { __asm__ volatile("invlpg (%0)" : : "r"(va) : "memory"); }
PVFN void native_flush_tlb(void)
{
    uint32_t t;
    __asm__ volatile("mov %%cr3, %0; mov %0, %%cr3" : "=r"(t) : : "memory");
}
PVFN void native_irq_disable(void) { __asm__ volatile("cli" ::: "memory"); }
PVFN void native_irq_enable(void) { __asm__ volatile("sti" ::: "memory"); }
PVFN uint32_t native_irq_save(void)
{
    uint32_t f;
    __asm__ volatile("pushfl; popl %0; cli" : "=r"(f) : : "memory");
    return f;
}
PVFN void native_irq_restore(uint32_t flags) { __asm__ volatile("pushl %0; popfl" : : "r"(flags) : "memory", "cc"); }
PVFN void native_idle(void) { __asm__ volatile("sti; hlt" ::: "memory"); }
PVFN void native_load_trap_table(const void *idtr) { __asm__ volatile("lidt (%0)" : : "r"(idtr) : "memory"); }
PVFN void native_set_kernel_stack(uint32_t esp0) { native_tss.esp0 = esp0; }

/* PIT channel 0, mode 0 (interrupt on terminal count): IRQ0 once, after pit_ticks input clocks. */
PVFN void native_arm_timer(uint32_t pit_ticks)
{
    if (pit_ticks == 0 || pit_ticks > 0xFFFF)
        pit_ticks = 0xFFFF;
    outb(0x43, 0x30); /* channel 0, lobyte/hibyte, mode 0, binary */
    outb(0x40, (uint8_t)pit_ticks);
    outb(0x40, (uint8_t)(pit_ticks >> 8));
}

PVFN void native_irq_eoi(void) { outb(0x20, 0x20); /* non-specific EOI to the master PIC */ }

#define COM1 0x3F8
PVFN void native_console_write(const char *s, uint32_t len)
{
    for (uint32_t i = 0; i < len; i++) {
        /* Bounded wait on LSR.THRE so that a machine without a UART never hangs here. */
        for (uint32_t tries = 0; tries < 100000; tries++)
            if (inb(COM1 + 5) & 0x20)
                break;
        outb(COM1, (uint8_t)s[i]);
        outb(0xE9, (uint8_t)s[i]);
    }
}

PVFN uint32_t native_read_fault_addr(void)
{
    uint32_t v;
    __asm__ volatile("mov %%cr2, %0" : "=r"(v));
    return v;
}

/* Natively the kernel writes its page tables through the direct map: nothing to do. */
PVFN void native_alloc_pt(uint32_t phys) { (void)phys; }
PVFN void native_release_pt(uint32_t phys, uint32_t level)
{
    (void)phys;
    (void)level;
}

PVFN uint32_t native_pfn_to_mfn(uint32_t pfn) { return pfn; }
PVFN uint32_t native_mfn_to_pfn(uint32_t mfn) { return mfn; }

static inline void outw(uint16_t port, uint16_t value) { __asm__ volatile("outw %0, %1" : : "a"(value), "Nd"(port)); }

/*
 * Success: the Bochs/our emulator's APM port 0x8900 ("Shutdown" powers off, exit status 0); if the
 * machine is still running (QEMU has no such port), ACPI PM1a_CNT SLP_TYP|SLP_EN at 0x604 (QEMU's
 * PIIX4/ICH9 PM block as SeaBIOS maps it) and at 0xB004 (older QEMU and Bochs). Failure:
 * isa-debug-exit (port 0xF4) with 1, so the emulator and QEMU exit with status 3.
 * Either way, if nothing took the machine down, stop for good.
 */
PVFN void native_shutdown(uint32_t success)
{
    __asm__ volatile("cli");
    if (success) {
        const char *magic = "Shutdown";
        for (const char *p = magic; *p; p++)
            outb(0x8900, (uint8_t)*p);
        outw(0x604, 0x2000);
        outw(0xB004, 0x2000);
    } else {
        outl(0xF4, 1);
    }
    for (;;)
        __asm__ volatile("cli; hlt");
}

/* ---- platform set-up (not paravirt operations: once at boot) ------------------------------- */

static uint64_t gdt[6] __attribute__((aligned(8)));

static uint64_t descriptor(uint32_t base, uint32_t limit, uint32_t access, uint32_t flags)
{
    return (uint64_t)(limit & 0xFFFF) | ((uint64_t)(base & 0xFFFFFF) << 16) | ((uint64_t)access << 40) |
           ((uint64_t)((limit >> 16) & 0xF) << 48) | ((uint64_t)flags << 52) | ((uint64_t)(base >> 24) << 56);
}

static void native_platform_init(void)
{
    gdt[0] = 0;
    gdt[1] = descriptor(0, 0xFFFFF, 0x9A, 0xC); /* 0x08 ring-0 code */
    gdt[2] = descriptor(0, 0xFFFFF, 0x92, 0xC); /* 0x10 ring-0 data */
    gdt[3] = descriptor(0, 0xFFFFF, 0xFA, 0xC); /* 0x1B ring-3 code (NATIVE_USER_CS) */
    gdt[4] = descriptor(0, 0xFFFFF, 0xF2, 0xC); /* 0x23 ring-3 data */
    gdt[5] = descriptor((uint32_t)&native_tss, sizeof native_tss - 1, 0x89, 0x0); /* 0x28 TSS */
    native_tss.ss0 = KERNEL_DS;
    native_tss.iomap = sizeof native_tss; /* no I/O bitmap: ring 3 gets no port access */
    struct {
        uint16_t limit;
        uint32_t base;
    } __attribute__((packed)) gdtr = {sizeof gdt - 1, (uint32_t)gdt};
    __asm__ volatile("lgdt %0\n"
                     "ljmp $0x08, $1f\n"
                     "1: movw $0x10, %%ax\n"
                     "movw %%ax, %%ds; movw %%ax, %%es; movw %%ax, %%ss; movw %%ax, %%fs; movw %%ax, %%gs\n"
                     "movw $0x28, %%ax\n"
                     "ltr %%ax"
                     :
                     : "m"(gdtr)
                     : "eax", "memory");

    /* PIC: ICW1..ICW4, vectors 0x20-0x2F, only IRQ0 (the PIT) unmasked (8259A data sheet). */
    outb(0x20, 0x11);
    outb(0xA0, 0x11);
    outb(0x21, 0x20);
    outb(0xA1, 0x28);
    outb(0x21, 0x04);
    outb(0xA1, 0x02);
    outb(0x21, 0x01);
    outb(0xA1, 0x01);
    outb(0x21, 0xFE);
    outb(0xA1, 0xFF);

    /* COM1: 115200 8N1, FIFOs on, no interrupts (the console polls). */
    outb(COM1 + 1, 0x00);
    outb(COM1 + 3, 0x80);
    outb(COM1 + 0, 0x01);
    outb(COM1 + 1, 0x00);
    outb(COM1 + 3, 0x03);
    outb(COM1 + 2, 0x07);
}

uint16_t user_cs, user_ds;

/* Natively the kernel owns the machine; under Xen the GDT, PIC and UART are the hypervisor's, and the flat selectors serve. */
void platform_init(int on_xen)
{
    if (on_xen) {
        user_cs = 0xe02b; /* FLAT_RING3_CS, XEN-ABI.md §4 */
        user_ds = 0xe033; /* FLAT_RING3_DS */
        return;
    }
    user_cs = NATIVE_USER_CS;
    user_ds = NATIVE_USER_DS;
    native_platform_init();
}

/* CR4.PAE, then CR3, then CR0.PG|WP (SDM Vol. 3A §4.1.2: PAE must be set before paging is on). */
void platform_enable_paging(uint32_t l3_phys)
{
    uint32_t v;
    __asm__ volatile("mov %%cr4, %0; orl $0x20, %0; mov %0, %%cr4" : "=&r"(v) : : "memory");
    __asm__ volatile("mov %0, %%cr3" : : "r"(l3_phys) : "memory");
    __asm__ volatile("mov %%cr0, %0; orl $0x80010000, %0; mov %0, %%cr0" : "=&r"(v) : : "memory");
}
