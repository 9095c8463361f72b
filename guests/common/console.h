/* The guest console: COM1 (16550 UART at 0x3F8) and the debug console (port 0xE9), written together. */
#ifndef GUEST_CONSOLE_H
#define GUEST_CONSOLE_H

#include "types.h"

void console_init(void);
void console_putc(char c);
void console_puts(const char *s);
void console_put_dec(uint32_t value);
void console_put_hex(uint32_t value);

/* Ends the run through isa-debug-exit (port 0xF4): the emulator exits with (status << 1) | 1. */
void guest_exit(uint32_t status) __attribute__((noreturn));

#endif
