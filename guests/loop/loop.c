/*
 * A fixed-length ALU/branch/memory workload for measuring emulation speed (emu run --stats).
 * "n=N" on the command line sets the iteration count (default 2000000: about 50 million
 * instructions, as gcc 12 -O2 makes about 25 per iteration). It prints a checksum that depends on
 * every iteration, then exits with status 0.
 *
 * Each iteration: one xorshift32 step (Marsaglia 2003), a read-modify-write of a 256-entry table,
 * a dependent load, and a data-dependent select. The tests recompute the checksum in C#.
 */
#include "cmdline.h"
#include "console.h"
#include "multiboot.h"

#define DEFAULT_ITERATIONS 2000000u

static uint32_t table[256];

static uint32_t workload(uint32_t iterations)
{
    uint32_t x = 0x12345678u;
    uint32_t sum = 0;
    for (uint32_t i = 0; i < iterations; i++) {
        x ^= x << 13;
        x ^= x >> 17;
        x ^= x << 5;
        uint32_t idx = x & 0xFF;
        table[idx] += x;
        sum += table[(idx + 1) & 0xFF] ^ i;
        if (x & 1)
            sum ^= 0x5A5A5A5Au;
        else
            sum += 3;
    }
    return sum;
}

void guest_main(uint32_t magic, const struct multiboot_info *info)
{
    console_init();
    const char *cmdline = multiboot_cmdline(magic, info);
    uint32_t iterations = cmdline_uint(cmdline, "n", DEFAULT_ITERATIONS);
    console_puts("loop: iterations=");
    console_put_dec(iterations);
    console_puts("\n");
    uint32_t sum = workload(iterations);
    console_puts("loop: checksum=");
    console_put_hex(sum);
    console_puts("\n");
    guest_exit(0);
}
