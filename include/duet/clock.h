/*
 * The monotonic clock: nanoseconds since clock_init(), from the arch's
 * counter (include/duet/arch.h). No interrupts are needed to read it.
 */
#ifndef DUET_CLOCK_H
#define DUET_CLOCK_H

#include <duet/types.h>

#define NSEC_PER_SEC 1000000000ull

/* Take the counter's rate and the time zero; kmain calls it once. */
void clock_init(void);
/* Nanoseconds since clock_init(); never goes back. */
u64 clock_ns(void);
/* ticks of a counter running at hz, in nanoseconds, rounded down; exact for
 * every tick count when hz <= CLOCK_MAX_HZ. */
u64 clock_ticks_to_ns(u64 ticks, u64 hz);
#define CLOCK_MAX_HZ (1ull << 34) /* 17 GHz: (hz - 1) * NSEC_PER_SEC fits in 64 bits */

#endif
