/*
 * The I/O APICs (Intel 82093AA I/O APIC data sheet, 3.2 "IOAPIC
 * Registers"): two MMIO registers, a select at offset 0 and a window at
 * 0x10, through which the version register (the number of inputs) and one
 * 64-bit redirection entry per input are reached. Input i of an I/O APIC
 * whose MADT entry gives GSI base g is global system interrupt g + i.
 */
#include <duet/printk.h>
#include <mm/ioremap.h>
#include "acpi.h"
#include "apic.h"

#define IOREGSEL       0x00
#define IOWIN          0x10
#define IOAPICVER      0x01
#define IOREDTBL(i)    (0x10 + 2 * (i))
#define RTE_LEVEL      (1u << 15)
#define RTE_ACTIVE_LOW (1u << 13)
#define RTE_MASKED     (1u << 16)
/* Fixed delivery, physical destination mode: both fields zero. */

static struct ioapic {
    volatile u32 *regs;
    u32 gsi_base, inputs;
} ioapics[ACPI_MAX_IOAPICS];
static unsigned nioapics;

static u32 ioapic_read(const struct ioapic *io, u32 reg)
{
    io->regs[IOREGSEL / 4] = reg;
    return io->regs[IOWIN / 4];
}

static void ioapic_write(const struct ioapic *io, u32 reg, u32 value)
{
    io->regs[IOREGSEL / 4] = reg;
    io->regs[IOWIN / 4] = value;
}

/* The I/O APIC with input gsi, and the input's index there. */
static const struct ioapic *find(unsigned gsi, u32 *pin)
{
    for (unsigned i = 0; i < nioapics; i++)
        if (gsi >= ioapics[i].gsi_base && gsi - ioapics[i].gsi_base < ioapics[i].inputs) {
            *pin = gsi - ioapics[i].gsi_base;
            return &ioapics[i];
        }
    return NULL;
}

unsigned ioapic_init(const struct acpi_irq_info *info)
{
    unsigned gsis = 0;

    for (unsigned i = 0; i < info->ioapics; i++) {
        struct ioapic *io = &ioapics[nioapics];

        io->regs = ioremap(info->ioapic[i].address, 0x20);
        if (!io->regs) {
            printf("ioapic: cannot map the I/O APIC at 0x%x\n", info->ioapic[i].address);
            continue;
        }
        io->gsi_base = info->ioapic[i].gsi_base;
        /* Bits 23:16: the index of the last redirection entry. */
        io->inputs = ((ioapic_read(io, IOAPICVER) >> 16) & 0xff) + 1;
        for (u32 pin = 0; pin < io->inputs; pin++) {
            ioapic_write(io, IOREDTBL(pin), RTE_MASKED);
            ioapic_write(io, IOREDTBL(pin) + 1, 0);
        }
        if (io->gsi_base + io->inputs > gsis)
            gsis = io->gsi_base + io->inputs;
        nioapics++;
    }
    return gsis;
}

void ioapic_route(unsigned gsi, u8 vector, bool level, bool active_low, u32 dest)
{
    u32 pin;
    const struct ioapic *io = find(gsi, &pin);

    if (!io)
        return;
    /* The high word first: the entry stays masked while it is half written. */
    ioapic_write(io, IOREDTBL(pin), RTE_MASKED);
    ioapic_write(io, IOREDTBL(pin) + 1, dest << 24); /* bits 63:56, physical APIC ID */
    ioapic_write(io, IOREDTBL(pin),
                 RTE_MASKED | (level ? RTE_LEVEL : 0) | (active_low ? RTE_ACTIVE_LOW : 0) | vector);
}

void ioapic_set_masked(unsigned gsi, bool masked)
{
    u32 pin, low;
    const struct ioapic *io = find(gsi, &pin);

    if (!io)
        return;
    low = ioapic_read(io, IOREDTBL(pin));
    ioapic_write(io, IOREDTBL(pin), masked ? low | RTE_MASKED : low & ~RTE_MASKED);
}
