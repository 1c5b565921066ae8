/*
 * Kernel threads, the scheduler and wait queues (kernel/sched.c,
 * docs/processes.md).
 *
 * A thread runs fn(arg) on a kernel stack of its own (KSTACK_SIZE, over
 * an unmapped guard: include/duet/layout.h) until fn returns or it calls
 * thread_exit(); another thread then reaps it with thread_join(), which
 * frees its stack and its struct. kmain's code is the first thread,
 * "boot", on the boot stack; "idle" runs when nothing else can.
 *
 * One CPU, one run queue, round robin: a thread runs until it blocks,
 * yields, or (once the timer calls sched_tick()) uses up its slice of
 * SCHED_SLICE_TICKS ticks. Every piece of scheduler state, the wait
 * queues' included, is guarded by one spinlock that masks interrupts, so
 * an interrupt handler may wake threads.
 */
#ifndef DUET_THREAD_H
#define DUET_THREAD_H

#include <duet/arch.h>
#include <duet/errno.h>
#include <duet/types.h>

#define THREAD_NAME_MAX   16
#define SCHED_SLICE_TICKS 2 /* a thread's turn, in timer ticks (20 ms at 100 Hz) */

enum thread_state {
    THREAD_RUNNABLE, /* on the run queue (or idle, waiting for nothing to do) */
    THREAD_RUNNING,  /* on the CPU */
    THREAD_BLOCKED,  /* on a wait queue or sleeping until a deadline */
    THREAD_DEAD,     /* ended; its stack and struct wait for thread_join() */
};

struct thread;
struct proc;
struct aspace;

/* A FIFO of threads linked through their `next`. */
struct thread_queue {
    struct thread *head, *tail;
};

struct wait_queue {
    struct thread_queue waiters;
    const char *name; /* for `threads` */
};

#define WAIT_QUEUE_INIT(n)                     \
    {                                          \
        .waiters = { NULL, NULL }, .name = (n) \
    }

typedef int thread_fn(void *arg);

struct thread {
    struct arch_context context; /* its saved SP, while another thread runs */
    int id;
    char name[THREAD_NAME_MAX];
    enum thread_state state;
    thread_fn *fn;
    void *arg;
    /* Its stack: [stack_bottom, stack_top), from slot stack_slot of the
     * kernel-stack region (-1: the boot stack, which is never freed). */
    uintptr_t stack_bottom, stack_top;
    int stack_slot;
    paddr_t stack_pa;
    struct thread *next;         /* the run queue or the wait queue it is on */
    const char *waiting_on;      /* while blocked: the wait queue's name, or "sleep" */
    struct thread *next_sleeper; /* sleepers, while it sleeps */
    u64 wake_at_ns;              /* the clock_ns() it sleeps until */
    unsigned slice_left;         /* ticks left in its turn */
    struct thread *next_all;     /* every thread, for `threads` */
    int exit_status;
    struct wait_queue exited; /* its joiner waits here */
    bool joined;
    struct wait_queue *blocked_on; /* while blocked on a wait queue: which */
    /* Set once by thread_interrupt(), never cleared: interruptible waits
     * return -EINTR from then on (a killed process is on its way out). */
    bool interrupted;
    /* A thread that runs a user program: its process and the address
     * space the scheduler switches to when it runs it (NULL: a kernel
     * thread, which runs in whatever user half is loaded). */
    struct proc *proc;
    struct aspace *aspace;
};

/* Make the caller the "boot" thread and create "idle"; kmain calls it once,
 * once kmalloc works. */
void sched_init(void);

/*
 * A new thread, runnable at the back of the run queue, that runs fn(arg)
 * and ends with fn's return value as its exit status. NULL when memory or
 * stack slots ran out, or sched_init() could not make the idle thread (a
 * lab handout whose allocator or page-table walker is still a stub).
 */
struct thread *thread_create(const char *name, thread_fn *fn, void *arg);
/* End the calling thread with `status`. Not for "boot" or "idle". */
__noreturn void thread_exit(int status);
/* Wait until t has ended, free its stack and struct, return its status.
 * Every thread but "boot" and "idle" must be joined, once. */
int thread_join(struct thread *t);
struct thread *thread_current(void);
const char *thread_state_name(enum thread_state state);
/* The thread whose stack, or the guard under it, holds addr; NULL if none
 * (the boot stack is not in the region: lib/fault.c names it itself). */
const struct thread *thread_of_stack(uintptr_t addr);

/* Give the CPU to the next runnable thread, if any; the caller goes to the back. */
void sched_yield(void);
/* Block for at least ns nanoseconds of clock_ns(): 0, or -EINTR when
 * thread_interrupt() came first. */
int thread_sleep_ns(u64 ns);
/*
 * Make t give up waiting: it is marked interrupted and, if it is blocked
 * on a wait queue or sleeping, made runnable. An interruptible wait
 * (wait_event_interruptible, thread_sleep_ns) then returns -EINTR; a
 * plain wait_event re-tests its condition and sleeps again. Safe from
 * interrupt handlers (Ctrl-C).
 */
void thread_interrupt(struct thread *t);

/*
 * The preemption hooks. sched_tick(): the timer's interrupt calls it on
 * every tick, interrupts masked; it wakes the sleepers whose deadline has
 * passed and charges the running thread a tick of its slice, and asks for
 * a switch (need_resched) when the slice is spent or idle has company.
 * sched_preempt_if_needed(): the arch calls it on the way out of every
 * interrupt, from kernel or user mode, after the controller's end of
 * interrupt, interrupts still masked, on the interrupted thread's stack;
 * it switches if a switch was asked for. The interrupted thread resumes
 * its interrupt return when it is next scheduled.
 */
void sched_tick(void);
void sched_preempt_if_needed(void);
/* True when the caller may sleep on a wait queue: threads are on and it
 * is not idle. */
bool sched_can_block(void);

/* --- wait queues --------------------------------------------------------- */
void wait_queue_init(struct wait_queue *wq, const char *name);
/*
 * Sleep on wq until `cond` holds. cond is evaluated with the scheduler's
 * lock held and interrupts masked, before each sleep and after each
 * wake-up, so a wake_up() that follows the change cond tests cannot slip
 * in between the test and the sleep: the waiter is either already on the
 * queue or sees the change. cond must only read memory: no sleeping, no
 * taking the scheduler's lock.
 */
#define wait_event(wq, cond)                              \
    do {                                                  \
        unsigned long wait_flags_ = sched_lock_irqsave(); \
        while (!(cond))                                   \
            wait_queue_sleep_locked(wq);                  \
        sched_unlock_irqrestore(wait_flags_);             \
    } while (0)
/* wait_event, but give up with -EINTR once the thread is interrupted
 * (thread_interrupt); 0 when cond holds. */
#define wait_event_interruptible(wq, cond)                \
    ({                                                    \
        int wait_err_ = 0;                                \
        unsigned long wait_flags_ = sched_lock_irqsave(); \
        while (!(cond)) {                                 \
            if (thread_current()->interrupted) {          \
                wait_err_ = -EINTR;                       \
                break;                                    \
            }                                             \
            wait_queue_sleep_locked(wq);                  \
        }                                                 \
        sched_unlock_irqrestore(wait_flags_);             \
        wait_err_;                                        \
    })
/* Make the longest waiter, or every waiter, runnable. Safe from interrupt handlers. */
void wake_up_one(struct wait_queue *wq);
void wake_up_all(struct wait_queue *wq);

/* For wait_event: the scheduler's lock, and one sleep on wq under it. */
unsigned long sched_lock_irqsave(void);
void sched_unlock_irqrestore(unsigned long flags);
void wait_queue_sleep_locked(struct wait_queue *wq);

#endif
