/*
 * ktest suite `devices` (x86_64): real device registers read through
 * ioremap. The local APIC's registers are at 0xFEE00000 after reset (SDM
 * Vol. 3A 11.4.1, IA32_APIC_BASE); its version register (offset 0x30)
 * holds 0x10..0x15 in its low byte for an integrated APIC (11.4.8). In
 * x2APIC mode that page no longer answers (the registers are MSRs,
 * "x2APIC Register Address Space"), so the I/O APIC at 0xFEC00000 is read
 * too, in both modes: its version register (index 1 through IOREGSEL at 0
 * and IOWIN at 0x10) gives the number of inputs less one in bits 23:16
 * (82093AA data sheet, 3.2.2): a PC has at least the 16 ISA ones.
 */
#include <duet/ktest.h>
#include <mm/ioremap.h>
#include "apic.h"

#define LAPIC_PHYS  0xfee00000ULL
#define IOAPIC_PHYS 0xfec00000ULL

static void the_local_apic_version_reads_back(struct ktest *t)
{
    volatile u32 *lapic;

    if (lapic_is_x2apic()) {
        ktest_skip(t, "the local APIC is in x2APIC mode: no MMIO");
        return;
    }
    lapic = ioremap(LAPIC_PHYS, 0x400);
    KASSERT_TRUE(t, lapic != NULL);
    u32 version = lapic[LAPIC_VERSION / 4] & 0xff;
    KEXPECT_GE(t, version, 0x10u);
    KEXPECT_LE(t, version, 0x15u);
}

static void the_io_apic_counts_its_inputs(struct ktest *t)
{
    volatile u32 *ioapic = ioremap(IOAPIC_PHYS, 0x20);
    u32 inputs;

    KASSERT_TRUE(t, ioapic != NULL);
    ioapic[0] = 1; /* IOREGSEL: the version register */
    inputs = ((ioapic[0x10 / 4] >> 16) & 0xff) + 1;
    KEXPECT_GE(t, inputs, 16u);
    KEXPECT_LE(t, inputs, 240u);
}

static const struct ktest_case devices_cases[] = {
    KTEST_CASE(the_local_apic_version_reads_back),
    KTEST_CASE(the_io_apic_counts_its_inputs),
    { 0 },
};
KTEST_SUITE(devices, devices_cases);
