/* Reading "name=value" words from the kernel command line. */
#ifndef GUEST_CMDLINE_H
#define GUEST_CMDLINE_H

#include "types.h"

/* The decimal value of the first word "name=N" on the command line, or fallback when absent or malformed. */
uint32_t cmdline_uint(const char *cmdline, const char *name, uint32_t fallback);

#endif
