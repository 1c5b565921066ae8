/*
 * gic_v3.c: GICv3 (IHI 0069), as QEMU's virt board has it with
 * gic-version=3: a distributor with affinity routing, a redistributor per
 * CPU, and the CPU interface as system registers (ICC_*_EL1). Every line
 * is Group 1, acknowledged through ICC_IAR1_EL1.
 */
#include <duet/printk.h>
#include "gic.h"
#include "sysregs.h"

/* The CPU interface's system registers (GICv3 chapter 12, each by its
 * register description), by encoding, which every assembler accepts. */
#define ICC_PMR_EL1     "S3_0_C4_C6_0"
#define ICC_IAR1_EL1    "S3_0_C12_C12_0"
#define ICC_EOIR1_EL1   "S3_0_C12_C12_1"
#define ICC_BPR1_EL1    "S3_0_C12_C12_3"
#define ICC_CTLR_EL1    "S3_0_C12_C12_4"
#define ICC_SRE_EL1     "S3_0_C12_C12_5"
#define ICC_IGRPEN1_EL1 "S3_0_C12_C12_7"
#define ICC_SGI1R_EL1   "S3_0_C12_C11_5"
#define ICC_SRE_SRE     1u /* use the system-register interface */

#define icc_read(reg)                                \
    ({                                               \
        u64 _v;                                      \
        __asm__ volatile("mrs %0, " reg : "=r"(_v)); \
        _v;                                          \
    })
#define icc_write(reg, v) __asm__ volatile("msr " reg ", %0" : : "r"((u64)(v)) : "memory")

/* How many redistributor frames Duet maps looking for its own. */
#define GICR_SEARCH_MAX 8

static volatile u8 *gicd, *gicr, *sgi; /* sgi: this CPU's SGI_base frame */
static unsigned nlines;
static u64 mpidr;

static unsigned v3_lines(void)
{
    return nlines;
}

/* A write to a distributor's enable, group or routing register takes effect
 * when RWP reads 0 (GICv3, GICD_CTLR.RWP and GICR_CTLR.RWP). */
static void wait_rwp(volatile u8 *frame, u32 reg, u32 bit)
{
    while (mmio_read32(frame, reg) & bit)
        ;
}

static void v3_mask(unsigned intid)
{
    if (intid < GIC_PRIVATE_COUNT) {
        mmio_write32(sgi, GICR_ICENABLER0, BIT32(intid));
        wait_rwp(gicr, GICR_CTLR, GICR_CTLR_RWP);
    } else {
        mmio_write32(gicd, GICD_ICENABLER(intid), BIT32(intid));
        wait_rwp(gicd, GICD_CTLR, GICD_CTLR_RWP);
    }
}

static void v3_unmask(unsigned intid)
{
    if (intid < GIC_PRIVATE_COUNT)
        mmio_write32(sgi, GICR_ISENABLER0, BIT32(intid));
    else
        mmio_write32(gicd, GICD_ISENABLER(intid), BIT32(intid));
}

/*
 * An SGI to this CPU through ICC_SGI1R_EL1 (GICv3, its description): Aff3, Aff2,
 * Aff1 name its cluster, RS and TargetList its Aff0 (RS = Aff0 / 16, bit
 * Aff0 % 16 of the list). Other lines by set-pending.
 */
static void v3_set_pending(unsigned intid)
{
    if (intid < GIC_SGI_COUNT) {
        u64 aff0 = mpidr & 0xff, aff1 = (mpidr >> 8) & 0xff, aff2 = (mpidr >> 16) & 0xff,
            aff3 = (mpidr >> 32) & 0xff;
        u64 v = aff3 << 48 | (aff0 / 16) << 44 | aff2 << 32 | (u64)intid << 24 | aff1 << 16 |
                1ull << (aff0 % 16);

        icc_write(ICC_SGI1R_EL1, v);
        isb();
    } else if (intid < GIC_PRIVATE_COUNT) {
        mmio_write32(sgi, GICR_ISPENDR0, BIT32(intid));
    } else {
        mmio_write32(gicd, GICD_ISPENDR(intid), BIT32(intid));
    }
}

static u32 v3_ack(void)
{
    u32 intid = (u32)icc_read(ICC_IAR1_EL1);

    /* The read has side effects: later ones must not pass it (GICv3, ICC_IAR1_EL1). */
    dsb(sy);
    return intid;
}

static void v3_eoi(u32 ack)
{
    icc_write(ICC_EOIR1_EL1, ack);
    isb();
}

/* SGI 0: GICv3 SGIs have enable bits that work (GICR_ISENABLER0). */
static unsigned v3_test_line(void)
{
    return 0;
}

/* GICR_TYPER's Affinity_Value: Aff3.Aff2.Aff1.Aff0 of the CPU it serves. */
static u64 affinity_value(u64 m)
{
    return ((m >> 32) & 0xff) << 24 | (m & 0xffffff);
}

/*
 * This CPU's redistributor: the frames of the first region, in order,
 * until one's GICR_TYPER names our affinity or says it is the Last
 * (GICv3, GICR_TYPER). Each is mapped as it is looked at; Duet runs on one
 * CPU, so the first is normally it.
 */
static const char *find_redistributor(const struct fdt_irq *dt)
{
    u64 stride = GICR_SIZE_NEEDED, want = affinity_value(mpidr);
    const char *err = NULL;

    for (u64 off = 0, i = 0; i < GICR_SEARCH_MAX && off + GICR_SIZE_NEEDED <= dt->gic2_size;
         off += stride, i++) {
        volatile u8 *frame =
            gic_map("GICR", dt->gic2_base + off, dt->gic2_size - off, GICR_SIZE_NEEDED, &err);
        u64 typer;

        if (!frame)
            return err;
        typer = mmio_read64(frame, GICR_TYPER);
        if ((typer >> 32) == want) {
            gicr = frame;
            sgi = frame + GICR_SGI_BASE;
            return NULL;
        }
        if (typer & GICR_TYPER_LAST)
            break;
        stride = (typer & GICR_TYPER_VLPIS) ? 2 * GICR_SIZE_NEEDED : GICR_SIZE_NEEDED;
    }
    return "no redistributor for this CPU";
}

/* Wake the redistributor (GICv3, GICR_WAKER): it forwards nothing
 * while ProcessorSleep is set, and is awake once ChildrenAsleep clears. */
static void wake_redistributor(void)
{
    mmio_write32(gicr, GICR_WAKER, mmio_read32(gicr, GICR_WAKER) & ~GICR_WAKER_PROCESSOR_SLEEP);
    while (mmio_read32(gicr, GICR_WAKER) & GICR_WAKER_CHILDREN_ASLEEP)
        ;
}

static const char *v3_init(const struct fdt_irq *dt)
{
    const char *err = NULL;
    u64 route;

    mpidr = read_sysreg(mpidr_el1) & MPIDR_AFFINITY_MASK;
    /* The system-register interface, which EL2 or EL3 may withhold: then
     * SRE reads back 0 (GICv3, ICC_SRE_EL1). */
    icc_write(ICC_SRE_EL1, icc_read(ICC_SRE_EL1) | ICC_SRE_SRE);
    isb();
    if (!(icc_read(ICC_SRE_EL1) & ICC_SRE_SRE))
        return "ICC_SRE_EL1.SRE stays 0: no system-register interface";

    gicd = gic_map("GICD", dt->gicd_base, dt->gicd_size, GICD_V3_SIZE_NEEDED, &err);
    if (!gicd || (err = find_redistributor(dt)))
        return err;

    /* The distributor: off, affinity routing on (needed for the system-register
     * interface), every SPI masked, Group 1, level, routed to this CPU. */
    mmio_write32(gicd, GICD_CTLR, 0);
    wait_rwp(gicd, GICD_CTLR, GICD_CTLR_RWP);
    mmio_write32(gicd, GICD_CTLR, GICD_CTLR_ARE);
    wait_rwp(gicd, GICD_CTLR, GICD_CTLR_RWP);
    nlines = GICD_TYPER_LINES(mmio_read32(gicd, GICD_TYPER));
    if (nlines > GIC_MAX_INTID + 1)
        nlines = GIC_MAX_INTID + 1;
    route = (mpidr >> 32 & 0xff) << 32 | (mpidr & 0xffffff); /* IRM 0: this CPU */
    for (unsigned i = GIC_PRIVATE_COUNT; i < nlines; i += 32) {
        mmio_write32(gicd, GICD_ICENABLER(i), ~0u);
        mmio_write32(gicd, GICD_ICPENDR(i), ~0u);
        mmio_write32(gicd, GICD_ICACTIVER(i), ~0u);
        mmio_write32(gicd, GICD_IGROUPR(i), ~0u);
    }
    for (unsigned i = GIC_PRIVATE_COUNT; i < nlines; i += 16)
        mmio_write32(gicd, GICD_ICFGR(i), 0);
    for (unsigned i = GIC_PRIVATE_COUNT; i < nlines; i++) {
        mmio_write8(gicd, GICD_IPRIORITYR(i), GIC_PRIORITY_DEFAULT);
        mmio_write64(gicd, GICD_IROUTER(i), route);
    }
    wait_rwp(gicd, GICD_CTLR, GICD_CTLR_RWP);
    mmio_write32(gicd, GICD_CTLR, GICD_CTLR_ARE | GICD_CTLR_ENABLE_GRP1);
    wait_rwp(gicd, GICD_CTLR, GICD_CTLR_RWP);

    /* This CPU's SGIs and PPIs, in its redistributor's SGI frame. */
    wake_redistributor();
    mmio_write32(sgi, GICR_ICENABLER0, ~0u);
    wait_rwp(gicr, GICR_CTLR, GICR_CTLR_RWP);
    mmio_write32(sgi, GICR_ICPENDR0, ~0u);
    mmio_write32(sgi, GICR_ICACTIVER0, ~0u);
    mmio_write32(sgi, GICR_IGROUPR0, ~0u);
    for (unsigned i = 0; i < GIC_PRIVATE_COUNT; i++)
        mmio_write8(sgi, GICR_IPRIORITYR(i), GIC_PRIORITY_DEFAULT);

    /* The CPU interface: let every priority through, no preemption groups,
     * EOImode 0 (EOIR both drops the priority and deactivates), Group 1 on. */
    icc_write(ICC_PMR_EL1, GIC_PRIORITY_MASK);
    icc_write(ICC_BPR1_EL1, 0);
    icc_write(ICC_CTLR_EL1, 0);
    icc_write(ICC_IGRPEN1_EL1, 1);
    isb();
    return NULL;
}

const struct gic_ops gic_v3_ops = {
    .init = v3_init,
    .lines = v3_lines,
    .mask = v3_mask,
    .unmask = v3_unmask,
    .set_pending = v3_set_pending,
    .ack = v3_ack,
    .eoi = v3_eoi,
    .test_line = v3_test_line,
};
