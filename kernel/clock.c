/*
 * The monotonic clock (include/duet/clock.h) and the monitor's `uptime`.
 */
#include <duet/arch.h>
#include <duet/clock.h>
#include <duet/monitor.h>
#include <duet/panic.h>
#include <duet/printk.h>

static u64 zero_count, counter_hz;

u64 clock_ticks_to_ns(u64 ticks, u64 hz)
{
    /* Whole seconds first, then the rest: the product of the remainder,
     * below hz, and NSEC_PER_SEC stays under 2^64 while hz <= 2^34.
     * (A 128-bit division would need libgcc, which the kernel lacks.) */
    return ticks / hz * NSEC_PER_SEC + ticks % hz * NSEC_PER_SEC / hz;
}

void clock_init(void)
{
    counter_hz = arch_counter_hz();
    if (counter_hz == 0 || counter_hz > CLOCK_MAX_HZ)
        panic("clock: the counter's rate %llu Hz is not in 1..%llu", (unsigned long long)counter_hz,
              (unsigned long long)CLOCK_MAX_HZ);
    zero_count = arch_counter();
    printf("clock: counter at %llu.%03llu MHz\n", (unsigned long long)(counter_hz / 1000000),
           (unsigned long long)(counter_hz / 1000 % 1000));
}

u64 clock_ns(void)
{
    return clock_ticks_to_ns(arch_counter() - zero_count, counter_hz);
}

static int cmd_uptime(int argc, char **argv)
{
    u64 ns = clock_ns();

    printf("up %llu.%06llu s\n", (unsigned long long)(ns / NSEC_PER_SEC),
           (unsigned long long)(ns % NSEC_PER_SEC / 1000));
    return 0;
}
MONITOR_COMMAND(uptime, "seconds since boot (the monotonic clock)", cmd_uptime);
