/*
 * Fixed-width integer types and the two address types.
 *
 * A physical address is an integer (paddr_t): the allocators do arithmetic
 * on it and it is never dereferenced. A virtual address the kernel uses is a
 * pointer; code that computes page-table indices uses vaddr_t. Passing a
 * paddr_t where a pointer is expected is a compile error, which is the point.
 */
#ifndef DUET_TYPES_H
#define DUET_TYPES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef uint8_t u8;
typedef uint16_t u16;
typedef uint32_t u32;
typedef uint64_t u64;
typedef int8_t s8;
typedef int16_t s16;
typedef int32_t s32;
typedef int64_t s64;

typedef u64 paddr_t; /* physical address */
typedef u64 vaddr_t; /* virtual address as a number */

/* "No physical address": what allocators return when they have nothing.
 * Not 0, which is a valid physical address (x86's first page is RAM). */
#define PADDR_NONE ((paddr_t)-1)

#endif
