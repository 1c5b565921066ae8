/*
 * The TSC as the clock. Its rate is not architectural: CPUID leaf 0x15
 * gives it on recent Intel CPUs, and nothing does on QEMU's qemu64, so it
 * is measured once against the PIT's channel 2, whose input clock is
 * 1.193182 MHz on every PC (Intel 8254 data sheet; the channel's gate and
 * output are bits 0 and 5 of port 0x61). With the CPUID "invariant TSC"
 * bit (leaf 0x80000007, EDX bit 8) the rate does not change with power
 * states (SDM Vol. 3B 18.17.1); QEMU's TSC follows its virtual clock.
 */
#include <duet/arch.h>
#include <duet/panic.h>
#include <duet/printk.h>
#include <arch/x86.h>

#define PIT_HZ            1193182u
#define PIT_CH2           0x42
#define PIT_MODE          0x43
#define PIT_CH2_ONE_SHOT  0xb0 /* channel 2, low then high byte, mode 0, binary */
#define PIT_CH2_LATCH     0x80 /* channel 2, counter latch command */
#define PORT_B            0x61
#define PORT_B_GATE2      0x01
#define PORT_B_SPEAKER    0x02
#define PORT_B_OUT2       0x20 /* channel 2's output: high from its terminal count on */
#define CALIBRATION_MS    5
#define CALIBRATION_TICKS (PIT_HZ * CALIBRATION_MS / 1000)
#define READ_TRIES        4    /* readings of each end, the tightest kept */
#define MAX_RUNS          20   /* runs until one is tight enough */
#define TOLERANCE         2000 /* a run's error bound: at most 1/TOLERANCE of it */

static u64 tsc_hz;

u64 arch_counter(void)
{
    u32 lo, hi;

    /* LFENCE first: RDTSC may otherwise run before earlier instructions
     * finish (SDM Vol. 2B, RDTSC). */
    __asm__ volatile("lfence; rdtsc" : "=a"(lo), "=d"(hi) : : "memory");
    return (u64)hi << 32 | lo;
}

/* One reading of channel 2's count, bracketed by the TSC: the count was
 * latched somewhere in [*before, *after]. The tightest of READ_TRIES. */
struct pit_reading {
    u64 before, after;
    u16 count;
};

static struct pit_reading read_pit(void)
{
    struct pit_reading best = { 0, UINT64_MAX, 0 };

    for (int i = 0; i < READ_TRIES; i++) {
        struct pit_reading r;
        r.before = arch_counter();
        outb(PIT_MODE, PIT_CH2_LATCH);
        r.count = inb(PIT_CH2);
        r.count |= (u16)(inb(PIT_CH2) << 8);
        r.after = arch_counter();
        if (r.after - r.before < best.after - best.before)
            best = r;
    }
    return best;
}

/*
 * The TSC's rate from one run: the PIT counts down from 0xffff, read at
 * the start and again once CALIBRATION_TICKS have passed. Each reading is
 * bracketed by two TSC reads, so the run knows its own error: the two
 * brackets' half-widths. A run the host interrupted at a reading has a
 * wide bracket and is refused, rather than trusted because it was the
 * shortest (a delay while polling the PIT's output, the old way, made the
 * rate 13% high on a loaded machine). 0 when the run was not tight.
 */
static u64 tsc_hz_of_one_run(void)
{
    u8 b = inb(PORT_B);

    outb(PORT_B, (u8)((b & ~PORT_B_SPEAKER) & ~PORT_B_GATE2));
    outb(PIT_MODE, PIT_CH2_ONE_SHOT);
    outb(PIT_CH2, 0xff);
    outb(PIT_CH2, 0xff);
    outb(PORT_B, (u8)((b & ~PORT_B_SPEAKER) | PORT_B_GATE2)); /* the count starts */

    struct pit_reading start = read_pit(), end;
    do
        end = read_pit();
    while ((u16)(start.count - end.count) < CALIBRATION_TICKS);

    /* In mode 0 the output goes high at the terminal count and stays high,
     * the count running on past 0 (8254 data sheet, "Mode 0"). A host that
     * stopped the guest for 55 ms between two readings let the 16-bit
     * count wrap, and the difference counted a few ticks for a wrap's
     * worth of TSC: CI once read 22 GHz for 2.6. Such a run is refused. */
    if (inb(PORT_B) & PORT_B_OUT2)
        return 0;
    u64 pit_ticks = (u16)(start.count - end.count);
    u64 tsc = (end.before + end.after) / 2 - (start.before + start.after) / 2;
    u64 error = (start.after - start.before + end.after - end.before) / 2;
    if (error * TOLERANCE > tsc)
        return 0;
    return tsc * PIT_HZ / pit_ticks;
}

u64 arch_counter_hz(void)
{
    for (int i = 0; i < MAX_RUNS && !tsc_hz; i++)
        tsc_hz = tsc_hz_of_one_run();
    if (!tsc_hz)
        panic("clock: no calibration of the TSC against the PIT was tight to 1/%d in %d runs",
              TOLERANCE, MAX_RUNS);
    return tsc_hz;
}
