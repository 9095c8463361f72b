/* Console formatting for the kernel core: one console_write operation per call. */
#include <stdarg.h>
#include "kernel.h"

struct buf {
    char data[256];
    uint32_t len;
};

static void put(struct buf *b, char c)
{
    if (b->len == sizeof b->data) {
        pv_console_write(b->data, b->len);
        b->len = 0;
    }
    b->data[b->len++] = c;
}

static void put_uint(struct buf *b, uint32_t v, uint32_t base, int width)
{
    char digits[12];
    int n = 0;
    do {
        digits[n++] = "0123456789abcdef"[v % base];
        v /= base;
    } while (v);
    while (n < width)
        digits[n++] = '0';
    while (n)
        put(b, digits[--n]);
}

/* %s %c %d %u %x (%08x pads), and %% */
void kprintf(const char *fmt, ...)
{
    struct buf b;
    b.len = 0;
    va_list ap;
    va_start(ap, fmt);
    for (const char *p = fmt; *p; p++) {
        if (*p != '%') {
            put(&b, *p);
            continue;
        }
        p++;
        int width = 0;
        if (*p == '0')
            p++;
        while (*p >= '0' && *p <= '9')
            width = width * 10 + (*p++ - '0');
        switch (*p) {
        case 's':
            for (const char *s = va_arg(ap, const char *); *s; s++)
                put(&b, *s);
            break;
        case 'c':
            put(&b, (char)va_arg(ap, int));
            break;
        case 'd': {
            int v = va_arg(ap, int);
            if (v < 0) {
                put(&b, '-');
                v = -v;
            }
            put_uint(&b, (uint32_t)v, 10, width);
            break;
        }
        case 'u':
            put_uint(&b, va_arg(ap, uint32_t), 10, width);
            break;
        case 'x':
            put_uint(&b, va_arg(ap, uint32_t), 16, width);
            break;
        default:
            put(&b, *p);
        }
    }
    va_end(ap);
    if (b.len)
        pv_console_write(b.data, b.len);
}

void panic(const char *what, uint32_t value)
{
    kprintf("Bail out! toykernel panic: %s (0x%08x)\n", what, value);
    pv_shutdown(0);
}
