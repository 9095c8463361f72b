/*
 * The ring-3 programs. They are linked into .user (the Makefile renames this file's sections),
 * which the kernel maps user-readable; they reach the kernel only through int 0x80
 * (EAX = number, EBX, ECX = arguments, result in EAX). Each is entered by IRET with its argument
 * in EAX (regparm(1)) and ends with exit.
 */
#include "lib.h"

#define USERFN __attribute__((regparm(1), noreturn))

static inline int sys(int n, uint32_t a, uint32_t b)
{
    int r;
    __asm__ volatile("int $0x80" : "=a"(r) : "a"(n), "b"(a), "c"(b) : "memory");
    return r;
}

static int write(const char *s, uint32_t len) { return sys(1, (uint32_t)s, len); }
static int getpid(void) { return sys(2, 0, 0); }
static void yield(void) { sys(3, 0, 0); }
static uint32_t sbrk(int incr) { return (uint32_t)sys(4, (uint32_t)incr, 0); }
static int fork(void) { return sys(5, 0, 0); }
static void __attribute__((noreturn)) exit(int code)
{
    sys(6, (uint32_t)code, 0);
    for (;;)
        ;
}
static int wait(int pid) { return sys(7, (uint32_t)pid, 0); }
static uint32_t ticks(void) { return (uint32_t)sys(8, 0, 0); }

static uint32_t ulen(const char *s)
{
    uint32_t n = 0;
    while (s[n])
        n++;
    return n;
}

static void print(const char *s) { write(s, ulen(s)); }

/* Says hello and exits with its own pid, which the kernel compares with the pid it gave. */
USERFN void u_hello(int arg)
{
    (void)arg;
    print("# hello from ring 3\n");
    exit(getpid());
}

/* Three rounds of "write a line, yield": round robin gives A B C A B C A B C. */
USERFN void u_yield(int arg)
{
    char line[] = "# task ?\n";
    line[7] = (char)('A' + arg);
    for (int round = 0; round < 3; round++) {
        write(line, sizeof line - 1);
        yield();
    }
    exit(0);
}

/* sbrk three pages; every byte reads zero (demand paging maps zeroed frames), and keeps what is written. */
USERFN void u_heap(int arg)
{
    (void)arg;
    uint32_t base = sbrk(3 * 4096);
    if (base != 0x40000000)
        exit(1);
    volatile uint32_t *p = (volatile uint32_t *)base;
    for (uint32_t i = 0; i < 3 * 1024; i++)
        if (p[i] != 0)
            exit(2);
    for (uint32_t i = 0; i < 3 * 1024; i++)
        p[i] = i * 2654435761u;
    for (uint32_t i = 0; i < 3 * 1024; i++)
        if (p[i] != i * 2654435761u)
            exit(3);
    if (sbrk(0) != base + 3 * 4096)
        exit(4);
    exit(0);
}

/*
 * fork: the child sees the parent's heap byte for byte (exit 0, else 10), then overwrites it;
 * the parent, after wait, still sees its own values: exit 0 when all is well, 21 when the parent's
 * copy changed, 100 + the child's status when the child failed, 30 when fork failed.
 */
USERFN void u_fork(int arg)
{
    (void)arg;
    volatile uint32_t *p = (volatile uint32_t *)sbrk(4096);
    for (uint32_t i = 0; i < 1024; i++)
        p[i] = i * 7 + 1;
    int pid = fork();
    if (pid < 0)
        exit(30);
    if (pid == 0) {
        for (uint32_t i = 0; i < 1024; i++)
            if (p[i] != i * 7 + 1)
                exit(10);
        for (uint32_t i = 0; i < 1024; i++)
            p[i] = 0xAAAAAAAA;
        print("# fork child: copy equal, overwritten\n");
        exit(0);
    }
    int status = wait(pid);
    for (uint32_t i = 0; i < 1024; i++)
        if (p[i] != i * 7 + 1)
            exit(21);
    exit(status == 0 ? 0 : 100 + status);
}

/*
 * Busy work that never yields: only the timer can take the CPU away. It spins until the kernel's
 * tick count has moved by 3 (so the test does not depend on how fast the machine is), checking
 * every 1000 iterations; it gives up with 1 after far longer than that should take.
 */
USERFN void u_spin(int arg)
{
    volatile uint32_t x = 0;
    uint32_t start = ticks();
    for (uint32_t round = 0; round < 1000000; round++) {
        for (uint32_t i = 0; i < 1000; i++)
            x += i;
        if (ticks() - start >= 3)
            exit(arg);
    }
    exit(1);
}

/* Reads kernel memory (supervisor pages): the kernel must kill it. */
USERFN void u_read_kernel(int arg)
{
    (void)arg;
    volatile uint32_t v = *(volatile uint32_t *)0x00100000;
    (void)v;
    exit(99);
}

/* Writes an address no table maps (L3 slot 3 holds an empty L2, or Xen's hole at its top): the kernel must kill it. */
USERFN void u_write_unmapped(int arg)
{
    (void)arg;
    *(volatile uint32_t *)0xC0000000 = 1;
    exit(99);
}

/* Hands the kernel a kernel pointer: write must fail with -EFAULT (-14), not print kernel memory. */
USERFN void u_bad_write(int arg)
{
    (void)arg;
    exit(write((const char *)0x00100000, 16) == -14 ? 0 : 1);
}
