/*
 * `shell` on the command line: after the self-tests, a small interactive shell on bare hardware.
 * Keys come from the 8042 keyboard controller (IRQ1, scan code set 1 as the controller translates
 * it) and from COM1 (IRQ4); everything typed is echoed, and every line the shell writes goes both
 * to the console (COM1, through the paravirt console operation) and to the VGA text buffer at
 * 0xB8000 with the hardware cursor (CRTC registers 0x0E/0x0F) after it. Commands: help, echo,
 * clear, colors, poweroff. Under Xen the kernel is a PV guest without port access: no shell.
 * Being bare-hardware code, it calls the native backend directly (no paravirt call sites, so the
 * patch strategy's site count is the same with or without the shell).
 */
#include "kernel.h"
#include "io.h"

#define VGA_TEXT ((volatile uint16_t *)0xB8000)
#define VGA_COLS 80
#define VGA_ROWS 25
#define ATTR_TEXT 0x07  /* light grey on black */
#define ATTR_TITLE 0x1F /* white on blue */
#define ATTR_PROMPT 0x0A /* light green */
#define COM1 0x3F8

static uint32_t vga_pos; /* the cursor, in cells */
static uint8_t vga_attr = ATTR_TEXT;

static void vga_cursor(void)
{
    outb(0x3D4, 0x0E);
    outb(0x3D5, (uint8_t)(vga_pos >> 8));
    outb(0x3D4, 0x0F);
    outb(0x3D5, (uint8_t)vga_pos);
}

static void vga_clear(void)
{
    for (uint32_t i = 0; i < VGA_COLS * VGA_ROWS; i++)
        VGA_TEXT[i] = (uint16_t)(ATTR_TEXT << 8 | ' ');
    vga_pos = 0;
}

static void vga_putc(char c)
{
    if (c == '\n') {
        vga_pos += VGA_COLS - vga_pos % VGA_COLS;
    } else if (c == '\b') {
        if (vga_pos % VGA_COLS)
            VGA_TEXT[--vga_pos] = (uint16_t)(vga_attr << 8 | ' ');
    } else {
        VGA_TEXT[vga_pos++] = (uint16_t)(vga_attr << 8 | (uint8_t)c);
    }
    if (vga_pos >= VGA_COLS * VGA_ROWS) {
        /* Scroll one line up; row 0 is the title bar and stays. */
        for (uint32_t i = VGA_COLS; i < VGA_COLS * (VGA_ROWS - 1); i++)
            VGA_TEXT[i] = VGA_TEXT[i + VGA_COLS];
        for (uint32_t i = VGA_COLS * (VGA_ROWS - 1); i < VGA_COLS * VGA_ROWS; i++)
            VGA_TEXT[i] = (uint16_t)(ATTR_TEXT << 8 | ' ');
        vga_pos -= VGA_COLS;
    }
}

/* Writes to the console (COM1) and the screen. */
static void shell_write(const char *s)
{
    native_console_write(s, strlen(s));
    for (; *s; s++)
        vga_putc(*s);
    vga_cursor();
}

/* ---- input: a ring of characters filled by the interrupt handlers ------------------------------ */

static volatile char input[64];
static volatile uint32_t input_head, input_tail;
static int shift_down, extended_next;

static void input_push(char c)
{
    if (input_tail - input_head < sizeof input)
        input[input_tail++ % sizeof input] = c;
}

static const char keymap[0x3A] = {
    0, 27, '1', '2', '3', '4', '5', '6', '7', '8', '9', '0', '-', '=', '\b', '\t',
    'q', 'w', 'e', 'r', 't', 'y', 'u', 'i', 'o', 'p', '[', ']', '\n', 0, 'a', 's',
    'd', 'f', 'g', 'h', 'j', 'k', 'l', ';', '\'', '`', 0, '\\', 'z', 'x', 'c', 'v',
    'b', 'n', 'm', ',', '.', '/', 0, '*', 0, ' ',
};
static const char keymap_shift[0x3A] = {
    0, 27, '!', '@', '#', '$', '%', '^', '&', '*', '(', ')', '_', '+', '\b', '\t',
    'Q', 'W', 'E', 'R', 'T', 'Y', 'U', 'I', 'O', 'P', '{', '}', '\n', 0, 'A', 'S',
    'D', 'F', 'G', 'H', 'J', 'K', 'L', ':', '"', '~', 0, '|', 'Z', 'X', 'C', 'V',
    'B', 'N', 'M', '<', '>', '?', 0, '*', 0, ' ',
};

/* One byte of scan code set 1 from the 8042. */
static void keyboard_byte(uint8_t code)
{
    if (code == 0xE0) {
        extended_next = 1;
        return;
    }
    int extended = extended_next, released = code & 0x80;
    extended_next = 0;
    code &= 0x7F;
    if (code == 0x2A || code == 0x36) { /* left / right shift */
        shift_down = !released;
        return;
    }
    if (released)
        return;
    if (extended) { /* of the extended keys only keypad Enter types something */
        if (code == 0x1C)
            input_push('\n');
        return;
    }
    if (code < sizeof keymap && keymap[code])
        input_push(shift_down ? keymap_shift[code] : keymap[code]);
}

void shell_interrupt(uint32_t vector)
{
    if (vector == 33) { /* IRQ1: every byte the controller holds */
        while (inb(0x64) & 0x01)
            keyboard_byte(inb(0x60));
    } else if (vector == 36) { /* IRQ4: COM1 received data */
        while (inb(COM1 + 5) & 0x01) {
            char c = (char)inb(COM1);
            input_push(c == '\r' ? '\n' : c == 0x7F ? '\b' : c);
        }
    }
    native_irq_eoi();
}

/* Waits for the next character: interrupts on and HLT, atomically (sti; hlt), until one arrives. */
static char next_char(void)
{
    for (;;) {
        __asm__ volatile("cli" ::: "memory");
        if (input_head != input_tail) {
            char c = input[input_head++ % sizeof input];
            return c;
        }
        native_idle(); /* sti; hlt */
    }
}

/* ---- the shell ----------------------------------------------------------------------------------- */

static int starts_with(const char *s, const char *word)
{
    uint32_t n = strlen(word);
    return memcmp(s, word, n) == 0 && (s[n] == 0 || s[n] == ' ');
}

static void title(const char *text)
{
    uint32_t n = strlen(text);
    for (uint32_t i = 0; i < VGA_COLS; i++)
        VGA_TEXT[i] = (uint16_t)(ATTR_TITLE << 8 | (i < n ? (uint8_t)text[i] : ' '));
}

static void colors(void)
{
    /* One line per background colour, the 16 foreground colours on it, each showing its digit. */
    for (uint32_t bg = 0; bg < 8; bg++) {
        for (uint32_t fg = 0; fg < 16; fg++) {
            vga_attr = (uint8_t)(bg << 4 | fg);
            vga_putc("0123456789abcdef"[fg]);
        }
        vga_attr = ATTR_TEXT;
        vga_putc('\n');
    }
    vga_cursor();
    native_console_write("colors: 8 background x 16 foreground colours on the screen\n", 59);
}

/* Runs one command line; 0 when it was poweroff. */
static int run_command(const char *line)
{
    while (*line == ' ')
        line++;
    if (!*line)
        return 1;
    if (starts_with(line, "help")) {
        shell_write("commands: help, echo TEXT, clear, colors, poweroff\n");
    } else if (starts_with(line, "echo")) {
        shell_write(line[4] ? line + 5 : "");
        shell_write("\n");
    } else if (starts_with(line, "clear")) {
        vga_clear();
        vga_pos = VGA_COLS;
        title(" toykernel shell");
        vga_cursor();
    } else if (starts_with(line, "colors")) {
        colors();
    } else if (starts_with(line, "poweroff")) {
        shell_write("shell: powering off\n");
        return 0;
    } else {
        shell_write("shell: unknown command: ");
        shell_write(line);
        shell_write(" (try help)\n");
    }
    return 1;
}

/* Runs the shell until `poweroff` (the caller then shuts down); returns at once under Xen. */
void shell_run(int tests_passed)
{
    if (pv_on_xen) {
        kprintf("toykernel: shell: not available under Xen (a PV domain has no keyboard or VGA ports); "
                "shutting down\n");
        return;
    }
    /* The 8042: drain what it holds, then command byte 0x45 (IRQ1 on, system flag, translation to set 1). */
    while (inb(0x64) & 0x01)
        (void)inb(0x60);
    outb(0x64, 0x60);
    outb(0x60, 0x45);
    /* COM1: receive interrupts through OUT2. */
    outb(COM1 + 1, 0x01);
    outb(COM1 + 4, 0x0B);
    /* The PIC: unmask IRQ1 (keyboard) and IRQ4 (COM1) next to IRQ0. */
    outb(0x21, inb(0x21) & ~0x12);

    vga_clear();
    title(" toykernel shell");
    vga_pos = VGA_COLS;
    shell_write(tests_passed ? "toykernel: all self-tests passed; shell ready (type help)\n"
                             : "toykernel: some self-tests FAILED; shell ready (type help)\n");
    char line[72];
    uint32_t len = 0;
    for (;;) {
        vga_attr = ATTR_PROMPT;
        shell_write("> ");
        vga_attr = ATTR_TEXT;
        len = 0;
        for (;;) {
            char c = next_char();
            if (c == '\n') {
                shell_write("\n");
                break;
            }
            if (c == '\b') {
                if (len) {
                    len--;
                    shell_write("\b \b");
                }
                continue;
            }
            if ((uint8_t)c < ' ' || (uint8_t)c > '~' || len + 1 >= sizeof line)
                continue;
            line[len++] = c;
            char echo[2] = {c, 0};
            shell_write(echo);
        }
        line[len] = 0;
        if (!run_command(line))
            return;
    }
}
