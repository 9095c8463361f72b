/*
 * Boot-time call-site patching (the "patch" strategy). Every site in the patch build of the
 * kernel core is a 6-byte `call *pv_ops+4*op` with a record in .pvpatch. Once the ops table holds
 * the chosen backend, each site becomes either the native instruction sequence (when the backend
 * is native and the sequence fits), padded with one multi-byte NOP (SDM Vol. 2B, NOP: 0F 1F /0),
 * or a direct `cs call rel32` to the implementation, which fills the six bytes by itself.
 */
#include "pv_defs.h"

uint32_t pv_patch_inlined;

struct native_seq {
    uint8_t len;
    uint8_t bytes[PV_SITE_LEN];
};

/* Register convention of a site: argument 1 in EAX, 2 in EDX, 3 in ECX; result in EAX. */
static const struct native_seq native_seqs[PV_NR_OPS] = {
    [PV_OP_write_pte_l1] = {5, {0x89, 0x48, 0x04, 0x89, 0x10}}, /* mov %ecx,4(%eax); mov %edx,(%eax) */
    [PV_OP_write_pte_l2] = {5, {0x89, 0x48, 0x04, 0x89, 0x10}},
    [PV_OP_write_pte_l3] = {5, {0x89, 0x48, 0x04, 0x89, 0x10}},
    [PV_OP_load_pt_base] = {3, {0x0F, 0x22, 0xD8}},             /* mov %eax,%cr3 */
    [PV_OP_flush_tlb_one] = {3, {0x0F, 0x01, 0x38}},            /* invlpg (%eax) */
    [PV_OP_flush_tlb] = {6, {0x0F, 0x20, 0xD8, 0x0F, 0x22, 0xD8}}, /* mov %cr3,%eax; mov %eax,%cr3 */
    [PV_OP_irq_disable] = {1, {0xFA}},                          /* cli */
    [PV_OP_irq_enable] = {1, {0xFB}},                           /* sti */
    [PV_OP_irq_save] = {3, {0x9C, 0x58, 0xFA}},                 /* pushf; pop %eax; cli */
    [PV_OP_irq_restore] = {2, {0x50, 0x9D}},                    /* push %eax; popf */
    [PV_OP_idle] = {2, {0xFB, 0xF4}},                           /* sti; hlt */
    [PV_OP_load_trap_table] = {3, {0x0F, 0x01, 0x18}},          /* lidt (%eax) */
    [PV_OP_set_kernel_stack] = {0xFF, {0}},                     /* mov %eax,native_tss.esp0: built below */
    [PV_OP_arm_timer] = {0xFF, {0}},                            /* several port writes: a call */
    [PV_OP_irq_eoi] = {4, {0xB0, 0x20, 0xE6, 0x20}},            /* mov $0x20,%al; out %al,$0x20 */
    [PV_OP_console_write] = {0xFF, {0}},
    [PV_OP_read_fault_addr] = {3, {0x0F, 0x20, 0xD0}},          /* mov %cr2,%eax */
    [PV_OP_pfn_to_mfn] = {0, {0}},                              /* identity: the result is the argument */
    [PV_OP_mfn_to_pfn] = {0, {0}},
    [PV_OP_shutdown] = {0xFF, {0}},
    [PV_OP_alloc_pt] = {0, {0}},                                /* nothing natively */
    [PV_OP_release_pt] = {0, {0}},
};

/* The recommended multi-byte NOPs (SDM Vol. 2B, NOP, Table 4-12), by length. */
static const uint8_t nops[PV_SITE_LEN + 1][PV_SITE_LEN] = {
    {0},
    {0x90},
    {0x66, 0x90},
    {0x0F, 0x1F, 0x00},
    {0x0F, 0x1F, 0x40, 0x00},
    {0x0F, 0x1F, 0x44, 0x00, 0x00},
    {0x66, 0x0F, 0x1F, 0x44, 0x00, 0x00},
};

static void pad(uint8_t *at, uint32_t n)
{
    memcpy(at, nops[n], n);
}

uint32_t pv_patch_sites(void)
{
    uint32_t count = 0;
    pv_patch_inlined = 0;
    void *const *table = (void *const *)&pv_ops;
    for (const struct pv_patch_site *s = __pvpatch_start; s < __pvpatch_end; s++) {
        uint8_t *site = (uint8_t *)s->site;
        uint32_t len = s->len;
        if (s->op >= PV_NR_OPS || len != PV_SITE_LEN)
            continue; /* a malformed record: leave the site alone (the self-test will see it) */
        void *target = table[s->op];
        struct native_seq seq = native_seqs[s->op];
        if (s->op == PV_OP_set_kernel_stack) {
            uint32_t esp0 = (uint32_t)&native_tss.esp0;
            seq.len = 5;
            seq.bytes[0] = 0xA3; /* mov %eax, moffs32 */
            memcpy(&seq.bytes[1], &esp0, 4);
        }
        /* Inline only when the table holds the native implementation of this very op. */
        static void *const natives[PV_NR_OPS] = {
#define PV_NATIVE(name, ret, args) (void *)native_##name,
            PV_OP_LIST(PV_NATIVE)
#undef PV_NATIVE
        };
        if (target == natives[s->op] && seq.len <= len) {
            memcpy(site, seq.bytes, seq.len);
            pad(site + seq.len, len - seq.len);
            pv_patch_inlined++;
        } else {
            /* `cs call rel32`: the ignored CS prefix fills the sixth byte, so the site stays one instruction (as Linux pads its patched calls). */
            int32_t rel = (int32_t)((uint32_t)target - (s->site + 6));
            site[0] = 0x2E;
            site[1] = 0xE8;
            memcpy(site + 2, &rel, 4);
        }
        count++;
    }
    return count;
}

int pv_site_is_indirect(const struct pv_patch_site *s)
{
    const uint8_t *site = (const uint8_t *)s->site;
    if (site[0] == 0xFF && site[1] == 0x15)
        return 1;
    uint32_t lo = (uint32_t)&pv_ops, hi = lo + sizeof pv_ops;
    for (uint32_t i = 0; i + 4 <= s->len; i++) {
        uint32_t v;
        memcpy(&v, site + i, 4);
        if (v >= lo && v < hi)
            return 1;
    }
    return 0;
}

static void __attribute__((noreturn)) pv_ops_poisoned(void)
{
    static const char msg[] = "toykernel: BUG: a call went through pv_ops after patching\n";
    native_console_write(msg, sizeof msg - 1);
    native_shutdown(0);
    for (;;)
        ;
}

void pv_poison_ops(void)
{
    void **table = (void **)&pv_ops;
    for (int i = 0; i < PV_NR_OPS; i++)
        table[i] = (void *)pv_ops_poisoned;
}
