/* Reading "name=value" words from the kernel command line. */
#ifndef GUEST_CMDLINE_H
#define GUEST_CMDLINE_H

#include "types.h"

/* The decimal value of the first word "name=N" on the command line, or fallback when absent or malformed. */
uint32_t cmdline_uint(const char *cmdline, const char *name, uint32_t fallback);

/* The text after "name=" of the first word "name=..." (ends at a space or the end), or NULL when absent. */
const char *cmdline_word(const char *cmdline, const char *name);

/* True when the word at value (ended by a space or the end) is exactly text. */
int cmdline_word_is(const char *value, const char *text);

#endif
