/*
 * Phase io: port I/O to registers that are harmless to touch with interrupts off and behave the
 * same on QEMU: the slave PIC's mask register (written, then read back), the POST port 0x80, and
 * the last CMOS RAM byte (0x7F, which no firmware uses) through the index/data pair 0x70/0x71.
 */
#include "io.h"
#include "phases.h"

#define PIC_SLAVE_MASK 0xA1
#define POST_PORT 0x80
#define CMOS_INDEX 0x70
#define CMOS_DATA 0x71
#define CMOS_SCRATCH 0x7F
#define CMOS_NMI_OFF 0x80

uint32_t phase_io(uint32_t iterations)
{
    uint32_t sum = 0;
    for (uint32_t i = 0; i < iterations; i++) {
        outb(PIC_SLAVE_MASK, (uint8_t)(i | 0x01));
        sum += inb(PIC_SLAVE_MASK);
        outb(POST_PORT, (uint8_t)sum);
        outb(CMOS_INDEX, CMOS_NMI_OFF | CMOS_SCRATCH);
        outb(CMOS_DATA, (uint8_t)(sum >> 3));
        sum = (sum << 1) + inb(CMOS_DATA);
    }
    outb(PIC_SLAVE_MASK, 0xFF); /* every slave IRQ masked, as at boot */
    return sum;
}
