/*
 * Phase call: near calls and returns with arguments on the stack (cdecl), callee-saved registers
 * pushed and popped, nested calls, and indirect calls through a table. noipa keeps gcc from
 * inlining, cloning or turning the calls into jumps.
 */
#include "phases.h"

#define NOIPA __attribute__((noipa))

NOIPA static uint32_t leaf(uint32_t a, uint32_t b)
{
    return (a ^ b) + (a >> 3);
}

NOIPA static uint32_t mid(uint32_t a, uint32_t b, uint32_t c)
{
    return leaf(a, b) + leaf(b, c) * 3u;
}

NOIPA static uint32_t outer(uint32_t a, uint32_t b)
{
    return mid(a, b, a + b) ^ mid(b, a, a - b);
}

/* Recursion: depth calls deep, each frame with a local array so ESP moves by more than the return address. */
NOIPA static uint32_t nest(uint32_t depth, uint32_t x)
{
    volatile uint32_t local[4] = { x, depth, x ^ depth, 0 };
    if (depth == 0)
        return x;
    return nest(depth - 1, x * 5u + 1u) + local[2];
}

NOIPA static uint32_t op_add(uint32_t a, uint32_t b) { return a + b; }
NOIPA static uint32_t op_xor(uint32_t a, uint32_t b) { return a ^ b; }
NOIPA static uint32_t op_sub(uint32_t a, uint32_t b) { return a - b; }
NOIPA static uint32_t op_mix(uint32_t a, uint32_t b) { return (a << 1) ^ b; }

static uint32_t (*const ops[4])(uint32_t, uint32_t) = { op_add, op_xor, op_sub, op_mix };

uint32_t phase_call(uint32_t iterations)
{
    uint32_t sum = 0;
    for (uint32_t i = 0; i < iterations; i++) {
        sum += outer(i, sum);
        sum ^= nest(8, i);
        sum = ops[(sum >> 5) & 3](sum, i);
    }
    return sum;
}
