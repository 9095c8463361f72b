#include "cmdline.h"
#include "multiboot.h"

const char *multiboot_cmdline(uint32_t magic, const struct multiboot_info *info)
{
    if (magic != MULTIBOOT_BOOTLOADER_MAGIC || !(info->flags & MULTIBOOT_INFO_CMDLINE) || info->cmdline == 0)
        return "";
    return (const char *)info->cmdline;
}

/* When word starts with "name=", the text after the "="; otherwise NULL. */
static const char *match_name(const char *word, const char *name)
{
    while (*name) {
        if (*word != *name)
            return 0;
        word++;
        name++;
    }
    return *word == '=' ? word + 1 : 0;
}

static int parse_decimal(const char *s, uint32_t *out)
{
    uint32_t value = 0;
    int digits = 0;
    while (*s >= '0' && *s <= '9') {
        value = value * 10 + (uint32_t)(*s - '0');
        s++;
        digits++;
    }
    if (digits == 0 || (*s != ' ' && *s != '\0'))
        return 0;
    *out = value;
    return 1;
}

const char *cmdline_word(const char *cmdline, const char *name)
{
    const char *p = cmdline;
    while (*p) {
        while (*p == ' ')
            p++;
        if (!*p)
            break;
        const char *value = match_name(p, name);
        if (value)
            return value;
        while (*p && *p != ' ')
            p++;
    }
    return 0;
}

int cmdline_word_is(const char *value, const char *text)
{
    while (*text) {
        if (*value != *text)
            return 0;
        value++;
        text++;
    }
    return *value == ' ' || *value == '\0';
}

uint32_t cmdline_uint(const char *cmdline, const char *name, uint32_t fallback)
{
    const char *value = cmdline_word(cmdline, name);
    uint32_t parsed;
    return value && parse_decimal(value, &parsed) ? parsed : fallback;
}
