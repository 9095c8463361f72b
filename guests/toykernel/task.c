/*
 * Tasks, traps and system calls: ring-3 tasks entered through IRET, int 0x80 system calls,
 * demand paging, round-robin preemption from the one-shot timer, and killing a task that touches
 * what it must not. The kernel is not preemptible: every gate is an interrupt gate (IF=0 inside),
 * and only the idle loop of task 0 (the boot context) runs with interrupts on.
 */
#include "kernel.h"
#include "xen.h"

#define SYS_WRITE 1
#define SYS_GETPID 2
#define SYS_YIELD 3
#define SYS_SBRK 4
#define SYS_FORK 5
#define SYS_EXIT 6
#define SYS_WAIT 7
#define SYS_TICKS 8
#define EFAULT 14
#define EINVAL 22
#define ECHILD 10

struct task tasks[MAX_TASKS];
struct task *current = &tasks[0];
volatile uint32_t ticks, preemptions, demand_faults, breakpoints, tasks_killed;
volatile uint32_t fault_fixup_eip, fault_seen_addr, fault_seen_err;
char write_log[64];
uint32_t write_log_len;
static int next_pid = 1;
static int preempt_enabled;
static int timer_running;
static uint8_t kstacks[MAX_TASKS][PAGE_SIZE] __attribute__((aligned(4096)));

struct gate {
    uint16_t off_lo, sel;
    uint8_t zero, type;
    uint16_t off_hi;
};
static struct gate idt[256] __attribute__((aligned(8)));
struct idt_pointer idtr;

static void set_gate(int v, uint32_t handler, int dpl)
{
    idt[v].off_lo = (uint16_t)handler;
    idt[v].sel = KERNEL_CS;
    idt[v].zero = 0;
    idt[v].type = (uint8_t)(0x8E | (dpl << 5)); /* present 32-bit interrupt gate */
    idt[v].off_hi = (uint16_t)(handler >> 16);
}

/* The data selector entry.S loads on every trap: the one the kernel runs with (ring 0 or Xen's ring 1). */
uint16_t kernel_ds;
int32_t trap_callbacks_rc;

void trap_init(void)
{
    __asm__ volatile("movw %%ds, %0" : "=r"(kernel_ds));
    for (int v = 0; v < 48; v++)
        set_gate(v, isr_table[v], 0);
    set_gate(0x80, (uint32_t)isr_syscall, 3);
    idtr.limit = sizeof idt - 1;
    idtr.base = (uint32_t)idt;
    pv_load_trap_table(&idtr);
    /* Under Xen timer ticks arrive as event upcalls rather than IRQ0: register the entry points once. */
    if (pv_on_xen)
        trap_callbacks_rc = xen_register_callbacks((uint32_t)xen_event_callback, (uint32_t)xen_failsafe_callback);
    tasks[0].pid = 0;
    tasks[0].state = T_RUNNABLE;
    tasks[0].l3 = kernel_l3;
}

struct task *task_by_pid(int pid)
{
    for (int i = 1; i < MAX_TASKS; i++)
        if (tasks[i].state != T_FREE && tasks[i].pid == pid)
            return &tasks[i];
    return 0;
}

static struct task *task_alloc(void)
{
    for (int i = 1; i < MAX_TASKS; i++) {
        if (tasks[i].state == T_FREE) {
            struct task *t = &tasks[i];
            memset(t, 0, sizeof *t);
            t->pid = next_pid++;
            t->kstack_top = (uint32_t)kstacks[i] + PAGE_SIZE;
            return t;
        }
    }
    return 0;
}

/* The kernel stack of a task that has not run yet: a trap frame to IRET from, under a switch frame. */
static void task_stack(struct task *t, const struct trapframe *tf)
{
    struct trapframe *frame = (struct trapframe *)(t->kstack_top - sizeof *tf);
    *frame = *tf;
    uint32_t *sp = (uint32_t *)frame;
    *--sp = (uint32_t)trap_return;
    for (int i = 0; i < 4; i++)
        *--sp = 0; /* ebp, ebx, esi, edi */
    t->kesp = (uint32_t)sp;
}

int task_spawn(void (*entry)(int) __attribute__((regparm(1))), int arg)
{
    struct task *t = task_alloc();
    if (!t)
        return -1;
    t->l3 = aspace_create();
    t->brk = HEAP_BASE;
    struct trapframe tf;
    memset(&tf, 0, sizeof tf);
    tf.eax = (uint32_t)arg; /* regparm(1): the argument in EAX */
    tf.eip = (uint32_t)entry;
    tf.cs = user_cs;
    tf.ds = tf.es = tf.user_ss = user_ds;
    tf.eflags = 0x202; /* IF: the timer preempts ring 3 */
    tf.user_esp = USER_END - 16;
    task_stack(t, &tf);
    t->state = T_RUNNABLE;
    return t->pid;
}

static void switch_task(struct task *next)
{
    if (next == current)
        return;
    struct task *prev = current;
    current = next;
    if (next != &tasks[0])
        pv_set_kernel_stack(next->kstack_top);
    if (next->l3 != prev->l3)
        pv_load_pt_base(next->l3);
    switch_to(&prev->kesp, next->kesp);
}

/* Round robin over the user tasks after the current one; task 0 only when none can run. */
static void schedule(void)
{
    int start = (int)(current - tasks);
    for (int k = 1; k <= MAX_TASKS; k++) {
        int i = (start + k) % MAX_TASKS;
        if (i != 0 && tasks[i].state == T_RUNNABLE) {
            switch_task(&tasks[i]);
            return;
        }
    }
    if (current->state != T_RUNNABLE || current == &tasks[0])
        switch_task(&tasks[0]);
}

static int live_tasks(void)
{
    int n = 0;
    for (int i = 1; i < MAX_TASKS; i++)
        if (tasks[i].state == T_RUNNABLE || tasks[i].state == T_WAITING)
            n++;
    return n;
}

void timer_start(void)
{
    if (!timer_running) {
        timer_running = 1;
        pv_arm_timer(TIMER_QUANTUM);
    }
}

void run_tasks(int preempt)
{
    preempt_enabled = preempt;
    if (preempt)
        timer_start();
    while (live_tasks() > 0) {
        schedule();
        if (live_tasks() > 0)
            pv_idle(); /* sti; hlt: wait for the timer */
        pv_irq_disable();
    }
    preempt_enabled = 0;
}

void task_reap(struct task *t)
{
    t->state = T_FREE;
}

static void __attribute__((noreturn)) task_exit(int code)
{
    struct task *t = current;
    t->exit_code = code;
    /* Leave the address space before freeing it. */
    pv_load_pt_base(kernel_l3);
    tasks[0].l3 = kernel_l3;
    uint32_t l3 = t->l3;
    t->l3 = kernel_l3;
    aspace_destroy(l3);
    t->state = T_ZOMBIE;
    struct task *parent = task_by_pid(t->parent);
    if (parent && parent->state == T_WAITING && parent->wait_for == t->pid)
        parent->state = T_RUNNABLE;
    schedule();
    panic("a dead task was scheduled", (uint32_t)t->pid);
}

static void kill_current(const char *why, uint32_t addr, const struct trapframe *tf)
{
    kprintf("# toykernel: task %d killed: %s at 0x%08x (eip 0x%08x)\n", current->pid, why, addr, tf->eip);
    current->killed = 1;
    tasks_killed++;
    task_exit(-1);
}

static void page_fault(struct trapframe *tf)
{
    uint32_t addr = pv_read_fault_addr();
    int user = (tf->cs & 3) == 3; /* ring 3: the kernel runs in ring 0, or ring 1 under Xen */
    if (!user && fault_fixup_eip) {
        /* A self-test's deliberate kernel fault: record it and resume at the test's recovery point. */
        fault_seen_addr = addr;
        fault_seen_err = tf->err;
        tf->eip = fault_fixup_eip;
        fault_fixup_eip = 0;
        return;
    }
    int not_present = !(tf->err & 1);
    int in_heap = addr >= HEAP_BASE && addr < current->brk;
    int in_stack = addr >= STACK_LOW && addr < USER_END;
    if (current != &tasks[0] && not_present && (in_heap || in_stack)) {
        /* Demand paging: the first touch of a heap or stack page maps a fresh zeroed frame. */
        uint32_t frame = frame_alloc();
        if (!frame) {
            if (user)
                kill_current("out of memory", addr, tf);
            panic("out of memory in a kernel access", addr);
        }
        map_user_page(current->l3, addr & ~(PAGE_SIZE - 1), frame, PTE_P | PTE_RW | PTE_US, 1);
        demand_faults++;
        return;
    }
    if (user)
        kill_current(not_present ? "page fault on an unmapped address" : "page fault on a protected page", addr, tf);
    panic("kernel page fault", addr);
}

static uint32_t sys_write(uint32_t buf, uint32_t len)
{
    if (len > 256 || !user_range_ok(buf, len))
        return (uint32_t)-EFAULT;
    char copy[256];
    memcpy(copy, (const void *)buf, len); /* may demand-fault in the task's region */
    if (write_log_len < sizeof write_log)
        write_log[write_log_len++] = (char)('0' + current->pid % 10);
    pv_console_write(copy, len);
    return len;
}

static uint32_t sys_fork(const struct trapframe *tf)
{
    struct task *child = task_alloc();
    if (!child)
        return (uint32_t)-EINVAL;
    child->l3 = aspace_copy(current->l3);
    child->brk = current->brk;
    child->parent = current->pid;
    struct trapframe ctf = *tf;
    ctf.eax = 0; /* fork returns 0 in the child */
    task_stack(child, &ctf);
    child->state = T_RUNNABLE;
    return (uint32_t)child->pid;
}

static uint32_t sys_wait(int pid)
{
    struct task *child = task_by_pid(pid);
    if (!child || child->parent != current->pid)
        return (uint32_t)-ECHILD;
    if (child->state != T_ZOMBIE) {
        current->state = T_WAITING;
        current->wait_for = pid;
        schedule();
    }
    int code = child->exit_code;
    task_reap(child);
    return (uint32_t)code;
}

static void syscall(struct trapframe *tf)
{
    uint32_t r;
    switch (tf->eax) {
    case SYS_WRITE:
        r = sys_write(tf->ebx, tf->ecx);
        break;
    case SYS_GETPID:
        r = (uint32_t)current->pid;
        break;
    case SYS_YIELD:
        schedule();
        r = 0;
        break;
    case SYS_SBRK: {
        uint32_t old = current->brk;
        int32_t incr = (int32_t)tf->ebx;
        uint32_t nb = old + (uint32_t)incr;
        if (nb < HEAP_BASE || nb > HEAP_BASE + HEAP_MAX)
            r = (uint32_t)-EINVAL;
        else {
            current->brk = nb;
            r = old;
        }
        break;
    }
    case SYS_FORK:
        r = sys_fork(tf);
        break;
    case SYS_EXIT:
        task_exit((int)tf->ebx);
    case SYS_WAIT:
        r = sys_wait((int)tf->ebx);
        break;
    case SYS_TICKS:
        r = ticks;
        break;
    default:
        r = (uint32_t)-38; /* ENOSYS */
    }
    tf->eax = r;
}

/* The one-shot timer expired (IRQ0 natively, VIRQ_TIMER's port under Xen). */
static void timer_interrupt(struct trapframe *tf)
{
    ticks++;
    pv_irq_eoi();
    if (preempt_enabled && live_tasks() > 0)
        pv_arm_timer(TIMER_QUANTUM);
    else
        timer_running = 0;
    if (preempt_enabled && (tf->cs & 3) == 3) {
        preemptions++;
        schedule();
    }
}

void trap_dispatch(struct trapframe *tf)
{
    switch (tf->vector) {
    case 14:
        page_fault(tf);
        return;
    case 3:
        breakpoints++;
        return;
    case 32: /* IRQ0: the one-shot timer expired */
        timer_interrupt(tf);
        return;
    case VEC_XEN_EVENT: /* Xen's event upcall: VIRQ_TIMER is the one bound port */
        if (xen_event_scan())
            timer_interrupt(tf);
        return;
    case 0x80:
        syscall(tf);
        return;
    default:
        if (tf->vector == 33 || tf->vector == 36) { /* keyboard, COM1: unmasked by the shell only */
            shell_interrupt(tf->vector);
            return;
        }
        if (tf->vector >= 33 && tf->vector < 48) {
            pv_irq_eoi(); /* spurious or unexpected IRQ */
            return;
        }
        if ((tf->cs & 3) == 3)
            kill_current("exception", tf->vector, tf);
        kprintf("# trap %u err 0x%x eip 0x%08x\n", tf->vector, tf->err, tf->eip);
        panic("unexpected exception in the kernel", tf->vector);
    }
}
