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

uint32_t cmdline_uint(const char *cmdline, const char *name, uint32_t fallback)
{
    const char *p = cmdline;
    while (*p) {
        while (*p == ' ')
            p++;
        if (!*p)
            break;
        const char *value = match_name(p, name);
        uint32_t parsed;
        if (value && parse_decimal(value, &parsed))
            return parsed;
        while (*p && *p != ' ')
            p++;
    }
    return fallback;
}
