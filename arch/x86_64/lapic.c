/*
 * This CPU's local APIC (Intel SDM Vol. 3A, the chapter "Advanced
 * Programmable Interrupt Controller (APIC)"). Where CPUID.1:ECX[21] offers
 * x2APIC mode, it is switched on and the registers are MSRs 0x800 + offset
 * / 16 ("x2APIC Register Address Space"); otherwise they are 4 KiB of MMIO
 * at the address IA32_APIC_BASE holds (and the MADT repeats), mapped with
 * ioremap. Only this file knows which.
 */
#include <duet/printk.h>
#include <arch/x86.h>
#include <mm/ioremap.h>
#include "apic.h"

#define MSR_APIC_BASE     0x1b
#define APIC_BASE_EXTD    (1ull << 10) /* x2APIC mode */
#define APIC_BASE_EN      (1ull << 11) /* the APIC is on */
#define MSR_X2APIC_BASE   0x800
#define MSR_X2APIC_SELF   0x83f /* SELF IPI: writing a vector sends it to this CPU */
#define CPUID1_ECX_X2APIC (1u << 21)

#define SVR_ENABLE  (1u << 8)  /* APIC software enable */
#define ICR_SELF    (1u << 18) /* destination shorthand 01: self */
#define ICR_PENDING (1u << 12) /* delivery status: not yet accepted */
#define LVT_NMI     (4u << 8)  /* delivery mode NMI */

static bool x2apic;
static volatile u32 *mmio;

bool lapic_is_x2apic(void)
{
    return x2apic;
}

u32 lapic_read(u32 reg)
{
    if (x2apic)
        return (u32)rdmsr(MSR_X2APIC_BASE + reg / 16);
    return mmio[reg / 4];
}

void lapic_write(u32 reg, u32 value)
{
    if (x2apic)
        wrmsr(MSR_X2APIC_BASE + reg / 16, value);
    else
        mmio[reg / 4] = value;
}

u32 lapic_id(void)
{
    /* x2APIC: the whole register is the ID; xAPIC: bits 31:24. */
    u32 id = lapic_read(LAPIC_ID);

    return x2apic ? id : id >> 24;
}

/*
 * End of interrupt: the in-service bit of the vector being handled clears
 * and lower-priority vectors may come. Never for the spurious vector, which
 * sets no in-service bit ("Spurious Interrupt").
 */
void lapic_eoi(void)
{
    lapic_write(LAPIC_EOI, 0);
}

void lapic_self_ipi(u8 vector)
{
    if (x2apic) {
        wrmsr(MSR_X2APIC_SELF, vector);
        return;
    }
    /* Fixed delivery, edge, to self ("Interrupt Command Register"). */
    lapic_write(LAPIC_ICR, ICR_SELF | vector);
    while (lapic_read(LAPIC_ICR) & ICR_PENDING)
        __asm__ volatile("pause");
}

bool lapic_init(u64 mmio_pa)
{
    u32 a, b, c, d;
    u64 base = rdmsr(MSR_APIC_BASE);

    cpuid(1, 0, &a, &b, &c, &d);
    if (!(base & APIC_BASE_EN))
        base |= APIC_BASE_EN; /* xAPIC first: disabled to x2APIC directly is invalid */
    wrmsr(MSR_APIC_BASE, base);
    if (c & CPUID1_ECX_X2APIC) {
        wrmsr(MSR_APIC_BASE, base | APIC_BASE_EXTD);
        x2apic = true;
    } else {
        mmio = ioremap(mmio_pa, 4096);
        if (!mmio)
            return false;
    }
    /* Nothing comes through LINT0 (the 8259s' ExtINT, pic.c) or the error
     * and timer LVTs until asked; LINT1 stays the NMI input the PC wires. */
    lapic_write(LAPIC_LVT_LINT0, LVT_MASKED);
    lapic_write(LAPIC_LVT_LINT1, LVT_NMI);
    lapic_write(LAPIC_LVT_ERROR, LVT_MASKED);
    lapic_write(LAPIC_LVT_TIMER, LVT_MASKED);
    /* Task priority 0: every vector may interrupt ("Task Priority Register"). */
    lapic_write(LAPIC_TPR, 0);
    lapic_write(LAPIC_SVR, SVR_ENABLE | SPURIOUS_VECTOR);
    /* An EOI for anything the firmware left in service. */
    lapic_eoi();
    return true;
}
