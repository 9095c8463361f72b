/*
 * Phase paging: turns on 2-level paging (the first 4 MiB identity-mapped), then over and over
 * points a PTE of a 16-page window at another frame of a 64-frame pool, INVLPGs the page and
 * reads and writes it through the new mapping; every 64th iteration reloads CR3 (a full flush).
 */
#include "phases.h"

#define PTE_PRESENT 0x001u
#define PTE_WRITABLE 0x002u
#define CR0_PG 0x80000000u
#define PAGE_SIZE 4096u

#define WINDOW_BASE 0x40000000u  /* linear: page-directory entry 256 */
#define WINDOW_PAGES 16u
#define POOL_BASE 0x00400000u    /* physical: the 64 frames just above the identity map */
#define POOL_FRAMES 64u

static uint32_t page_directory[1024] __attribute__((aligned(4096)));
static uint32_t identity_table[1024] __attribute__((aligned(4096)));
static uint32_t window_table[1024] __attribute__((aligned(4096)));

static inline void invlpg(uint32_t linear)
{
    __asm__ volatile("invlpg (%0)" : : "r"(linear) : "memory");
}

static inline void load_cr3(uint32_t value)
{
    __asm__ volatile("movl %0, %%cr3" : : "r"(value) : "memory");
}

static void enable_paging(void)
{
    for (uint32_t i = 0; i < 1024; i++)
        identity_table[i] = (i * PAGE_SIZE) | PTE_PRESENT | PTE_WRITABLE;
    page_directory[0] = (uint32_t)identity_table | PTE_PRESENT | PTE_WRITABLE;
    page_directory[WINDOW_BASE >> 22] = (uint32_t)window_table | PTE_PRESENT | PTE_WRITABLE;
    load_cr3((uint32_t)page_directory);
    uint32_t cr0;
    __asm__ volatile("movl %%cr0, %0" : "=r"(cr0));
    __asm__ volatile("movl %0, %%cr0" : : "r"(cr0 | CR0_PG) : "memory");
}

uint32_t phase_paging(uint32_t iterations)
{
    /* Paging is still off: the pool is reached by its physical address. Every frame starts with its number. */
    for (uint32_t f = 0; f < POOL_FRAMES; f++) {
        volatile uint32_t *frame = (volatile uint32_t *)(POOL_BASE + f * PAGE_SIZE);
        for (uint32_t w = 0; w < PAGE_SIZE / 4; w++)
            frame[w] = f;
    }
    enable_paging();

    uint32_t sum = 0;
    for (uint32_t i = 0; i < iterations; i++) {
        uint32_t slot = i & (WINDOW_PAGES - 1);
        uint32_t frame = (i * 7u + (i >> 4)) & (POOL_FRAMES - 1);
        uint32_t linear = WINDOW_BASE + slot * PAGE_SIZE;
        window_table[slot] = (POOL_BASE + frame * PAGE_SIZE) | PTE_PRESENT | PTE_WRITABLE;
        invlpg(linear);
        volatile uint32_t *page = (volatile uint32_t *)linear;
        uint32_t word = (i >> 4) & (PAGE_SIZE / 4 - 1);
        page[word] += i;
        sum += page[word] ^ page[(word + 512) & (PAGE_SIZE / 4 - 1)];
        if ((i & 63u) == 63u)
            load_cr3((uint32_t)page_directory);
    }
    return sum;
}
