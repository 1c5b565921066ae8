/*
 * The Arm Generic Interrupt Controller, versions 2 and 3: the registers
 * Duet uses and the interface gic.c (what both versions share: the
 * arch_irq_* contract and the interrupt entry) has to gic_v2.c and
 * gic_v3.c (what differs).
 *
 * References: "ARM Generic Interrupt Controller Architecture
 * Specification, GIC architecture version 2.0" (IHI 0048B, "GICv2"),
 * chapter 4 "Programmers' Model"; "GIC architecture version 3 and
 * version 4" (IHI 0069, "GICv3"), chapter 12 "Programmers' Model"
 * (the distributor's, the redistributor's and the CPU interface's
 * register descriptions, each cited by register name).
 *
 * INTIDs (GICv3, "INTIDs"; GICv2, "Interrupt IDs"): 0-15 SGIs (software-generated, per
 * CPU), 16-31 PPIs (private to a CPU: its timers), 32-1019 SPIs (shared:
 * devices), 1020-1023 special: "no interrupt pending" and its kin.
 */
#ifndef AARCH64_GIC_H
#define AARCH64_GIC_H

#include <duet/types.h>
#include "fdt.h"

#define GIC_SGI_COUNT        16
#define GIC_PRIVATE_COUNT    32   /* SGIs and PPIs */
#define GIC_MAX_INTID        1019 /* the last SPI */
#define GIC_SPURIOUS_FIRST   1020 /* 1020-1023: nothing to handle */
#define GIC_INTID_MASK       0x3ff
/* Every line's priority, and the mask that lets them all through: only an
 * interrupt whose priority value is below the mask is signalled (GICv2
 * 4.4.2 GICC_PMR, GICv3 ICC_PMR_EL1). 0xa0 is what Linux uses. */
#define GIC_PRIORITY_DEFAULT 0xa0
#define GIC_PRIORITY_MASK    0xf0

/* --- the distributor (GICD), both versions (GICv2 4.3, GICv3 GICD_*) ------- */
#define GICD_CTLR           0x0000
#define GICD_TYPER          0x0004 /* ITLinesNumber [4:0]: 32 * (N + 1) INTIDs */
#define GICD_IGROUPR(n)     (0x0080 + 4 * ((n) / 32))
#define GICD_ISENABLER(n)   (0x0100 + 4 * ((n) / 32))
#define GICD_ICENABLER(n)   (0x0180 + 4 * ((n) / 32))
#define GICD_ISPENDR(n)     (0x0200 + 4 * ((n) / 32))
#define GICD_ICPENDR(n)     (0x0280 + 4 * ((n) / 32))
#define GICD_ICACTIVER(n)   (0x0380 + 4 * ((n) / 32))
#define GICD_IPRIORITYR(n)  (0x0400 + (n))            /* a byte per INTID */
#define GICD_ITARGETSR(n)   (0x0800 + (n))            /* v2: a byte per INTID, a CPU mask */
#define GICD_ICFGR(n)       (0x0c00 + 4 * ((n) / 16)) /* 2 bits per INTID */
#define GICD_SGIR           0x0f00                    /* v2 */
#define GICD_IROUTER(n)     (0x6000 + 8 * (n))        /* v3, SPIs: the target's affinity */
#define GICD_TYPER_LINES(t) (32 * (((t)&0x1f) + 1))
#define GICD_ICFGR_EDGE(n)  (2u << (2 * ((n) % 16))) /* Int_config[1]: edge-triggered */
#define BIT32(n)            (1u << ((n) % 32))

/* GICD_CTLR. v2 without the Security Extensions: bit 0 enables forwarding.
 * v3 as a non-secure or single-security-state view: EnableGrp1 (bit 1;
 * EnableGrp1NS/EnableGrp1A), ARE (bit 4; ARE_NS), RWP (bit 31). */
#define GICD_CTLR_ENABLE_V2   (1u << 0)
#define GICD_CTLR_ENABLE_GRP1 (1u << 1)
#define GICD_CTLR_ARE         (1u << 4)
#define GICD_CTLR_RWP         (1u << 31)
/* GICD_SGIR (GICv2 4.3.15): TargetListFilter 0b10 = "only the CPU that asked". */
#define GICD_SGIR_TO_SELF     (2u << 24)

/* --- the v2 CPU interface (GICC, GICv2 4.4) -------------------------------- */
#define GICC_CTLR           0x0000 /* bit 0: signal interrupts (FIQEn clear: as IRQ) */
#define GICC_PMR            0x0004
#define GICC_BPR            0x0008
#define GICC_IAR            0x000c /* INTID [9:0], and for an SGI its source CPU [12:10] */
#define GICC_EOIR           0x0010 /* written with the IAR value, whole */
#define GICC_CTLR_ENABLE    (1u << 0)
#define GICC_SIZE_NEEDED    0x1000
#define GICD_V2_SIZE_NEEDED 0x1000

/* --- the v3 redistributor (GICR, GICv3 GICR_*) ---------------------------- */
/* Each CPU's is two 64 KiB frames: RD_base (control) then SGI_base (its
 * SGIs and PPIs, laid out like the distributor's first 32 INTIDs); GICv4
 * adds two more (GICR_TYPER.VLPIS). */
#define GICR_FRAME_SIZE            0x10000ull
#define GICR_CTLR                  0x0000
#define GICR_TYPER                 0x0008 /* 64 bits: Affinity_Value [63:32], Last [4], VLPIS [1] */
#define GICR_WAKER                 0x0014
#define GICR_CTLR_RWP              (1u << 3)
#define GICR_TYPER_VLPIS           (1ull << 1)
#define GICR_TYPER_LAST            (1ull << 4)
#define GICR_WAKER_PROCESSOR_SLEEP (1u << 1)
#define GICR_WAKER_CHILDREN_ASLEEP (1u << 2)
#define GICR_SGI_BASE              GICR_FRAME_SIZE /* SGI_base: offsets below are from it */
#define GICR_IGROUPR0              0x0080
#define GICR_ISENABLER0            0x0100
#define GICR_ICENABLER0            0x0180
#define GICR_ISPENDR0              0x0200
#define GICR_ICPENDR0              0x0280
#define GICR_ICACTIVER0            0x0380
#define GICR_IPRIORITYR(n)         (0x0400 + (n))
#define GICD_V3_SIZE_NEEDED        0x10000
#define GICR_SIZE_NEEDED           (2 * GICR_FRAME_SIZE)

/*
 * What gic.c asks of a version. init brings the controller up with every
 * line masked and returns NULL, or says why it cannot; the rest run with
 * interrupts masked and take INTIDs below the controller's line count.
 */
struct gic_ops {
    const char *(*init)(const struct fdt_irq *dt);
    unsigned (*lines)(void);
    void (*mask)(unsigned intid);
    void (*unmask)(unsigned intid);
    void (*set_pending)(unsigned intid); /* also sends SGIs, to this CPU */
    u32 (*ack)(void);                    /* read IAR: the token EOI wants back */
    void (*eoi)(u32 ack);
    unsigned (*test_line)(void);
};

extern const struct gic_ops gic_v2_ops, gic_v3_ops;

/* gic.c: ioremap a region the tree named, refusing one smaller than `need`. */
volatile u8 *gic_map(const char *what, u64 base, u64 size, u64 need, const char **err);

/* MMIO accessors: device memory, so volatile and exactly 32 or 64 bits. */
static inline u32 mmio_read32(volatile u8 *base, u32 off)
{
    return *(volatile u32 *)(base + off);
}
static inline void mmio_write32(volatile u8 *base, u32 off, u32 v)
{
    *(volatile u32 *)(base + off) = v;
}
static inline u64 mmio_read64(volatile u8 *base, u32 off)
{
    return *(volatile u64 *)(base + off);
}
static inline void mmio_write64(volatile u8 *base, u32 off, u64 v)
{
    *(volatile u64 *)(base + off) = v;
}
static inline void mmio_write8(volatile u8 *base, u32 off, u8 v)
{
    *(volatile u8 *)(base + off) = v;
}

#endif
