/*
 * ktest suite `clock`: the conversion is exact at its edges, and the clock
 * never goes back and does advance. That it advances at the right rate is
 * tests/test_monitor.py's to check, against the host's own clock.
 */
#include <duet/arch.h>
#include <duet/clock.h>
#include <duet/ktest.h>

static void ticks_convert_exactly(struct ktest *t)
{
    KEXPECT_EQ(t, clock_ticks_to_ns(0, 62500000), 0ull);
    KEXPECT_EQ(t, clock_ticks_to_ns(62500000, 62500000), NSEC_PER_SEC);
    KEXPECT_EQ(t, clock_ticks_to_ns(1, 62500000), 16ull);
    KEXPECT_EQ(t, clock_ticks_to_ns(3, 3), NSEC_PER_SEC);
    KEXPECT_EQ(t, clock_ticks_to_ns(2, 3), 666666666ull);
    /* The largest rate and count: no overflow in the remainder's product. */
    KEXPECT_EQ(t, clock_ticks_to_ns(CLOCK_MAX_HZ - 1, CLOCK_MAX_HZ), 999999999ull);
    KEXPECT_EQ(t, clock_ticks_to_ns(UINT64_MAX, NSEC_PER_SEC), UINT64_MAX);
    KEXPECT_EQ(t, clock_ticks_to_ns(UINT64_MAX, CLOCK_MAX_HZ),
               (UINT64_MAX >> 34) * NSEC_PER_SEC + ((CLOCK_MAX_HZ - 1) * NSEC_PER_SEC >> 34));
}

static void the_rate_is_plausible(struct ktest *t)
{
    u64 hz = arch_counter_hz();

    /* From a 1 MHz counter to a 17 GHz TSC. */
    KEXPECT_TRUE(t, hz >= 1000000 && hz <= CLOCK_MAX_HZ);
}

static void the_clock_never_goes_back_and_advances(struct ktest *t)
{
    u64 first = clock_ns(), last = first, back = 0;

    for (int i = 0; i < 100000 && last - first < 1000000; i++) {
        u64 now = clock_ns();
        back += now < last;
        last = now;
    }
    KEXPECT_EQ(t, back, 0ull);
    KEXPECT_TRUE(t, last > first);
}

static const struct ktest_case clock_cases[] = {
    KTEST_CASE(ticks_convert_exactly),
    KTEST_CASE(the_rate_is_plausible),
    KTEST_CASE(the_clock_never_goes_back_and_advances),
    { 0 },
};
KTEST_SUITE(clock, clock_cases);
