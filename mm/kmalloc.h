/*
 * kmalloc: small kernel objects. Sizes up to KMALLOC_MAX_SMALL come from
 * slabs of one size class (16, 32, ..., 2048 bytes); larger ones straight
 * from the buddy allocator, rounded up to a power of two pages. Every
 * pointer is aligned to at least 16 bytes.
 *
 * kfree(NULL) does nothing. A double free, or freeing a pointer kmalloc did
 * not return, panics naming the pointer.
 */
#ifndef MM_KMALLOC_H
#define MM_KMALLOC_H

#include <duet/types.h>

#define KMALLOC_MIN_SIZE  16
#define KMALLOC_MAX_SMALL 2048

/* size bytes, or NULL when memory is exhausted or size is 0. */
void *kmalloc(size_t size);
/* The same, zeroed. */
void *kzalloc(size_t size);
void kfree(void *p);

/* Slabs in use, for tests and the monitor. */
u64 kmalloc_slab_count(void);
/* For the memory dump: every slab, with its object size, capacity and free objects. */
typedef void (*kmalloc_slab_fn)(paddr_t pa, unsigned order, unsigned object_size, unsigned capacity,
                                unsigned free, void *arg);
void kmalloc_for_each_slab(kmalloc_slab_fn fn, void *arg);

#endif
