/* Freestanding string and memory functions (the C library's contracts). */
#ifndef DUET_STRING_H
#define DUET_STRING_H

#include <duet/types.h>

void *memset(void *dst, int c, size_t n);
void *memcpy(void *restrict dst, const void *restrict src, size_t n);
void *memmove(void *dst, const void *src, size_t n);
int memcmp(const void *a, const void *b, size_t n);
void *memchr(const void *s, int c, size_t n);
size_t strlen(const char *s);
size_t strnlen(const char *s, size_t max);
int strcmp(const char *a, const char *b);
int strncmp(const char *a, const char *b, size_t n);
char *strchr(const char *s, int c);
char *strrchr(const char *s, int c);
/* Copy at most size-1 bytes and always terminate; returns strlen(src). */
size_t strlcpy(char *dst, const char *src, size_t size);
/* The value of c as a digit in bases up to 36 (0-9, then a-z or A-Z), or
 * 99 when it is none: a caller compares the result with its base. */
int digit_value(char c);
/* Parse an unsigned number: decimal, 0x hex, 0 octal, with an optional
 * K/M/G suffix when `suffixes` is true. Returns false on any bad input. */
bool parse_u64(const char *s, u64 *out, bool suffixes);

#endif
