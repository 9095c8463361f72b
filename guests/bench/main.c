/*
 * The bench guest: runs one phase chosen by "phase=NAME" on the command line (alu, mem, call,
 * paging, io, or none: the start-up and exit alone) for "iterations=N" rounds (each phase has a
 * default sized to about 60 million instructions), prints a checksum and exits through
 * isa-debug-exit with 0 (emulator and QEMU exit status 1). An unknown phase exits with 2 (status 5).
 */
#include "cmdline.h"
#include "console.h"
#include "multiboot.h"
#include "phases.h"

struct phase {
    const char *name;
    uint32_t (*run)(uint32_t iterations);
    uint32_t default_iterations;
};

static const struct phase phases[] = {
    { "alu", phase_alu, 2300000u },
    { "mem", phase_mem, 170000u },
    { "call", phase_call, 180000u },
    { "paging", phase_paging, 1800000u },
    { "io", phase_io, 3000000u },
    { "none", 0, 0 },
};

/* The text after "phase=" in the first word that starts with it, or NULL. */
static const char *phase_word(const char *cmdline)
{
    static const char key[] = "phase=";
    for (const char *p = cmdline; *p; p++) {
        if (p != cmdline && p[-1] != ' ')
            continue;
        uint32_t i = 0;
        while (key[i] && p[i] == key[i])
            i++;
        if (!key[i])
            return p + i;
    }
    return 0;
}

/* True when the word at value (ended by a space or the end of the line) is exactly name. */
static int word_is(const char *value, const char *name)
{
    while (*name && *value == *name) {
        value++;
        name++;
    }
    return !*name && (*value == ' ' || *value == '\0');
}

void guest_main(uint32_t magic, const struct multiboot_info *info)
{
    console_init();
    const char *cmdline = multiboot_cmdline(magic, info);
    const char *name = phase_word(cmdline);
    const struct phase *phase = 0;
    for (uint32_t i = 0; i < sizeof phases / sizeof phases[0]; i++)
        if (name && word_is(name, phases[i].name))
            phase = &phases[i];
    if (!phase) {
        console_puts("bench: no such phase (phase=alu|mem|call|paging|io|none)\n");
        guest_exit(2);
    }
    uint32_t iterations = cmdline_uint(cmdline, "iterations", phase->default_iterations);
    console_puts("bench: phase=");
    console_puts(phase->name);
    console_puts(" iterations=");
    console_put_dec(iterations);
    console_puts("\n");
    uint32_t checksum = phase->run ? phase->run(iterations) : 0;
    console_puts("bench: checksum=");
    console_put_hex(checksum);
    console_puts("\n");
    guest_exit(0);
}
