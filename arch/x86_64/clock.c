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
#include <duet/printk.h>
#include <arch/x86.h>

#define PIT_HZ            1193182u
#define PIT_CH2           0x42
#define PIT_MODE          0x43
#define PIT_CH2_ONE_SHOT  0xb0 /* channel 2, low then high byte, mode 0, binary */
#define PORT_B            0x61
#define PORT_B_GATE2      0x01
#define PORT_B_SPEAKER    0x02
#define PORT_B_OUT2       0x20
#define CALIBRATION_MS    2
#define CALIBRATION_RUNS  3
#define CALIBRATION_TICKS (PIT_HZ * CALIBRATION_MS / 1000)

static u64 tsc_hz;

u64 arch_counter(void)
{
    u32 lo, hi;

    /* LFENCE first: RDTSC may otherwise run before earlier instructions
     * finish (SDM Vol. 2B, RDTSC). */
    __asm__ volatile("lfence; rdtsc" : "=a"(lo), "=d"(hi) : : "memory");
    return (u64)hi << 32 | lo;
}

/* TSC ticks while the PIT counts CALIBRATION_TICKS down in mode 0: its
 * output goes high when the count reaches zero. The TSC is read before the
 * gate opens and after the output is seen high, so a host that stops this
 * vCPU anywhere in between can only make the count too large. */
static u64 tsc_ticks_of_one_pit_count(void)
{
    u8 b = inb(PORT_B);
    u64 start;

    outb(PORT_B, (u8)((b & ~PORT_B_SPEAKER) & ~PORT_B_GATE2));
    outb(PIT_MODE, PIT_CH2_ONE_SHOT);
    outb(PIT_CH2, CALIBRATION_TICKS & 0xff);
    outb(PIT_CH2, CALIBRATION_TICKS >> 8);
    start = arch_counter();
    outb(PORT_B, (u8)((b & ~PORT_B_SPEAKER) | PORT_B_GATE2)); /* the count starts */
    while (!(inb(PORT_B) & PORT_B_OUT2))
        arch_cpu_relax();
    return arch_counter() - start;
}

u64 arch_counter_hz(void)
{
    if (!tsc_hz) {
        /* The least of several: a run the host interrupted only gets longer. */
        u64 best = UINT64_MAX;
        for (int i = 0; i < CALIBRATION_RUNS; i++) {
            u64 t = tsc_ticks_of_one_pit_count();
            best = t < best ? t : best;
        }
        tsc_hz = best * 1000 / CALIBRATION_MS;
    }
    return tsc_hz;
}
