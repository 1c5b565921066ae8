/*
 * Kernel threads' stacks (kernel/kstack.h). The region holds KSTACK_MAX
 * slots; a bitmap says which are taken. A stack is one buddy block of
 * KSTACK_SIZE, mapped in the kernel's half (and so in every address
 * space) with 4 KiB pages at KSTACK_BOTTOM(slot). Nothing is ever mapped
 * in the KSTACK_GUARD_SIZE under it: running off the bottom of the stack
 * faults at once, and the fault report names the thread (lib/fault.c)
 * instead of the thread silently writing over its neighbour.
 */
#include <duet/errno.h>
#include <duet/compiler.h>
#include <duet/layout.h>
#include <duet/panic.h>
#include <duet/spinlock.h>
#include <kernel/kstack.h>
#include <mm/buddy.h>
#include <mm/kmap.h>
#include <mm/vm.h>

#define KSTACK_ORDER 2 /* 2^2 pages = KSTACK_SIZE */
_Static_assert((PAGE_SIZE << KSTACK_ORDER) == KSTACK_SIZE, "KSTACK_ORDER");
/* AArch64's vector entries find an overflow by bit BOOT_STACK_SHIFT of SP
 * (arch/aarch64/vectors.S): each stack must start on a boundary of twice
 * its size (layout.h makes it the boot stack's size, and its guard as big). */
_Static_assert(KSTACK_BOTTOM(0) % (2 * KSTACK_SIZE) == 0 &&
                   KSTACK_SLOT_SIZE % (2 * KSTACK_SIZE) == 0,
               "kernel stacks on a boundary of twice their size");

static u64 taken[KSTACK_MAX / 64];
static void *owners[KSTACK_MAX];
static unsigned count;
/* Guards the bitmap, and the kernel's tables while a stack is mapped. */
static struct spinlock kstack_lock = SPINLOCK_INIT("kstack");

static int take_slot(void)
{
    for (unsigned w = 0; w < ARRAY_SIZE(taken); w++) {
        if (taken[w] != ~0ull) {
            unsigned bit = (unsigned)__builtin_ctzll(~taken[w]);
            taken[w] |= 1ull << bit;
            return (int)(w * 64 + bit);
        }
    }
    return -1;
}

int kstack_alloc(struct kstack *ks, void *owner)
{
    paddr_t pa = buddy_alloc_pages(KSTACK_ORDER);
    unsigned long flags;
    int slot, err = 0;

    if (pa == PADDR_NONE)
        return -ENOMEM;
    flags = spin_lock_irqsave(&kstack_lock);
    slot = take_slot();
    if (slot < 0) {
        err = -ENOMEM;
    } else {
        err = vm_map(&kernel_space, KSTACK_BOTTOM(slot), pa, KSTACK_SIZE, VM_KERNEL_RW, 0);
        if (err) {
            taken[slot / 64] &= ~(1ull << (slot % 64));
            err = -ENOMEM; /* the only way vm_map fails on a free slot: no table page */
        } else {
            owners[slot] = owner;
            count++;
        }
    }
    spin_unlock_irqrestore(&kstack_lock, flags);
    if (err) {
        buddy_free_pages(pa, KSTACK_ORDER);
        return err;
    }
    *ks = (struct kstack){
        .slot = slot,
        .bottom = KSTACK_BOTTOM(slot),
        .top = KSTACK_BOTTOM(slot) + KSTACK_SIZE,
        .pa = pa,
    };
    return 0;
}

void kstack_free(struct kstack *ks)
{
    unsigned long flags = spin_lock_irqsave(&kstack_lock);
    int err = vm_unmap(&kernel_space, ks->bottom, KSTACK_SIZE);

    if (err)
        panic("kstack_free: cannot unmap the stack at 0x%lx: %s", (unsigned long)ks->bottom,
              vm_strerror(err));
    owners[ks->slot] = NULL;
    taken[ks->slot / 64] &= ~(1ull << (ks->slot % 64));
    count--;
    spin_unlock_irqrestore(&kstack_lock, flags);
    buddy_free_pages(ks->pa, KSTACK_ORDER);
    ks->slot = -1;
}

void *kstack_owner(uintptr_t addr)
{
    /* Slot i spans [KSTACK_BOTTOM(i) - KSTACK_GUARD_SIZE, KSTACK_BOTTOM(i) + KSTACK_SIZE). */
    uintptr_t first = KSTACK_BOTTOM(0) - KSTACK_GUARD_SIZE;

    if (addr < first || addr >= KSTACK_END)
        return NULL;
    return owners[(addr - first) / KSTACK_SLOT_SIZE];
}

unsigned kstack_count(void)
{
    return count;
}
