/*
 * Boot, shared by the three strategies: read the command line, probe for a hypervisor, fill the
 * ops table with a backend, patch the call sites when pv=patch, and enter the kernel core compiled
 * for the chosen strategy (flag_kmain, ops_kmain or patch_kmain).
 */
#include "boot.h"
#include "multiboot.h"
#include "pv_defs.h"
#include "xen.h"

struct boot_info boot_info;

/* The kernel cores (kmain.c compiled three times, symbols prefixed by the Makefile). */
void flag_kmain(struct boot_info *bi) __attribute__((noreturn));
void ops_kmain(struct boot_info *bi) __attribute__((noreturn));
void patch_kmain(struct boot_info *bi) __attribute__((noreturn));

static void cpuid(uint32_t leaf, uint32_t *a, uint32_t *b, uint32_t *c, uint32_t *d)
{
    __asm__ volatile("cpuid" : "=a"(*a), "=b"(*b), "=c"(*c), "=d"(*d) : "a"(leaf), "c"(0));
}

/* CPUID exists when EFLAGS.ID (bit 21) can be toggled (SDM Vol. 1 §19.1). */
static int have_cpuid(void)
{
    uint32_t before, after;
    __asm__ volatile("pushfl; popl %0; movl %0, %1; xorl $0x200000, %1; pushl %1; popfl; pushfl; popl %1; pushl %0; popfl"
                     : "=&r"(before), "=&r"(after));
    return ((before ^ after) & 0x200000) != 0;
}

/* Scans the hypervisor leaves 0x40000000..0x4000FF00 in 0x100 steps for "XenVMMXenVMM" (XEN-ABI.md §3). */
static void probe_hypervisor(struct boot_info *bi)
{
    bi->xen_base = 0;
    bi->hv_signature[0] = 0;
    if (!have_cpuid())
        return;
    for (uint32_t base = 0x40000000; base <= 0x4000FF00; base += 0x100) {
        uint32_t a, sig[3];
        cpuid(base, &a, &sig[0], &sig[1], &sig[2]);
        if (base == 0x40000000 && (sig[0] | sig[1] | sig[2]) != 0) {
            /* Some hypervisor owns the first block: remember its name even if it is not Xen. */
            memcpy(bi->hv_signature, sig, 12);
            bi->hv_signature[12] = 0;
        }
        if (sig[0] == 0x566e6558 && sig[1] == 0x65584d4d && sig[2] == 0x4d4d566e) {
            bi->xen_base = base;
            bi->xen_max_leaf = a;
            memcpy(bi->hv_signature, sig, 12);
            bi->hv_signature[12] = 0;
            uint32_t b, c, d;
            cpuid(base + 1, &a, &b, &c, &d);
            bi->xen_version = a;
            return;
        }
    }
}

/* 1 when the command line holds the word `word` exactly, or `word=...` when prefix is set. */
static const char *find_word(const char *cmdline, const char *word)
{
    const char *p = cmdline;
    uint32_t n = strlen(word);
    while (*p) {
        while (*p == ' ')
            p++;
        if (!*p)
            break;
        const char *start = p;
        while (*p && *p != ' ')
            p++;
        if ((uint32_t)(p - start) >= n && memcmp(start, word, n) == 0 &&
            ((uint32_t)(p - start) == n || word[n - 1] == '='))
            return start + n;
    }
    return 0;
}

static int word_is(const char *value, const char *what)
{
    uint32_t n = strlen(what);
    return memcmp(value, what, n) == 0 && (value[n] == ' ' || value[n] == 0);
}

static void parse_cmdline(struct boot_info *bi)
{
    bi->strategy = PV_OPS;
    bi->bad_pv = 0;
    const char *pv = find_word(bi->cmdline, "pv=");
    if (pv) {
        if (word_is(pv, "flag"))
            bi->strategy = PV_FLAG;
        else if (word_is(pv, "ops"))
            bi->strategy = PV_OPS;
        else if (word_is(pv, "patch"))
            bi->strategy = PV_PATCH;
        else
            bi->bad_pv = 1;
    }
    bi->bench = find_word(bi->cmdline, "bench") != 0;
    bi->shell = find_word(bi->cmdline, "shell") != 0;
}

static void fill_ops(int xen)
{
#define PV_FILL(name, ret, args) pv_ops.name = xen ? xen_##name : native_##name;
    PV_OP_LIST(PV_FILL)
#undef PV_FILL
}

void tk_boot(uint32_t magic, const struct multiboot_info *info, const void *start_info)
{
    struct boot_info *bi = &boot_info;
    bi->multiboot = magic == MULTIBOOT_BOOTLOADER_MAGIC ? info : 0;
    bi->start_info = start_info;
    bi->cmdline = multiboot_cmdline(magic, info);
    if (start_info) {
        /* The Xen PV entry (ring 1, paging on): map shared_info, ask the version, bind the timer VIRQ. */
        const struct xen_start_info *si = start_info;
        xen_init(si);
        bi->cmdline = si->cmd_line;
    }
    parse_cmdline(bi);
    probe_hypervisor(bi);

    /*
     * The backend: Xen when we entered through xen_start (the signature alone is not enough: a
     * multiboot kernel under an HVM Xen still owns the hardware), native otherwise.
     */
    pv_on_xen = start_info != 0;
    fill_ops(pv_on_xen);

    bi->patched_sites = 0;
    if (bi->strategy == PV_PATCH) {
        bi->patched_sites = pv_patch_sites();
        bi->patched_inlined = pv_patch_inlined;
        pv_poison_ops();
    }
    switch (bi->strategy) {
    case PV_FLAG:
        flag_kmain(bi);
    case PV_PATCH:
        patch_kmain(bi);
    default:
        ops_kmain(bi);
    }
}
