/*
 * The periodic tick (include/duet/timer.h) on the arch's one-shot timer.
 */
#include <duet/arch.h>
#include <duet/clock.h>
#include <duet/irq.h>
#include <duet/printk.h>
#include <duet/thread.h>
#include <duet/timer.h>

static u64 ticks;
static bool ticking;
static u64 next_tick_ns; /* the deadline the timer is armed for */

/* Arm for the first multiple of the period after now: a tick that came
 * late (the guest was not scheduled, or interrupts were masked) is not
 * made up for, and the next is not pushed back. */
static void arm_next(void)
{
    u64 now = clock_ns();

    next_tick_ns += TIMER_PERIOD_NS;
    if (next_tick_ns <= now)
        next_tick_ns = now - now % TIMER_PERIOD_NS + TIMER_PERIOD_NS;
    arch_timer_arm(next_tick_ns - now);
}

static void timer_interrupt(unsigned line, void *arg)
{
    u64 now = clock_ns();

    /* An early interrupt (a timer that rounds down) is not a tick. One
     * reading of the clock: a second one could be past the deadline, and
     * the difference would wrap to centuries. */
    if (now < next_tick_ns) {
        arch_timer_arm(next_tick_ns - now);
        return;
    }
    ticks++;
    arm_next();
    /* The scheduler's turn: wake sleepers whose time has come, charge the
     * running thread's slice (include/duet/thread.h). */
    sched_tick();
}

bool timer_init(void)
{
    int err = irq_register(arch_timer_line(), "timer", timer_interrupt, NULL);

    if (err) {
        printf("timer: no timer interrupt (%d): nothing is preempted\n", err);
        return false;
    }
    next_tick_ns = clock_ns();
    ticking = true;
    arm_next();
    printf("timer: %u Hz tick\n", TIMER_HZ);
    return true;
}

u64 timer_ticks(void)
{
    return __atomic_load_n(&ticks, __ATOMIC_RELAXED);
}

bool timer_ticking(void)
{
    return ticking;
}
