/* One-time platform set-up and the selectors the kernel uses (pv_native.c). */
#ifndef TK_PLATFORM_H
#define TK_PLATFORM_H

#include "lib.h"

#define KERNEL_CS 0x08
#define KERNEL_DS 0x10
#define USER_CS 0x1B
#define USER_DS 0x23

void platform_init(void);
void platform_enable_paging(uint32_t l3_phys);

#endif
