/*
 * The default guest: greets on the console (COM1 and port 0xE9), echoes its command line, and
 * exits through isa-debug-exit with the status given by "exit=N" (default 0).
 */
#include "cmdline.h"
#include "console.h"
#include "multiboot.h"

void guest_main(uint32_t magic, const struct multiboot_info *info)
{
    console_init();
    console_puts("hello: Hello from a multiboot guest!\n");
    if (magic != MULTIBOOT_BOOTLOADER_MAGIC) {
        console_puts("hello: not started by a multiboot loader (EAX=");
        console_put_hex(magic);
        console_puts(")\n");
    }
    const char *cmdline = multiboot_cmdline(magic, info);
    console_puts("hello: command line: ");
    console_puts(cmdline);
    console_puts("\n");

    uint32_t status = cmdline_uint(cmdline, "exit", 0);
    console_puts("hello: exiting with status ");
    console_put_dec(status);
    console_puts("\n");
    guest_exit(status);
}
