/* What boot.c found and chose, handed to the kernel core. */
#ifndef TK_BOOT_H
#define TK_BOOT_H

#include "lib.h"

struct multiboot_info;

struct boot_info {
    const struct multiboot_info *multiboot; /* NULL when not booted by a multiboot loader */
    const void *start_info;                 /* Xen start_info, NULL natively */
    const char *cmdline;
    int strategy;                           /* PV_FLAG, PV_OPS or PV_PATCH */
    int bad_pv;                             /* pv= named no strategy (ops is used) */
    int bench;
    int shell;                              /* `shell`: an interactive shell after the self-tests */
    uint32_t xen_base;                      /* CPUID base holding XenVMMXenVMM, 0 when none */
    uint32_t xen_max_leaf, xen_version;
    char hv_signature[13];                  /* the hypervisor signature seen, "" when none */
    uint32_t patched_sites, patched_inlined;
};

extern struct boot_info boot_info;

#endif
