/* Phase alu: integer ALU operations (add, sub, xor, shifts, rotates, imul, div) and branches. */
#include "phases.h"

uint32_t phase_alu(uint32_t iterations)
{
    uint32_t a = 0x12345678u, b = 0x9ABCDEF0u, c = 0;
    for (uint32_t i = 0; i < iterations; i++) {
        a = a * 1103515245u + 12345u;            /* imul, add */
        b ^= a >> 7;
        b += a << 3;
        b = (b << 5) | (b >> 27);                /* rol */
        c -= b & 0xFF00u;
        /* Data-dependent branches that a compiler cannot all turn into CMOVs (each arm does more than a select). */
        if ((a & 0x300u) == 0x100u) {
            c += b;
            c ^= c >> 3;
        } else if (a & 0x80u) {
            c ^= b;
            c = c * 3u + i;
        } else {
            c -= i;
        }
        if ((i & 7u) == 0)
            c += b / ((a & 0xFFu) | 1u);         /* div, one iteration in eight */
    }
    return a ^ b ^ c;
}
