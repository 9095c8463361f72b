/* One-time platform set-up and the selectors the kernel uses (pv_native.c). */
#ifndef TK_PLATFORM_H
#define TK_PLATFORM_H

#include "lib.h"

#define KERNEL_CS 0x08
#define KERNEL_DS 0x10
#define NATIVE_USER_CS 0x1B
#define NATIVE_USER_DS 0x23

/* The ring-3 selectors: the kernel's own GDT natively, Xen's flat ring-3 selectors under Xen. */
extern uint16_t user_cs, user_ds;

void platform_init(int on_xen);
void platform_enable_paging(uint32_t l3_phys);

#endif
