/*
 * The local APIC timer in one-shot mode (SDM Vol. 3A, "APIC Timer"): it
 * counts the initial count down at the bus clock over the divider and
 * interrupts once at zero. Its rate is not architectural, so it is
 * measured at boot against the TSC, the clock's counter (clock.c).
 *
 * One-shot rather than TSC-deadline mode (CPUID.1:ECX[24]): QEMU's TCG
 * offers no TSC-deadline timer on its default CPUs, and one mode that
 * works everywhere is one to test. arch_timer_arm must never fire early,
 * so every conversion rounds up and the calibration's errors (a vCPU
 * stopped while it measures) can only make the rate look higher, that is
 * the timer later.
 */
#include <duet/arch.h>
#include <duet/printk.h>
#include "apic.h"

#define LVT_ONE_SHOT     (0u << 17)
#define MAX_COUNT        0xffffffffull
#define NS_PER_S         1000000000ull
#define CALIBRATION_US   500
#define CALIBRATION_RUNS 3
/* Longer armings are cut to this and re-armed when the interrupt comes. */
#define MAX_ARM_NS       (1000 * NS_PER_S)

/* Divide configuration values for divide by 1, 2, 4 .. 128 (the register's
 * bits 3, 1, 0; "Divide Configuration Register"). */
static const u8 divide_code[8] = { 0xb, 0x0, 0x1, 0x2, 0x3, 0x8, 0x9, 0xa };

static u64 apic_hz; /* at divide by 1 */
static u8 vector;
/* An arming too long for one count: the TSC value it is for. */
static bool long_arm;
static u64 long_deadline;

/* APIC ticks while the TSC advances by CALIBRATION_US, scaled to a second.
 * The TSC is read after the count starts and before it is read back, so a
 * host that stops this vCPU in between adds ticks, never removes them. */
static u64 measure_once(void)
{
    u64 tsc_hz = arch_counter_hz();
    u64 span = tsc_hz * CALIBRATION_US / 1000000;
    u64 start, end;
    u32 left;

    lapic_write(LAPIC_TIMER_DCR, divide_code[0]);
    lapic_write(LAPIC_TIMER_ICR, (u32)MAX_COUNT);
    start = arch_counter();
    do
        end = arch_counter();
    while (end - start < span);
    left = lapic_read(LAPIC_TIMER_CCR);
    lapic_write(LAPIC_TIMER_ICR, 0); /* stop it */
    return (MAX_COUNT - left) * tsc_hz / (end - start);
}

void apic_timer_init(u8 v)
{
    u64 best = UINT64_MAX;

    vector = v;
    lapic_write(LAPIC_LVT_TIMER, LVT_MASKED | LVT_ONE_SHOT | vector);
    /* The least of a few: a run the host interrupted only counts more. */
    for (int i = 0; i < CALIBRATION_RUNS; i++) {
        u64 hz = measure_once();
        best = hz < best ? hz : best;
    }
    apic_hz = best ? best : 1;
    printf("timer: local APIC at %llu MHz (one-shot, calibrated against the TSC)\n",
           (unsigned long long)(apic_hz + 500000) / 1000000);
}

void apic_timer_set_masked(bool m)
{
    lapic_write(LAPIC_LVT_TIMER, (m ? LVT_MASKED : 0) | LVT_ONE_SHOT | vector);
}

/* APIC ticks at divide by 1 in ns, rounded up: whole seconds and the rest
 * apart so that nothing overflows for ns <= MAX_ARM_NS. */
static u64 ticks_of(u64 ns)
{
    return ns / NS_PER_S * apic_hz + ((ns % NS_PER_S) * apic_hz + NS_PER_S - 1) / NS_PER_S;
}

static void arm_ticks(u64 ticks)
{
    unsigned d = 0;

    /* The smallest divider whose count fits, rounding the count up. */
    while (d < 7 && ((ticks + (1ull << d) - 1) >> d) > MAX_COUNT)
        d++;
    ticks = (ticks + (1ull << d) - 1) >> d;
    if (ticks > MAX_COUNT)
        ticks = MAX_COUNT;
    if (ticks == 0)
        ticks = 1; /* 0 would stop the timer */
    lapic_write(LAPIC_TIMER_DCR, divide_code[d]);
    lapic_write(LAPIC_TIMER_ICR, (u32)ticks);
}

void arch_timer_arm(u64 ns)
{
    u64 ticks;

    long_arm = ns > MAX_ARM_NS || ticks_of(ns) > (MAX_COUNT << 7);
    if (long_arm) {
        u64 now = arch_counter();
        u64 tsc = ns / NS_PER_S * arch_counter_hz() +
                  ((ns % NS_PER_S) * arch_counter_hz() + NS_PER_S - 1) / NS_PER_S;
        long_deadline = tsc > UINT64_MAX - now ? UINT64_MAX : now + tsc;
        ticks = MAX_COUNT << 7;
    } else {
        ticks = ticks_of(ns);
    }
    arm_ticks(ticks);
}

void arch_timer_disarm(void)
{
    long_arm = false;
    lapic_write(LAPIC_TIMER_ICR, 0);
}

bool apic_timer_expired(void)
{
    u64 now, left;

    if (!long_arm)
        return true;
    now = arch_counter();
    if (now >= long_deadline) {
        long_arm = false;
        return true;
    }
    left = long_deadline - now;
    /* TSC ticks left, as ns rounded up, armed again (perhaps in steps). */
    arch_timer_arm(left / arch_counter_hz() * NS_PER_S +
                   ((left % arch_counter_hz()) * NS_PER_S + arch_counter_hz() - 1) /
                       arch_counter_hz());
    return false;
}
