/*
 * Kernel threads, the round-robin scheduler and wait queues
 * (include/duet/thread.h, docs/processes.md).
 *
 * Everything here is guarded by sched_lock, which masks interrupts. A
 * switch happens only in schedule(), with that lock held: the thread
 * that switches away takes the lock, and whichever thread runs next
 * releases it, on its way out of its own schedule() call or, for a new
 * thread, in thread_start(). Each thread's interrupt mask travels in its
 * own `flags` variable, so the lock hands over cleanly.
 *
 * A thread is on at most one queue: the run queue while runnable, one
 * wait queue while blocked on it (both through `next`), or the sleepers'
 * list while blocked until a deadline (through `next_sleeper`). The
 * running thread and idle are on none.
 */
#include <arch/layout.h>
#include <duet/arch.h>
#include <duet/clock.h>
#include <duet/errno.h>
#include <duet/monitor.h>
#include <duet/panic.h>
#include <duet/printk.h>
#include <duet/sections.h>
#include <duet/spinlock.h>
#include <duet/string.h>
#include <duet/thread.h>
#include <duet/timer.h>
#include <kernel/kstack.h>
#include <mm/aspace.h>
#include <mm/kmalloc.h>

static struct spinlock sched_lock = SPINLOCK_INIT("sched");

/* kmain's code, on the boot stack: the current thread from the start. */
static struct thread boot_thread = {
    .name = "boot",
    .state = THREAD_RUNNING,
    .slice_left = SCHED_SLICE_TICKS,
    .stack_slot = -1,
    .exited = WAIT_QUEUE_INIT("exit"),
};
static struct thread *current = &boot_thread;
static struct thread *idle_thread;
static struct thread_queue run_queue;
static struct thread *sleepers;
static struct thread *all_threads = &boot_thread;
static int next_id = 1;
/* Set by sched_tick() or a wake-up seen by idle; cleared by every switch. */
static bool need_resched;

const char *thread_state_name(enum thread_state state)
{
    switch (state) {
    case THREAD_RUNNABLE: return "runnable";
    case THREAD_RUNNING: return "running";
    case THREAD_BLOCKED: return "blocked";
    case THREAD_DEAD: return "dead";
    }
    return "?";
}

struct thread *thread_current(void)
{
    return current;
}

unsigned long sched_lock_irqsave(void)
{
    return spin_lock_irqsave(&sched_lock);
}

void sched_unlock_irqrestore(unsigned long flags)
{
    spin_unlock_irqrestore(&sched_lock, flags);
}

/* --- queues ---------------------------------------------------------------------------- */

static void queue_push(struct thread_queue *q, struct thread *t)
{
    t->next = NULL;
    if (q->tail)
        q->tail->next = t;
    else
        q->head = t;
    q->tail = t;
}

static struct thread *queue_pop(struct thread_queue *q)
{
    struct thread *t = q->head;

    if (t) {
        q->head = t->next;
        if (!q->head)
            q->tail = NULL;
        t->next = NULL;
    }
    return t;
}

/* Lock held: t leaves whatever blocked it and joins the back of the run queue. */
static void make_runnable(struct thread *t)
{
    t->state = THREAD_RUNNABLE;
    t->waiting_on = NULL;
    t->blocked_on = NULL;
    queue_push(&run_queue, t);
    /* Idle gives way at the next chance: an interrupt's way out, or its loop. */
    if (current == idle_thread)
        need_resched = true;
}

/*
 * Lock held, interrupts masked: run the thread at the head of the run
 * queue, or idle when it is empty. The caller has set its own state:
 * still RUNNING means it goes to the back of the queue (a yield);
 * BLOCKED or DEAD keeps it off. Returns when the caller is chosen again.
 */
static void schedule(void)
{
    struct thread *prev = current, *next;

    if (!idle_thread)
        panic("schedule: %s gave up the CPU before sched_init()", prev->name);
    if (prev->state == THREAD_RUNNING) {
        prev->state = THREAD_RUNNABLE;
        if (prev != idle_thread)
            queue_push(&run_queue, prev);
    }
    next = queue_pop(&run_queue);
    if (!next)
        next = idle_thread;
    next->state = THREAD_RUNNING;
    next->slice_left = SCHED_SLICE_TICKS;
    need_resched = false;
    if (next == prev)
        return;
    current = next;
    /* A process's thread runs in its own address space, and enters the
     * kernel from user mode on its own stack. A kernel thread keeps the
     * user half that is loaded: it never touches it. */
    if (next->aspace && next->aspace != aspace_current())
        aspace_switch(next->aspace);
    arch_set_kernel_stack(next->stack_top);
    arch_context_switch(&prev->context, &next->context);
}

/* --- sleeping ---------------------------------------------------------------------------- */

/* Lock held: every sleeper whose deadline is not after `now` becomes runnable. */
/* The sleepers are kept in deadline order: a tick that finds several due
 * (ticks are 10 ms apart, and a busy host delays them) makes them runnable
 * earliest first, and stops at the first that is not due. */
static void wake_sleepers(u64 now)
{
    while (sleepers && sleepers->wake_at_ns <= now) {
        struct thread *t = sleepers;
        sleepers = t->next_sleeper;
        t->next_sleeper = NULL;
        make_runnable(t);
    }
}

static void add_sleeper(struct thread *t)
{
    struct thread **link = &sleepers;

    /* After those due no later: equal deadlines wake in the order they slept. */
    while (*link && (*link)->wake_at_ns <= t->wake_at_ns)
        link = &(*link)->next_sleeper;
    t->next_sleeper = *link;
    *link = t;
}

static void remove_sleeper(struct thread *t)
{
    struct thread **link = &sleepers;

    while (*link && *link != t)
        link = &(*link)->next_sleeper;
    if (*link)
        *link = t->next_sleeper;
    t->next_sleeper = NULL;
}

int thread_sleep_ns(u64 ns)
{
    u64 deadline = clock_ns() + ns;
    unsigned long flags = spin_lock_irqsave(&sched_lock);
    int err = 0;

    /* wake_sleepers() makes a sleeper runnable once its deadline has
     * passed, thread_interrupt() at any time; the loop is the contract. */
    while (clock_ns() < deadline) {
        if (current->interrupted) {
            err = -EINTR;
            break;
        }
        current->wake_at_ns = deadline;
        current->waiting_on = "sleep";
        add_sleeper(current);
        current->state = THREAD_BLOCKED;
        schedule();
    }
    spin_unlock_irqrestore(&sched_lock, flags);
    return err;
}

/* Lock held: take t off the wait queue it is on. */
static void queue_remove(struct thread_queue *q, struct thread *t)
{
    struct thread *prev = NULL;

    for (struct thread *i = q->head; i; prev = i, i = i->next) {
        if (i != t)
            continue;
        if (prev)
            prev->next = t->next;
        else
            q->head = t->next;
        if (q->tail == t)
            q->tail = prev;
        t->next = NULL;
        return;
    }
}

void thread_interrupt(struct thread *t)
{
    unsigned long flags = spin_lock_irqsave(&sched_lock);

    t->interrupted = true;
    if (t->state == THREAD_BLOCKED) {
        if (t->blocked_on)
            queue_remove(&t->blocked_on->waiters, t);
        else
            remove_sleeper(t);
        make_runnable(t);
    }
    spin_unlock_irqrestore(&sched_lock, flags);
}

/* --- yielding and preemption -------------------------------------------------------------- */

void sched_yield(void)
{
    unsigned long flags = spin_lock_irqsave(&sched_lock);

    if (idle_thread)
        schedule();
    spin_unlock_irqrestore(&sched_lock, flags);
}

void sched_tick(void)
{
    unsigned long flags = spin_lock_irqsave(&sched_lock);

    if (sleepers)
        wake_sleepers(clock_ns());
    if (current == idle_thread) {
        if (run_queue.head)
            need_resched = true;
    } else if (current->slice_left > 0 && --current->slice_left == 0) {
        need_resched = true;
    }
    spin_unlock_irqrestore(&sched_lock, flags);
}

bool sched_can_block(void)
{
    return idle_thread && current != idle_thread;
}

void sched_preempt_if_needed(void)
{
    if (READ_ONCE(need_resched))
        sched_yield();
}

/*
 * The idle thread: runs when the run queue is empty, and waits for an
 * interrupt: the tick (kernel/timer.c calls sched_tick(), which wakes the
 * sleepers whose time has come) or a device's handler waking a thread. On
 * a machine without a tick (a lab handout whose page tables cannot map
 * the controller) nothing would wake sleepers, so while there are any
 * idle polls the clock instead, on the same path (wake_sleepers).
 */
static int idle_loop(void *arg)
{
    for (;;) {
        unsigned long flags = arch_irq_save();
        bool polling;

        spin_lock(&sched_lock);
        if (!run_queue.head && sleepers)
            wake_sleepers(clock_ns());
        if (run_queue.head) {
            schedule();
            spin_unlock(&sched_lock);
            arch_irq_restore(flags);
            continue;
        }
        /* Without a tick nothing else wakes the sleepers: poll for them. */
        polling = sleepers != NULL && !timer_ticking();
        /* Unlock but stay masked: an interrupt that comes now stays
         * pending, and the wait below returns at once for it. */
        spin_unlock(&sched_lock);
        if (polling)
            arch_cpu_relax();
        else
            arch_wait_for_interrupt();
        arch_irq_restore(flags);
    }
    return 0;
}

/* --- threads ------------------------------------------------------------------------------ */

/*
 * Where every new thread begins (arch_context_init): the thread that
 * switched to it holds sched_lock, with interrupts masked; release the
 * lock for it, and let interrupts in as every thread runs.
 */
static __noreturn void thread_start(void *arg)
{
    struct thread *self = arg;

    spin_unlock(&sched_lock);
    arch_irq_enable();
    thread_exit(self->fn(self->arg));
}

static struct thread *thread_alloc(const char *name, thread_fn *fn, void *arg)
{
    struct thread *t = kzalloc(sizeof(*t));
    struct kstack ks;

    if (!t)
        return NULL;
    if (kstack_alloc(&ks, t)) {
        kfree(t);
        return NULL;
    }
    strlcpy(t->name, name, sizeof(t->name));
    t->fn = fn;
    t->arg = arg;
    t->stack_slot = ks.slot;
    t->stack_bottom = ks.bottom;
    t->stack_top = ks.top;
    t->stack_pa = ks.pa;
    wait_queue_init(&t->exited, "exit");
    /* Below the top's user frame, which a thread that runs a user
     * program keeps there (include/duet/arch.h); fork writes it before
     * the new thread first runs. */
    arch_context_init(&t->context, t->stack_top - ARCH_USER_FRAME_SIZE, thread_start, t);
    return t;
}

/* Lock held: t joins the end of the list `threads` prints. */
static void list_add(struct thread *t)
{
    struct thread **link = &all_threads;

    while (*link)
        link = &(*link)->next_all;
    t->id = next_id++;
    *link = t;
}

static void list_remove(struct thread *t)
{
    struct thread **link = &all_threads;

    while (*link != t)
        link = &(*link)->next_all;
    *link = t->next_all;
}

struct thread *thread_create(const char *name, thread_fn *fn, void *arg)
{
    struct thread *t;
    unsigned long flags;

    if (!idle_thread)
        return NULL; /* sched_init() found no memory: threads are off */
    t = thread_alloc(name, fn, arg);
    if (!t)
        return NULL;
    flags = spin_lock_irqsave(&sched_lock);
    list_add(t);
    make_runnable(t);
    spin_unlock_irqrestore(&sched_lock, flags);
    return t;
}

void thread_exit(int status)
{
    struct thread *self = current;

    if (self == &boot_thread || self == idle_thread)
        panic("thread_exit: %s may not exit", self->name);
    (void)spin_lock_irqsave(&sched_lock); /* never restored: this thread never runs again */
    self->exit_status = status;
    self->state = THREAD_DEAD;
    while (self->exited.waiters.head)
        make_runnable(queue_pop(&self->exited.waiters));
    schedule();
    panic("thread_exit: %s ran again after it died", self->name);
}

int thread_join(struct thread *t)
{
    struct kstack ks = {
        .slot = t->stack_slot, .bottom = t->stack_bottom, .top = t->stack_top, .pa = t->stack_pa
    };
    unsigned long flags;
    int status;

    if (t == current || t == &boot_thread || t == idle_thread || t->joined)
        panic("thread_join: %s cannot join %s (id %d)", current->name, t->name, t->id);
    t->joined = true;
    wait_event(&t->exited, t->state == THREAD_DEAD);
    /* DEAD is set under the lock in the same breath as its last switch, so
     * t is off its stack by now: on one CPU nothing can still be running there. */
    flags = spin_lock_irqsave(&sched_lock);
    list_remove(t);
    spin_unlock_irqrestore(&sched_lock, flags);
    status = t->exit_status;
    kstack_free(&ks);
    kfree(t);
    return status;
}

const struct thread *thread_of_stack(uintptr_t addr)
{
    return kstack_owner(addr);
}

void sched_init(void)
{
    boot_thread.stack_bottom = (uintptr_t)__boot_stack_bottom;
    boot_thread.stack_top = (uintptr_t)__boot_stack_top;
    idle_thread = thread_alloc("idle", idle_loop, NULL);
    if (!idle_thread) {
        /* A lab handout whose allocator or walker is still a stub: the
         * boot thread runs on alone, and thread_create() says no. */
        printf("sched: no stack for the idle thread: kernel threads are off\n");
        return;
    }
    idle_thread->state = THREAD_RUNNABLE; /* never on the run queue: schedule() falls back to it */
    list_add(idle_thread);
}

/* --- wait queues -------------------------------------------------------------------------- */

void wait_queue_init(struct wait_queue *wq, const char *name)
{
    *wq = (struct wait_queue)WAIT_QUEUE_INIT(name);
}

void wait_queue_sleep_locked(struct wait_queue *wq)
{
    if (current == idle_thread)
        panic("wait_event: idle may not sleep (on %s)", wq->name);
    current->state = THREAD_BLOCKED;
    current->waiting_on = wq->name;
    current->blocked_on = wq;
    queue_push(&wq->waiters, current);
    schedule();
}

void wake_up_one(struct wait_queue *wq)
{
    unsigned long flags = spin_lock_irqsave(&sched_lock);
    struct thread *t = queue_pop(&wq->waiters);

    if (t)
        make_runnable(t);
    spin_unlock_irqrestore(&sched_lock, flags);
}

void wake_up_all(struct wait_queue *wq)
{
    unsigned long flags = spin_lock_irqsave(&sched_lock);

    while (wq->waiters.head)
        make_runnable(queue_pop(&wq->waiters));
    spin_unlock_irqrestore(&sched_lock, flags);
}

/* --- the monitor's `threads` ----------------------------------------------------------------- */

static int cmd_threads(int argc, char **argv)
{
    unsigned long flags = spin_lock_irqsave(&sched_lock);

    printf("  %4s  %-16s %-9s %-37s  %s\n", "id", "name", "state", "stack", "waiting on");
    for (const struct thread *t = all_threads; t; t = t->next_all)
        printf("  %4d  %-16s %-9s 0x%016lx-0x%016lx  %s\n", t->id, t->name,
               thread_state_name(t->state), (unsigned long)t->stack_bottom,
               (unsigned long)t->stack_top, t->waiting_on ? t->waiting_on : "");
    spin_unlock_irqrestore(&sched_lock, flags);
    return 0;
}
MONITOR_COMMAND(threads, "list the kernel threads: name, state, stack", cmd_threads);
