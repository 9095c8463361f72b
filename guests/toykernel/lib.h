/* Freestanding helpers shared by every part of the toy kernel. */
#ifndef TK_LIB_H
#define TK_LIB_H

#include "types.h"

typedef unsigned long long uint64_t;
typedef long long int64_t;

void *memset(void *dst, int value, uint32_t n);
void *memcpy(void *dst, const void *src, uint32_t n);
int memcmp(const void *a, const void *b, uint32_t n);
uint32_t strlen(const char *s);
uint64_t __udivdi3(uint64_t n, uint64_t d);
uint64_t __umoddi3(uint64_t n, uint64_t d);

#endif
