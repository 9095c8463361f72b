/*
 * Phase mem: loads and stores through a 16 KiB table, then the string instructions: REP MOVSD,
 * REP STOSD, REPE CMPSD (equal buffers: it runs to the end), REPNE SCASB and a LODSD loop.
 */
#include "phases.h"

#define TABLE_WORDS 4096u /* 16 KiB */
#define BLOCK_WORDS 64u   /* the REP operations' length: 256 bytes */

static uint32_t table[TABLE_WORDS];
static uint32_t src[BLOCK_WORDS], dst[BLOCK_WORDS];

static inline void rep_movsd(uint32_t *to, const uint32_t *from, uint32_t words)
{
    __asm__ volatile("cld; rep movsl" : "+D"(to), "+S"(from), "+c"(words) : : "memory");
}

static inline void rep_stosd(uint32_t *to, uint32_t value, uint32_t words)
{
    __asm__ volatile("cld; rep stosl" : "+D"(to), "+c"(words) : "a"(value) : "memory");
}

/* The number of dwords left when REPE CMPSD stops (0 when the buffers are equal). */
static inline uint32_t repe_cmpsd(const uint32_t *a, const uint32_t *b, uint32_t words)
{
    __asm__ volatile("cld; repe cmpsl" : "+D"(a), "+S"(b), "+c"(words) : : "memory", "cc");
    return words;
}

/* The number of bytes left when REPNE SCASB finds the byte (or 0). */
static inline uint32_t repne_scasb(const void *p, uint8_t value, uint32_t bytes)
{
    __asm__ volatile("cld; repne scasb" : "+D"(p), "+c"(bytes) : "a"(value) : "memory", "cc");
    return bytes;
}

static inline uint32_t lodsd_sum(const uint32_t *p, uint32_t words)
{
    uint32_t sum = 0, value;
    while (words--) {
        __asm__ volatile("cld; lodsl" : "=a"(value), "+S"(p) : : "memory");
        sum += value;
    }
    return sum;
}

uint32_t phase_mem(uint32_t iterations)
{
    uint32_t sum = 0, x = 1;
    for (uint32_t i = 0; i < BLOCK_WORDS; i++)
        src[i] = i * 0x01010101u;
    for (uint32_t i = 0; i < iterations; i++) {
        /* Loads and stores at scattered addresses (an xorshift index). */
        for (uint32_t k = 0; k < 16; k++) {
            x ^= x << 13;
            x ^= x >> 17;
            x ^= x << 5;
            uint32_t idx = x & (TABLE_WORDS - 1);
            table[idx] += sum;
            sum += table[(idx + 64) & (TABLE_WORDS - 1)];
        }
        src[i & (BLOCK_WORDS - 1)] = sum;
        rep_movsd(dst, src, BLOCK_WORDS);
        sum += repe_cmpsd(dst, src, BLOCK_WORDS);           /* 0: equal */
        sum += repne_scasb(dst, 0xFF, sizeof dst);          /* the byte is there or not: data-dependent */
        sum += lodsd_sum(dst, 8);
        rep_stosd(dst, i, BLOCK_WORDS);
    }
    return sum ^ dst[BLOCK_WORDS - 1];
}
