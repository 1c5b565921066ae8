/*
 * ktest suite `devices` (x86_64): a real device register read through
 * ioremap. The local APIC's registers are at 0xFEE00000 after reset (SDM
 * Vol. 3A 11.4.1, IA32_APIC_BASE); its version register (offset 0x30)
 * holds 0x10..0x15 in its low byte for an integrated APIC (11.4.8).
 */
#include <duet/ktest.h>
#include <mm/ioremap.h>

#define LAPIC_PHYS    0xfee00000ULL
#define LAPIC_VERSION 0x30

static void the_local_apic_version_reads_back(struct ktest *t)
{
    volatile u32 *lapic = ioremap(LAPIC_PHYS, 0x400);

    KASSERT_TRUE(t, lapic != NULL);
    u32 version = lapic[LAPIC_VERSION / 4] & 0xff;
    KEXPECT_GE(t, version, 0x10u);
    KEXPECT_LE(t, version, 0x15u);
}

static const struct ktest_case devices_cases[] = {
    KTEST_CASE(the_local_apic_version_reads_back),
    { 0 },
};
KTEST_SUITE(devices, devices_cases);
