/*
 * The phases of the bench guest. Each takes its iteration count and returns a checksum that
 * depends on every iteration, so that no compiler can drop the work and a wrong emulation shows.
 */
#ifndef BENCH_PHASES_H
#define BENCH_PHASES_H

#include "types.h"

uint32_t phase_alu(uint32_t iterations);
uint32_t phase_mem(uint32_t iterations);
uint32_t phase_call(uint32_t iterations);
uint32_t phase_paging(uint32_t iterations);
uint32_t phase_io(uint32_t iterations);

#endif
