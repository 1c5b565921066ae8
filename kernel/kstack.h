/*
 * Kernel threads' stacks (kernel/kstack.c): a slot of the kernel-stack
 * region (include/duet/layout.h) with KSTACK_SIZE of buddy pages mapped
 * at its top and its guard left unmapped.
 */
#ifndef KERNEL_KSTACK_H
#define KERNEL_KSTACK_H

#include <duet/types.h>

struct kstack {
    int slot;
    uintptr_t bottom, top; /* the mapped stack: [bottom, top) */
    paddr_t pa;            /* its pages, one buddy block */
};

/* A stack owned by `owner` (for kstack_owner); -ENOMEM when there is no
 * memory or no free slot. */
int kstack_alloc(struct kstack *ks, void *owner);
void kstack_free(struct kstack *ks);
/* The owner of the slot whose stack or guard holds addr, or NULL. */
void *kstack_owner(uintptr_t addr);
/* Stacks allocated now, for tests. */
unsigned kstack_count(void);

#endif
