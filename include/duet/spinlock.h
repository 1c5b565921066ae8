/*
 * Spinlocks that also mask interrupts on this CPU while held, so an
 * interrupt handler can never spin on a lock its own CPU holds. Duet runs
 * on one CPU with interrupts masked today; the locks mark what must stay
 * serialised when that changes (an address space's page tables, first).
 */
#ifndef DUET_SPINLOCK_H
#define DUET_SPINLOCK_H

#include <duet/arch.h>
#include <duet/types.h>

struct spinlock {
    u32 locked;
    const char *name; /* for the panic when it is misused */
};

#define SPINLOCK_INIT(n)         \
    {                            \
        .locked = 0, .name = (n) \
    }

/*
 * spin_lock / spin_unlock leave the interrupt mask alone: for a caller
 * that has masked interrupts itself and must keep them masked after the
 * unlock (the idle loop, between its last look at the run queue and
 * arch_wait_for_interrupt()), or a new thread releasing the lock the
 * thread before it took (kernel/sched.c).
 */
static inline void spin_lock(struct spinlock *l)
{
    while (__atomic_exchange_n(&l->locked, 1, __ATOMIC_ACQUIRE))
        arch_cpu_relax();
}

static inline void spin_unlock(struct spinlock *l)
{
    __atomic_store_n(&l->locked, 0, __ATOMIC_RELEASE);
}

static inline unsigned long spin_lock_irqsave(struct spinlock *l)
{
    unsigned long flags = arch_irq_save();

    spin_lock(l);
    return flags;
}

static inline void spin_unlock_irqrestore(struct spinlock *l, unsigned long flags)
{
    spin_unlock(l);
    arch_irq_restore(flags);
}

static inline bool spin_is_locked(const struct spinlock *l)
{
    return __atomic_load_n(&l->locked, __ATOMIC_RELAXED) != 0;
}

#endif
