/* The kernel core's internal interfaces (compiled once per strategy; see pv_defs.h). */
#ifndef TK_KERNEL_H
#define TK_KERNEL_H

#include "boot.h"
#include "platform.h"
#include "pv.h"

#define PAGE_SIZE 4096u
#define DIRECT_MAP_END (32u << 20)   /* the kernel maps physical 0..32 MiB at the same addresses */
#define USER_BASE 0x40000000u        /* L3 slot 1: the per-task user region */
#define USER_END 0x80000000u
#define HEAP_BASE USER_BASE
#define HEAP_MAX (16u << 20)
#define STACK_LOW (USER_END - (1u << 20)) /* the user stack may grow to 1 MiB */

/* PAE entry bits (SDM Vol. 3A §4.4, Tables 4-8..4-11). */
#define PTE_P 0x001ull
#define PTE_RW 0x002ull
#define PTE_US 0x004ull
#define PTE_ADDR 0x000FFFFFFFFFF000ull

/* kprint.c */
void kprintf(const char *fmt, ...);
void __attribute__((noreturn)) panic(const char *what, uint32_t value);

/* mm.c */
void mm_init(const struct boot_info *bi);
extern uint32_t mm_bootstrap_frames_freed; /* Xen: frames of the domain builder's tables given back */
uint32_t frame_alloc(void);            /* a zeroed frame's physical address, 0 when none is left */
void frame_free(uint32_t phys);
uint32_t frames_free(void);
extern uint32_t kernel_l3;             /* physical address of the kernel-only L3 */
extern uint64_t *kernel_l2;
uint32_t aspace_create(void);          /* a new L3: the kernel half shared, an empty user region */
uint32_t aspace_copy(uint32_t l3);     /* a deep copy of the user region (fork) */
void aspace_destroy(uint32_t l3);      /* frees the user pages and the tables */
int map_user_page(uint32_t l3, uint32_t va, uint32_t phys, uint64_t flags, int current);
uint64_t *lookup_pte(uint32_t l3, uint32_t va); /* the L1 entry, NULL when no L1 table */
int user_range_ok(uint32_t va, uint32_t len);
extern uint32_t scratch_va;            /* a kernel VA whose L1 entry the self-tests may rewrite */
uint64_t *scratch_pte(void);

/* trap frame built by entry.S */
struct trapframe {
    uint32_t edi, esi, ebp, esp_dummy, ebx, edx, ecx, eax;
    uint32_t es, ds;
    uint32_t vector, err;
    uint32_t eip, cs, eflags, user_esp, user_ss;
};

/* entry.S */
extern uint32_t isr_table[48];
extern void isr_syscall(void);
extern void xen_event_callback(void);
extern void xen_failsafe_callback(void);
#define VEC_XEN_EVENT 0x30      /* the trap frame's vector for Xen's event upcall */
#define VEC_XEN_FAILSAFE 0x31
extern void trap_return(void);
void switch_to(uint32_t *save_esp, uint32_t new_esp);

/* task.c */
#define MAX_TASKS 16
enum task_state { T_FREE, T_RUNNABLE, T_WAITING, T_ZOMBIE };
struct task {
    int pid;
    enum task_state state;
    uint32_t kesp, kstack_top;
    uint32_t l3;
    uint32_t brk;
    int exit_code;
    int killed;
    int parent;
    int wait_for;
};
extern struct task tasks[MAX_TASKS];
extern struct task *current;
extern volatile uint32_t ticks, preemptions, demand_faults, breakpoints, tasks_killed;
/* A kernel page fault while fault_fixup_eip is set resumes there (once), recording CR2 and the error code. */
extern volatile uint32_t fault_fixup_eip, fault_seen_addr, fault_seen_err;
extern uint16_t kernel_ds;
extern int32_t trap_callbacks_rc;      /* Xen: callback_op(register) of the event and failsafe callbacks */
struct idt_pointer {
    uint16_t limit;
    uint32_t base;
} __attribute__((packed));
extern struct idt_pointer idtr;        /* the kernel's IDT, the trap table load_trap_table takes */
extern char write_log[64];
extern uint32_t write_log_len;
void trap_init(void);
int task_spawn(void (*entry)(int) __attribute__((regparm(1))), int arg);
void run_tasks(int preempt);           /* runs the user tasks until none is left; preempt: timer slices */
struct task *task_by_pid(int pid);
void task_reap(struct task *t);
void timer_start(void);
#define TIMER_QUANTUM 1193             /* PIT input clocks: 1 ms, 100,000 instructions of virtual time */

/* user.c (ring-3 programs, linked in .user) */
#define USERFN __attribute__((regparm(1), noreturn))
void u_hello(int arg) USERFN;
void u_yield(int arg) USERFN;
void u_heap(int arg) USERFN;
void u_fork(int arg) USERFN;
void u_spin(int arg) USERFN;
void u_read_kernel(int arg) USERFN;
void u_write_unmapped(int arg) USERFN;
void u_bad_write(int arg) USERFN;

/* shell.c: `shell` on the command line, bare hardware only */
void shell_run(int tests_passed);          /* until `poweroff`; at once under Xen (no shell there) */
void shell_interrupt(uint32_t vector);     /* IRQ1 (keyboard) and IRQ4 (COM1) while the shell runs */

/* bench.c */
void bench_run(const struct boot_info *bi);

#endif
