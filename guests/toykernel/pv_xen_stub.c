/*
 * The Xen backend's slots. The backend itself (hypercalls through the hypercall page) is the next
 * issue; until then boot.c never selects it, and each slot stops the machine if it is reached.
 */
#include "io.h"
#include "pv_defs.h"

static void __attribute__((noreturn)) xen_missing(void)
{
    static const char msg[] = "toykernel: xen backend not built yet\n";
    for (const char *p = msg; *p; p++)
        outb(0xE9, (uint8_t)*p);
    outl(0xF4, 1);
    for (;;)
        __asm__ volatile("cli; hlt");
}

#define XEN_STUB(name, ret, args) \
    PVFN ret xen_##name args { xen_missing(); }
PV_OP_LIST(XEN_STUB)
#undef XEN_STUB
