/*
 * The periodic tick (kernel/timer.c): TIMER_HZ interrupts a second from the
 * arch's one-shot timer, each armed for the next multiple of the period on
 * the monotonic clock, so that late ticks do not make the tick drift.
 */
#ifndef DUET_TIMER_H
#define DUET_TIMER_H

#include <duet/types.h>

#define TIMER_HZ        100u
#define TIMER_PERIOD_NS (1000000000ull / TIMER_HZ)

/* Start the tick; kmain calls it once, after irq_init(). false when the
 * machine has no timer interrupt (then nothing is ever preempted). */
bool timer_init(void);
/* Ticks taken since timer_init(). */
u64 timer_ticks(void);
/* True once the tick runs (false on a machine without a timer interrupt). */
bool timer_ticking(void);

#endif
