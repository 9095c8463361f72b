/*
 * Memory: the physical frame allocator (a bitmap over the direct-mapped 32 MiB, filled from the
 * multiboot memory map) and PAE page tables, every entry written through the paravirt layer.
 *
 * Layout of every address space (PAE: L3 of 4 entries, each covering 1 GiB):
 *   L3[0]  0x00000000-0x3FFFFFFF  the kernel: physical 0..32 MiB at the same addresses,
 *                                  supervisor-only except the .user pages (user, read-only);
 *                                  the same L2 in every address space
 *   L3[1]  0x40000000-0x7FFFFFFF  the task's own: heap from 0x40000000, stack below 0x80000000
 *   L3[2]                          not present
 *   L3[3]  0xC0000000-0xFFFFFFFF  an L2 of its own, empty: under Xen it is the pae_xen_l2 whose top
 *                                  slots the hypervisor fills (XEN-ABI.md §6), one per address space
 * Natively a PDPTE has only P (and cache bits): R/W and U/S are reserved there (SDM Vol. 3A §4.4.1).
 *
 * Every frame that becomes a page table goes through pv_alloc_pt, and back through pv_release_pt
 * before it is freed: under Xen a page table may have no writable mapping, so the direct map
 * holds page-table frames read-only there (natively both are no-ops).
 */
#include "kernel.h"
#include "multiboot.h"
#include "xen.h"

extern char __image_start[], __image_end[], __user_start[], __user_end[];

#define NFRAMES (DIRECT_MAP_END / PAGE_SIZE)
static uint32_t frame_bitmap[NFRAMES / 32]; /* 1 = free */
static uint32_t free_count;
uint32_t kernel_l3;
uint64_t *kernel_l2;
uint32_t scratch_va;
uint32_t mm_bootstrap_frames_freed;
static uint64_t *kernel_l1[DIRECT_MAP_END / (2u << 20)];

static void mark_free(uint32_t frame)
{
    if (!(frame_bitmap[frame / 32] & (1u << (frame % 32)))) {
        frame_bitmap[frame / 32] |= 1u << (frame % 32);
        free_count++;
    }
}

uint32_t frames_free(void) { return free_count; }

uint32_t frame_alloc(void)
{
    for (uint32_t w = 0; w < NFRAMES / 32; w++) {
        if (!frame_bitmap[w])
            continue;
        uint32_t bit = (uint32_t)__builtin_ctz(frame_bitmap[w]);
        frame_bitmap[w] &= ~(1u << bit);
        free_count--;
        uint32_t phys = (w * 32 + bit) * PAGE_SIZE;
        memset((void *)phys, 0, PAGE_SIZE); /* direct map: physical == virtual */
        return phys;
    }
    return 0;
}

void frame_free(uint32_t phys)
{
    if (phys == 0 || phys >= DIRECT_MAP_END || (phys & (PAGE_SIZE - 1)))
        panic("frame_free: bad frame", phys);
    if (frame_bitmap[phys / PAGE_SIZE / 32] & (1u << (phys / PAGE_SIZE % 32)))
        panic("frame_free: double free", phys);
    mark_free(phys / PAGE_SIZE);
}

/* Frames above the image and below the direct-map end in every "available" range of the map. */
static void frames_from_memory_map(const struct boot_info *bi)
{
    uint32_t first = ((uint32_t)__image_end + PAGE_SIZE - 1) / PAGE_SIZE;
    const struct multiboot_info *mb = bi->multiboot;
    if (mb && (mb->flags & (1u << 6))) {
        uint32_t p = mb->mmap_addr, end = mb->mmap_addr + mb->mmap_length;
        while (p < end) {
            const uint32_t *e = (const uint32_t *)p; /* size, base lo/hi, length lo/hi, type */
            uint64_t base = e[1] | ((uint64_t)e[2] << 32), len = e[3] | ((uint64_t)e[4] << 32);
            if (e[5] == 1) {
                uint64_t lo = (base + PAGE_SIZE - 1) / PAGE_SIZE, hi = (base + len) / PAGE_SIZE;
                for (uint64_t f = lo; f < hi && f < NFRAMES; f++)
                    if (f >= first)
                        mark_free((uint32_t)f);
            }
            p += e[0] + 4;
        }
    } else if (mb && (mb->flags & 1u)) {
        uint32_t hi = (0x100000 + mb->mem_upper * 1024u) / PAGE_SIZE;
        for (uint32_t f = first; f < hi && f < NFRAMES; f++)
            mark_free(f);
    } else {
        panic("no memory map from the boot loader", 0);
    }
}

/*
 * Under Xen: the domain's pseudo-physical frames after the domain builder's bootstrap area (kernel,
 * P2M list, start_info, page tables, then the one-page bootstrap stack, which the kernel never
 * uses: it runs on its own boot stack from its first instruction). XEN-ABI.md §4.
 */
static void frames_from_xen(const struct xen_start_info *si)
{
    uint32_t first = (si->pt_base + si->nr_pt_frames * PAGE_SIZE) / PAGE_SIZE;
    for (uint32_t f = first; f < si->nr_pages && f < NFRAMES; f++)
        mark_free(f);
}

/* A zeroed frame that is about to become a page table (0 when none is left). */
static uint32_t pt_frame_alloc(void)
{
    uint32_t f = frame_alloc();
    if (f)
        pv_alloc_pt(f);
    return f;
}

static void pt_frame_free(uint32_t phys, uint32_t level)
{
    pv_release_pt(phys, level);
    frame_free(phys);
}

static uint64_t make_pte(uint32_t phys, uint64_t flags)
{
    return ((uint64_t)pv_pfn_to_mfn(phys / PAGE_SIZE) << 12) | flags;
}

static uint32_t pte_phys(uint64_t pte)
{
    return pv_mfn_to_pfn((uint32_t)((pte & PTE_ADDR) >> 12)) * PAGE_SIZE;
}

/* Under Xen: is this frame one of the page tables live while the kernel builds its own (XEN-ABI.md §6: never mapped writable)? */
static int live_table_frame(const struct xen_start_info *si, uint32_t pa, uint32_t top_l2)
{
    if (pa >= si->pt_base && pa < si->pt_base + si->nr_pt_frames * PAGE_SIZE)
        return 1;
    if (pa == kernel_l3 || pa == (uint32_t)kernel_l2 || pa == top_l2)
        return 1;
    for (uint32_t t = 0; t < DIRECT_MAP_END / (2u << 20); t++)
        if (pa == (uint32_t)kernel_l1[t])
            return 1;
    return 0;
}

/*
 * Under Xen, once the kernel runs on its own tables: the domain builder's tables are unpinned (their
 * types and references go with the pin, XEN-ABI.md §6), mapped writable again and freed.
 */
static void release_bootstrap_tables(const struct xen_start_info *si)
{
    pv_release_pt(si->pt_base, 3);
    for (uint32_t i = 0; i < si->nr_pt_frames; i++) {
        uint32_t pa = si->pt_base + i * PAGE_SIZE;
        if (i)
            pv_release_pt(pa, 2);
        mark_free(pa / PAGE_SIZE);
        mm_bootstrap_frames_freed++;
    }
}

void mm_init(const struct boot_info *bi)
{
    const struct xen_start_info *si = bi->start_info;
    uint32_t mapped_end = DIRECT_MAP_END;
    if (si) {
        frames_from_xen(si);
        if (si->nr_pages < DIRECT_MAP_END / PAGE_SIZE)
            mapped_end = si->nr_pages * PAGE_SIZE; /* Xen: no frame behind the rest */
    } else {
        frames_from_memory_map(bi);
    }

    /*
     * The kernel half: one L2 with 16 L1 tables for 32 MiB; page 0 stays unmapped (null pointers
     * fault). All tables are allocated first: under Xen the new tables (like the bootstrap ones,
     * still live) must appear read-only in the direct map they build. Until a frame is a page
     * table it is ordinary memory, so the L1s are filled with plain stores (as Linux fills tables
     * it has not pinned yet) and only then handed to pv_alloc_pt and linked through the pv layer.
     */
    uint32_t nl1 = DIRECT_MAP_END / (2u << 20);
    kernel_l3 = frame_alloc();
    kernel_l2 = (uint64_t *)frame_alloc();
    uint32_t top_l2 = frame_alloc();
    for (uint32_t t = 0; t < nl1; t++)
        kernel_l1[t] = (uint64_t *)frame_alloc();
    if (!kernel_l1[nl1 - 1])
        panic("out of frames for the kernel page tables", 0);

    uint32_t ustart = (uint32_t)__user_start, uend = (uint32_t)__user_end;
    for (uint32_t t = 0; t < nl1; t++) {
        uint64_t *l1 = kernel_l1[t];
        for (uint32_t i = 0; i < 512; i++) {
            uint32_t pa = (t * 512 + i) * PAGE_SIZE;
            if (pa == 0 || pa >= mapped_end)
                continue;
            uint64_t flags = PTE_P | PTE_RW;
            if (pa >= ustart && pa < uend)
                flags = PTE_P | PTE_US; /* the ring-3 programs: user, read-only */
            else if (si && live_table_frame(si, pa, top_l2))
                flags = PTE_P;
            l1[i] = make_pte(pa, flags);
        }
    }
    pv_alloc_pt(kernel_l3);
    pv_alloc_pt((uint32_t)kernel_l2);
    pv_alloc_pt(top_l2);
    for (uint32_t t = 0; t < nl1; t++) {
        pv_alloc_pt((uint32_t)kernel_l1[t]);
        /* U/S and R/W are decided by the L1 entries, so the L2 entries allow both. */
        pv_write_pte_l2(&kernel_l2[t], make_pte((uint32_t)kernel_l1[t], PTE_P | PTE_RW | PTE_US));
    }
    pv_write_pte_l3(&((uint64_t *)kernel_l3)[0], make_pte((uint32_t)kernel_l2, PTE_P));
    pv_write_pte_l3(&((uint64_t *)kernel_l3)[3], make_pte(top_l2, PTE_P));
    /* A scratch page for the self-tests: the last page of the direct map. */
    scratch_va = DIRECT_MAP_END - PAGE_SIZE;
    if (si) {
        pv_load_pt_base(kernel_l3); /* pin (validates every entry) and switch */
        xen_remap_shared_info();
        release_bootstrap_tables(si);
    } else {
        platform_enable_paging(kernel_l3);
    }
}

uint64_t *scratch_pte(void)
{
    return lookup_pte(kernel_l3, scratch_va);
}

static uint64_t *table_of(uint64_t entry)
{
    return (entry & PTE_P) ? (uint64_t *)pte_phys(entry) : 0;
}

uint64_t *lookup_pte(uint32_t l3, uint32_t va)
{
    uint64_t *l2 = table_of(((uint64_t *)l3)[va >> 30]);
    if (!l2)
        return 0;
    uint64_t *l1 = table_of(l2[(va >> 21) & 511]);
    return l1 ? &l1[(va >> 12) & 511] : 0;
}

uint32_t aspace_create(void)
{
    uint32_t l3 = pt_frame_alloc();
    uint32_t l2 = pt_frame_alloc();
    uint32_t top = pt_frame_alloc();
    if (!l3 || !l2 || !top)
        panic("out of frames for an address space", 0);
    uint64_t *e = (uint64_t *)l3;
    pv_write_pte_l3(&e[0], make_pte((uint32_t)kernel_l2, PTE_P));
    pv_write_pte_l3(&e[1], make_pte(l2, PTE_P));
    pv_write_pte_l3(&e[3], make_pte(top, PTE_P));
    return l3;
}

int map_user_page(uint32_t l3, uint32_t va, uint32_t phys, uint64_t flags, int current)
{
    uint64_t *l2 = table_of(((uint64_t *)l3)[1]);
    uint64_t *l2e = &l2[(va >> 21) & 511];
    if (!(*l2e & PTE_P)) {
        uint32_t l1 = pt_frame_alloc();
        if (!l1)
            return -1;
        pv_write_pte_l2(l2e, make_pte(l1, PTE_P | PTE_RW | PTE_US));
    }
    uint64_t *l1 = table_of(*l2e);
    pv_write_pte_l1(&l1[(va >> 12) & 511], make_pte(phys, flags));
    if (current)
        pv_flush_tlb_one(va);
    return 0;
}

uint32_t aspace_copy(uint32_t src_l3)
{
    uint32_t dst = aspace_create();
    uint64_t *l2 = table_of(((uint64_t *)src_l3)[1]);
    for (uint32_t i = 0; i < 512; i++) {
        uint64_t *l1 = table_of(l2[i]);
        if (!l1)
            continue;
        for (uint32_t j = 0; j < 512; j++) {
            if (!(l1[j] & PTE_P))
                continue;
            uint32_t frame = frame_alloc();
            if (!frame)
                panic("out of frames in fork", 0);
            memcpy((void *)frame, (const void *)pte_phys(l1[j]), PAGE_SIZE);
            map_user_page(dst, USER_BASE + (i << 21) + (j << 12), frame, l1[j] & 0xFFF, 0);
        }
    }
    return dst;
}

void aspace_destroy(uint32_t l3)
{
    /* The L3 goes first: under Xen its unpin drops the types of every table below it. */
    pv_release_pt(l3, 3);
    uint64_t *l2 = table_of(((uint64_t *)l3)[1]);
    for (uint32_t i = 0; i < 512; i++) {
        uint64_t *l1 = table_of(l2[i]);
        if (!l1)
            continue;
        for (uint32_t j = 0; j < 512; j++)
            if (l1[j] & PTE_P)
                frame_free(pte_phys(l1[j]));
        pt_frame_free((uint32_t)l1, 1);
    }
    pt_frame_free((uint32_t)l2, 2);
    pt_frame_free((uint32_t)table_of(((uint64_t *)l3)[3]), 2);
    frame_free(l3);
}

/* A user buffer must lie in the task's region or in the (read-only) ring-3 program pages. */
int user_range_ok(uint32_t va, uint32_t len)
{
    uint32_t end = va + len;
    if (end < va)
        return 0;
    if (va >= USER_BASE && end <= USER_END)
        return 1;
    return va >= (uint32_t)__user_start && end <= (uint32_t)__user_end;
}
