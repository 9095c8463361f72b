#include "console.h"
#include "io.h"

#define COM1 0x3F8
#define UART_THR 0 /* transmit holding register (DLAB=0) */
#define UART_DLL 0 /* divisor latch low (DLAB=1) */
#define UART_IER 1 /* interrupt enable (DLAB=0) */
#define UART_DLM 1 /* divisor latch high (DLAB=1) */
#define UART_FCR 2 /* FIFO control */
#define UART_LCR 3 /* line control */
#define UART_LSR 5 /* line status */
#define UART_LSR_THRE 0x20

#define DEBUGCON 0xE9
#define DEBUG_EXIT 0xF4

void console_init(void)
{
    outb(COM1 + UART_IER, 0x00); /* no interrupts: the guest polls */
    outb(COM1 + UART_LCR, 0x80); /* DLAB on to reach the divisor */
    outb(COM1 + UART_DLL, 0x01); /* divisor 1: 115200 baud */
    outb(COM1 + UART_DLM, 0x00);
    outb(COM1 + UART_LCR, 0x03); /* 8 data bits, no parity, 1 stop bit, DLAB off */
    outb(COM1 + UART_FCR, 0x07); /* enable and clear both FIFOs */
}

static void serial_putc(char c)
{
    /* Bounded wait so that a machine without a UART (reads as 0xFF anyway) never hangs here. */
    for (uint32_t tries = 0; tries < 1000000; tries++)
        if (inb(COM1 + UART_LSR) & UART_LSR_THRE)
            break;
    outb(COM1 + UART_THR, (uint8_t)c);
}

void console_putc(char c)
{
    serial_putc(c);
    outb(DEBUGCON, (uint8_t)c);
}

void console_puts(const char *s)
{
    while (*s)
        console_putc(*s++);
}

void console_put_dec(uint32_t value)
{
    char digits[10];
    int n = 0;
    do {
        digits[n++] = (char)('0' + value % 10);
        value /= 10;
    } while (value != 0);
    while (n > 0)
        console_putc(digits[--n]);
}

void console_put_hex(uint32_t value)
{
    static const char hex[] = "0123456789abcdef";
    console_puts("0x");
    for (int shift = 28; shift >= 0; shift -= 4)
        console_putc(hex[(value >> shift) & 0xF]);
}

void guest_exit(uint32_t status)
{
    outl(DEBUG_EXIT, status);
    /* Without isa-debug-exit there is nothing else to do: stop for good. */
    for (;;)
        __asm__ volatile("cli; hlt");
}
