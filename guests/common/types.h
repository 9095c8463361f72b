/* Fixed-width types for freestanding guests (no libc headers are used). */
#ifndef GUEST_TYPES_H
#define GUEST_TYPES_H

typedef unsigned char uint8_t;
typedef unsigned short uint16_t;
typedef unsigned int uint32_t;
typedef int int32_t;

#endif
