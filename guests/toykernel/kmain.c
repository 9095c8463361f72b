/*
 * The kernel core's main: set up the platform, paging and traps through the paravirt layer, then
 * run the self-tests and print them as TAP (`1..N`, then `ok N - what` / `not ok N - what`).
 * All passing powers the machine off (exit status 0); anything else exits with a failure status.
 */
#include "kernel.h"
#include "xen.h"

#if PV_STRATEGY == PV_FLAG
#define STRATEGY_NAME "flag"
#elif PV_STRATEGY == PV_OPS
#define STRATEGY_NAME "ops"
#else
#define STRATEGY_NAME "patch"
#endif

#define TEST_COUNT 29

static int test_number, failures;

static void check(int ok, const char *what)
{
    test_number++;
    if (!ok)
        failures++;
    kprintf("%sok %d - %s\n", ok ? "" : "not ", test_number, what);
}

static void skip(const char *what, const char *why)
{
    test_number++;
    kprintf("ok %d - %s # SKIP %s\n", test_number, what, why);
}

/* The (virtual) interrupt flag: EFLAGS.IF on bare hardware, !vcpu_info.evtchn_upcall_mask under Xen. */
static int irqs_on(void)
{
    if (pv_on_xen)
        return !xen.shared[SI_UPCALL_MASK];
    uint32_t f;
    __asm__ volatile("pushfl; popl %0" : "=r"(f));
    return (f & 0x200) != 0;
}

/* Runs one task to completion and returns its exit code (-1000 when it could not be spawned). */
static int run_one(void (*entry)(int) __attribute__((regparm(1))), int arg, int *pid_out, int *killed)
{
    int pid = task_spawn(entry, arg);
    if (pid < 0)
        return -1000;
    run_tasks(1);
    struct task *t = task_by_pid(pid);
    int code = t ? t->exit_code : -1001;
    if (killed)
        *killed = t ? t->killed : 0;
    if (pid_out)
        *pid_out = pid;
    if (t)
        task_reap(t);
    return code;
}

static void test_memory(void)
{
    uint32_t before = frames_free();
    uint32_t a = frame_alloc(), b = frame_alloc();
    int zero = 1;
    for (uint32_t i = 0; i < PAGE_SIZE; i++)
        zero &= ((uint8_t *)a)[i] == 0;
    int ok = a && b && a != b && !(a & 0xFFF) && frames_free() == before - 2 && zero;
    frame_free(a);
    frame_free(b);
    check(ok && frames_free() == before, "frame allocator: two distinct zeroed frames, both returned");
}

static void test_ptes(void)
{
    /* L1: map the scratch VA to a fresh frame, flush that entry, and see the frame through it. */
    uint64_t *pte = scratch_pte();
    uint64_t saved = *pte;
    uint32_t f1 = frame_alloc(), f2 = frame_alloc();
    uint64_t v1 = ((uint64_t)pv_pfn_to_mfn(f1 >> 12) << 12) | PTE_P | PTE_RW;
    pv_write_pte_l1(pte, v1);
    uint64_t readback = *pte;
    pv_flush_tlb_one(scratch_va);
    *(volatile uint32_t *)scratch_va = 0x600DF00D;
    check(readback == v1, "write_pte_l1: the entry reads back");
    check(*(volatile uint32_t *)f1 == 0x600DF00D, "write_pte_l1 + flush_tlb_one: the VA reaches the new frame");
    /* Remap to a second frame; after a full flush the VA shows the second frame. */
    pv_write_pte_l1(pte, ((uint64_t)pv_pfn_to_mfn(f2 >> 12) << 12) | PTE_P | PTE_RW);
    pv_flush_tlb();
    *(volatile uint32_t *)scratch_va = 0x12345678;
    check(*(volatile uint32_t *)f2 == 0x12345678 && *(volatile uint32_t *)f1 == 0x600DF00D,
          "write_pte_l1 + flush_tlb: a remapped VA reaches the second frame only");
    pv_write_pte_l1(pte, saved);
    pv_flush_tlb_one(scratch_va);

    /* L2 and L3: entries of a table that is not live, with a high-half value, read back exactly. */
    uint64_t *t = (uint64_t *)f2;
    uint64_t v2 = 0x0000000500123007ull, v3 = 0x0000000300456001ull;
    pv_write_pte_l2(&t[7], v2);
    pv_write_pte_l3(&t[3], v3);
    check(t[7] == v2 && t[3] == v3, "write_pte_l2 / write_pte_l3: 64-bit entries read back");
    frame_free(f1);
    frame_free(f2);

    /* Every frame the allocator can hand out: a round trip; identity natively, a permutation under Xen (the P2M list and M2P). */
    int round_trip = 1;
    uint32_t identity = 0, frames = 0;
    for (uint32_t pfn = 1; pfn < DIRECT_MAP_END / PAGE_SIZE; pfn++) {
        if (pv_on_xen && pfn >= ((const struct xen_start_info *)boot_info.start_info)->nr_pages)
            break;
        uint32_t mfn = pv_pfn_to_mfn(pfn);
        round_trip &= pv_mfn_to_pfn(mfn) == pfn;
        identity += mfn == pfn;
        frames++;
    }
    check(round_trip && (pv_on_xen ? identity < frames : identity == frames),
          pv_on_xen ? "pfn_to_mfn / mfn_to_pfn: a round trip over every frame; under Xen not the identity (seeded P2M)"
                    : "pfn_to_mfn / mfn_to_pfn: a round trip over every frame; the identity on bare hardware");
}

static void test_irqs_and_traps(void)
{
    pv_irq_enable();
    int on = irqs_on();
    uint32_t saved = pv_irq_save();
    int off_after_save = !irqs_on();
    pv_irq_restore(saved);
    int on_after_restore = irqs_on();
    pv_irq_disable();
    int off = !irqs_on();
    check(on && (saved & 0x200) && off_after_save && on_after_restore && off,
          pv_on_xen ? "irq enable / save / restore / disable drive vcpu_info.evtchn_upcall_mask (Xen's virtual IF)"
                    : "irq enable / save / restore / disable change EFLAGS.IF as they should");

    /* int3 with interrupts off, then on: the handler runs and the way back restores the (virtual) IF. */
    uint32_t before = breakpoints;
    __asm__ volatile("int3");
    int off_kept = !irqs_on();
    pv_irq_enable();
    __asm__ volatile("int3");
    int on_kept = irqs_on();
    pv_irq_disable();
    check(breakpoints == before + 2 && off_kept && on_kept,
          pv_on_xen ? "trap table (set_trap_table): two int3 reached the handler in ring 1; the iret hypercall kept the upcall mask"
                    : "trap table: two int3 reached the breakpoint handler; IRET kept IF");

    /* A kernel read of an unmapped address: #PF with the address (CR2, or vcpu_info.arch.cr2 under Xen); the handler skips the load. */
    uint32_t bad = 0xC0001234u, value = 0x5A5A5A5Au;
    fault_seen_addr = 0;
    fault_seen_err = 0xFFFFFFFFu;
    __asm__ volatile("movl $1f, %1\n\tmovl (%2), %0\n1:" : "+r"(value), "=m"(fault_fixup_eip) : "r"(bad) : "memory");
    check(fault_seen_addr == bad && fault_seen_err == 0 && value == 0x5A5A5A5Au && fault_fixup_eip == 0,
          "read_fault_addr: a kernel read of an unmapped address faults there (error code 0), the handler skips it");

    uint32_t t0 = ticks;
    timer_start();
    for (int i = 0; i < 10 && ticks == t0; i++) {
        pv_idle();
        pv_irq_disable();
    }
    uint32_t t1 = ticks;
    timer_start();
    for (int i = 0; i < 10 && ticks == t1; i++) {
        pv_idle();
        pv_irq_disable();
    }
    check(t1 > t0 && ticks > t1, "one-shot timer: idle wakes on the tick, and ticks advance");
}

static void test_tasks(void)
{
    /* Three ring-3 tasks at once, each exiting with its own pid. */
    int pids[3];
    for (int i = 0; i < 3; i++)
        pids[i] = task_spawn(u_hello, i);
    run_tasks(1);
    int ok = 1;
    for (int i = 0; i < 3; i++) {
        struct task *t = task_by_pid(pids[i]);
        ok &= t && t->state == T_ZOMBIE && !t->killed && t->exit_code == pids[i];
        if (t)
            task_reap(t);
    }
    ok &= pids[0] != pids[1] && pids[1] != pids[2] && pids[0] > 0;
    check(ok, "three ring-3 tasks entered by IRET ran; getpid and exit returned their pids");

    /* Round robin with yield: A B C A B C A B C by pid. */
    write_log_len = 0;
    int y[3];
    for (int i = 0; i < 3; i++)
        y[i] = task_spawn(u_yield, i);
    run_tasks(0); /* no time slices: only yield switches */
    ok = write_log_len == 9;
    for (uint32_t i = 0; i < 9 && ok; i++)
        ok &= write_log[i] == (char)('0' + y[i % 3] % 10);
    for (int i = 0; i < 3; i++) {
        struct task *t = task_by_pid(y[i]);
        ok &= t && t->exit_code == 0;
        if (t)
            task_reap(t);
    }
    check(ok, "yield: three tasks interleave their writes round robin (ABCABCABC), timer off");

    /* sbrk and demand paging: three heap pages and the stack page fault in, zeroed. */
    uint32_t faults0 = demand_faults;
    int code = run_one(u_heap, 0, 0, 0);
    uint32_t faults = demand_faults - faults0;
    check(code == 0, "sbrk: returns the old break; heap pages read zero and keep what is written");
    check(faults == 4, "demand paging: 3 heap pages + 1 stack page faulted in (4 faults)");

    /* fork: the child sees an equal copy, then the parent's copy is independent of the child's writes. */
    code = run_one(u_fork, 0, 0, 0);
    check(code == 0 || code == 21, "fork: the child's copy of the heap equals the parent's");
    check(code == 0, "fork: after the child overwrote its copy, the parent's copy is unchanged");

    /* Preemption: two tasks that never make a system call both finish. */
    uint32_t pre0 = preemptions, ticks0 = ticks;
    int s1 = task_spawn(u_spin, 41), s2 = task_spawn(u_spin, 42);
    run_tasks(1);
    struct task *t1 = task_by_pid(s1), *t2 = task_by_pid(s2);
    ok = t1 && t2 && t1->exit_code == 41 && t2->exit_code == 42;
    if (t1)
        task_reap(t1);
    if (t2)
        task_reap(t2);
    kprintf("# preemption: %u timer ticks, %u preemptions while two tasks spun\n", ticks - ticks0, preemptions - pre0);
    check(ok && preemptions - pre0 >= 2 && ticks > ticks0,
          "timer preemption: two spinning tasks were preempted round robin and both finished");

    /* Protection: a user read of kernel memory, a write to an unmapped address. */
    uint32_t killed0 = tasks_killed;
    int killed = 0;
    code = run_one(u_read_kernel, 0, 0, &killed);
    check(killed && code == -1 && tasks_killed == killed0 + 1, "a ring-3 read of kernel memory kills the task");
    code = run_one(u_write_unmapped, 0, 0, &killed);
    check(killed && code == -1 && tasks_killed == killed0 + 2, "a ring-3 write to an unmapped address kills the task");
    code = run_one(u_bad_write, 0, 0, &killed);
    check(!killed && code == 0, "write with a kernel pointer fails with -EFAULT");
    int pid = 0;
    code = run_one(u_hello, 0, &pid, &killed);
    check(!killed && code == pid, "the kernel carries on: a task started after the kills runs normally");
}

/* ---- what only exists under Xen (ring 1, entered through xen_start) ----------------------------- */

#define NOT_XEN "not on Xen: the native backend has no hypervisor"

static void test_xen_interface(const struct boot_info *bi, int32_t console_rc)
{
    if (!pv_on_xen) {
        skip("xen: the xen_version hypercall agrees with CPUID leaf base+1", NOT_XEN);
        skip("xen: console_io(CONSOLEIO_write) carries the console and returned 0", NOT_XEN);
        skip("xen: shared_info mapped with update_va_mapping, again over the kernel's own tables", NOT_XEN);
        skip("xen: event and failsafe callbacks registered with callback_op", NOT_XEN);
        return;
    }
    check(bi->xen_base && xen.version == bi->xen_version && xen.version != 0,
          "xen: the xen_version hypercall agrees with CPUID leaf base+1");
    check(console_rc == 0, "xen: console_io(CONSOLEIO_write) carries the console and returned 0");
    check(xen.map_shared_rc == 0 && xen.remap_shared_rc == 0, "xen: shared_info mapped with update_va_mapping, again over the kernel's own tables");
    check(trap_callbacks_rc == 0, "xen: event and failsafe callbacks registered with callback_op");
}

static void test_xen_page_tables(void)
{
    if (!pv_on_xen) {
        skip("xen: the kernel runs on its own pinned tables; the domain builder's were unpinned and freed", NOT_XEN);
        skip("xen: a direct write to a live page table is a page fault (error code 3), the entry unchanged",
             "on bare hardware the kernel writes its page tables itself");
        return;
    }
    const struct xen_start_info *si = boot_info.start_info;
    /* Pinning is not nested (XEN-ABI.md §6): a second pin of the kernel's L3 is -EINVAL. */
    int32_t pin_again = xen_mmuext(MMUEXT_PIN_L3_TABLE, pv_pfn_to_mfn(kernel_l3 >> 12));
    check(pin_again == -22 && mm_bootstrap_frames_freed == si->nr_pt_frames,
          "xen: the kernel runs on its own pinned tables; the domain builder's were unpinned and freed");

    /* The kernel's L2 is mapped read-only: a plain store faults (present, write; CPL 1 is supervisor). */
    volatile uint64_t *entry = &kernel_l2[500];
    uint64_t before = *entry;
    fault_seen_addr = 0;
    fault_seen_err = 0xFFFFFFFFu;
    __asm__ volatile("movl $1f, %0\n\tmovl %2, (%1)\n1:" : "=m"(fault_fixup_eip) : "r"(entry), "r"(0x12345067u) : "memory");
    check(fault_seen_addr == (uint32_t)entry && fault_seen_err == 3 && *entry == before && fault_fixup_eip == 0,
          "xen: a direct write to a live page table is a page fault (error code 3), the entry unchanged");
}

static void test_patching(const struct boot_info *bi)
{
#if PV_STRATEGY == PV_PATCH
    uint32_t n = 0, indirect = 0;
    for (const struct pv_patch_site *s = __pvpatch_start; s < __pvpatch_end; s++) {
        n++;
        indirect += (uint32_t)pv_site_is_indirect(s);
    }
    check(n > 0 && n == bi->patched_sites && indirect == 0,
          "patch: every recorded site was rewritten; none still calls through pv_ops");
#else
    (void)bi;
    test_number++;
    kprintf("ok %d - patch: not the patch strategy # SKIP\n", test_number);
#endif
}

void __attribute__((noreturn)) kmain(struct boot_info *bi)
{
    platform_init(pv_on_xen);
    kprintf("toykernel: command line: %s\n", bi->cmdline);
    int32_t console_rc = pv_on_xen ? xen.last_rc : 0;
    if (bi->bad_pv)
        kprintf("toykernel: unknown pv= value; using ops\n");
    if (bi->xen_base) {
        kprintf("toykernel: cpuid: hypervisor \"%s\" at leaf 0x%08x (Xen %u.%u)\n", bi->hv_signature, bi->xen_base,
                bi->xen_version >> 16, bi->xen_version & 0xFFFF);
        if (!pv_on_xen)
            kprintf("toykernel: Xen signature, but booted by multiboot: the native backend serves\n");
    } else if (bi->hv_signature[0]) {
        kprintf("toykernel: cpuid: hypervisor \"%s\" (not Xen) at leaf 0x40000000\n", bi->hv_signature);
    } else {
        kprintf("toykernel: cpuid: no hypervisor signature in leaves 0x40000000-0x4000ff00\n");
    }
    if (pv_on_xen) {
        kprintf("toykernel: xen_version hypercall: Xen %u.%u\n", xen.version >> 16, xen.version & 0xFFFF);
        kprintf("toykernel: pv=%s backend=xen start_info \"%s\", %u pages\n", STRATEGY_NAME, xen.si->magic, xen.si->nr_pages);
    } else {
        kprintf("toykernel: pv=%s backend=native\n", STRATEGY_NAME);
    }
#if PV_STRATEGY == PV_PATCH
    kprintf("toykernel: patched %u sites (%u inlined native code, %u direct calls)\n", bi->patched_sites,
            bi->patched_inlined, bi->patched_sites - bi->patched_inlined);
#endif

    mm_init(bi);
    if (pv_on_xen)
        kprintf("toykernel: xen: own page tables loaded: L3 at pfn 0x%x = machine frame 0x%x, %u bootstrap table frames freed\n",
                kernel_l3 >> 12, pv_pfn_to_mfn(kernel_l3 >> 12), mm_bootstrap_frames_freed);
    trap_init();
    kprintf("1..%d\n", TEST_COUNT);
    uint32_t frames0 = frames_free();
    test_xen_interface(bi, console_rc);
    test_memory();
    test_ptes();
    test_xen_page_tables();
    test_irqs_and_traps();
    test_tasks();
    check(frames_free() == frames0, "every frame the tasks used was freed when they exited");
    test_patching(bi);
    if (test_number != TEST_COUNT)
        check(0, "the plan matches the number of tests");

    if (bi->bench)
        bench_run(bi);
    kprintf("# toykernel: %d of %d self-tests failed, %u timer ticks; %s\n", failures, test_number, ticks,
            failures ? "exiting with failure" : pv_on_xen ? "sched_op shutdown poweroff" : "powering off");
    if (bi->shell)
        shell_run(failures == 0);
    pv_shutdown(failures == 0);
}
