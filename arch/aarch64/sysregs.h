/*
 * AArch64 system-register values that boot.S and the C side program:
 * bit positions, the values Duet writes, and mrs/msr helpers for C.
 * Shared by assembly (boot.S) and C, so plain constants only.
 *
 * Register layouts are from the Arm Architecture Reference Manual for
 * A-profile (DDI 0487), chapter D19 "AArch64 System Register Descriptions",
 * each cited by register name below.
 */
#ifndef AARCH64_SYSREGS_H
#define AARCH64_SYSREGS_H

#include <duet/layout.h>

#define BIT(n) (_UL(1) << (n))

/* --- CurrentEL: the exception level in bits [3:2] ------------------------- */
#define CURRENT_EL_SHIFT 2
#define CURRENT_EL_EL1   (1 << CURRENT_EL_SHIFT)
#define CURRENT_EL_EL2   (2 << CURRENT_EL_SHIFT)
#define CURRENT_EL_EL3   (3 << CURRENT_EL_SHIFT)

/*
 * MPIDR_EL1: Aff3 [39:32], Aff2 [23:16], Aff1 [15:8], Aff0 [7:0]. The boot
 * CPU is the one whose affinity fields are all zero on QEMU virt.
 */
#define MPIDR_AFFINITY_MASK _UL(0xff00ffffff)

/* --- EL2 set-up before dropping to EL1 ------------------------------------ */
/* HCR_EL2.RW: EL1 executes in AArch64. Everything else 0: no stage 2, no traps. */
#define HCR_EL2_RW            BIT(31)
/* CNTHCTL_EL2 (E2H == 0): EL1PCTEN, EL1PCEN: EL1 may use the physical counter and timer. */
#define CNTHCTL_EL2_EL1PCTEN  BIT(0)
#define CNTHCTL_EL2_EL1PCEN   BIT(1)
/*
 * A GICv3 at EL2 (IHI 0069, ICC_SRE_EL2): EL1 reaches its
 * CPU interface's system registers only once EL2 sets Enable (bit 3) and
 * SRE (bit 0). ID_AA64PFR0_EL1.GIC [27:24] is nonzero when the CPU has
 * that interface. Written by encoding, which every assembler accepts.
 */
#define ID_AA64PFR0_GIC_SHIFT 24
#define ICC_SRE_EL2           S3_4_C12_C9_5
#define ICC_SRE_EL2_SRE       BIT(0)
#define ICC_SRE_EL2_ENABLE    BIT(3)
#define ICH_HCR_EL2           S3_4_C12_C11_0
/* CPTR_EL2 (E2H == 0): the RES1 bits [13:12] and [9:0]; TFP (bit 10) clear: no FP traps. */
#define CPTR_EL2_RES1         0x33ff

/*
 * SPSR_ELx for the eret to EL1: M[3:0] = 0b0101 (EL1h, using SP_EL1) and
 * D, A, I, F (bits 9:6) set, so EL1 starts with every interrupt masked.
 */
#define SPSR_MODE_EL1H   0x5
#define SPSR_DAIF        (0xf << 6)
#define SPSR_EL1H_MASKED (SPSR_DAIF | SPSR_MODE_EL1H)

/* --- SCTLR_EL1 -------------------------------------------------------------- */
#define SCTLR_EL1_M       BIT(0)  /* stage 1 MMU enable */
#define SCTLR_EL1_C       BIT(2)  /* data caches (Normal memory cacheable) */
#define SCTLR_EL1_SA      BIT(3)  /* SP alignment check at EL1 */
#define SCTLR_EL1_I       BIT(12) /* instruction caches */
#define SCTLR_EL1_WXN     BIT(19) /* writable implies never-executable (later) */
/*
 * Bits that must be written as 1 on an Armv8.0 CPU (RES1: 29, 28, 23, 22, 20, 11).
 * On later CPUs they name features (LSMAOE, nTLSMD, SPAN, EIS, TSCXT, EOS)
 * whose value 1 keeps the Armv8.0 behaviour. Everything else 0: little-endian,
 * no alignment checks on data, EL0 may not touch caches or DAIF.
 */
#define SCTLR_EL1_RES1    (BIT(29) | BIT(28) | BIT(23) | BIT(22) | BIT(20) | BIT(11))
#define SCTLR_EL1_MMU_OFF SCTLR_EL1_RES1
#define SCTLR_EL1_MMU_ON  (SCTLR_EL1_RES1 | SCTLR_EL1_M | SCTLR_EL1_C | SCTLR_EL1_SA | SCTLR_EL1_I)

/*
 * --- MAIR_EL1: the memory types page-table entries select with AttrIndx --
 * Attr<n> is byte n. Encodings from MAIR_EL1's description:
 *   0b0000_0100  Device-nGnRE: no gathering, no reordering, early write ack.
 *   0b1111_1111  Normal, Inner and Outer Write-Back non-transient,
 *                Read-Allocate and Write-Allocate.
 */
#define MAIR_ATTR_DEVICE_nGnRE 0x04
#define MAIR_ATTR_NORMAL_WB    0xff
#define MT_DEVICE_nGnRE        0 /* AttrIndx values */
#define MT_NORMAL              1
#define MAIR_EL1_VALUE \
    ((MAIR_ATTR_DEVICE_nGnRE << (8 * MT_DEVICE_nGnRE)) | (MAIR_ATTR_NORMAL_WB << (8 * MT_NORMAL)))

/*
 * --- TCR_EL1 ---------------------------------------------------------------
 * Both halves: 48-bit VAs (TxSZ = 64 - 48 = 16), 4 KiB granule, table walks
 * Inner and Outer Write-Back Read/Write-Allocate cacheable, Inner Shareable.
 * IPS (output address size) is filled in at run time from the CPU.
 */
#define TCR_T0SZ(n)               ((n) << 0)
#define TCR_EPD0                  BIT(7) /* no walks for TTBR0: VA bit 55 == 0 faults */
#define TCR_IRGN0_WBWA            (1 << 8)
#define TCR_ORGN0_WBWA            (1 << 10)
#define TCR_SH0_INNER             (3 << 12)
#define TCR_TG0_4K                (0 << 14)
#define TCR_T1SZ(n)               ((n) << 16)
#define TCR_IRGN1_WBWA            (1 << 24)
#define TCR_ORGN1_WBWA            (1 << 26)
#define TCR_SH1_INNER             (3 << 28)
#define TCR_TG1_4K                (_UL(2) << 30) /* TG1 encodes granules differently from TG0 */
#define TCR_IPS_SHIFT             32
/*
 * IPS uses ID_AA64MMFR0_EL1.PARange's encoding; 0b0101 is 48 bits. Larger
 * (52-bit) output addresses need FEAT_LPA2 and TCR_EL1.DS with a 4 KiB
 * granule, which Duet does not use, so boot.S caps IPS at 48 bits.
 */
#define TCR_IPS_48BIT             5
#define ID_AA64MMFR0_PARANGE_MASK 0xf

#define TCR_EL1_VALUE                                                                   \
    (TCR_T0SZ(64 - 48) | TCR_IRGN0_WBWA | TCR_ORGN0_WBWA | TCR_SH0_INNER | TCR_TG0_4K | \
     TCR_T1SZ(64 - 48) | TCR_IRGN1_WBWA | TCR_ORGN1_WBWA | TCR_SH1_INNER | TCR_TG1_4K)

/*
 * CTR_EL0, the cache type register (Arm ARM, CTR_EL0 register description):
 *   IminLine [3:0]   log2 of the smallest instruction cache line, in 4-byte words
 *   L1Ip [15:14]     the level 1 instruction cache's indexing: 0b10 VIPT, 0b11 PIPT
 *   DminLine [19:16] log2 of the smallest data cache line, in 4-byte words
 *   IDC [28]         1: no data cache clean to the PoU needed for instruction fetches
 *                    to see data writes
 *   DIC [29]         1: no instruction cache invalidation to the PoU needed for that
 */
#define CTR_EL0_IMINLINE_SHIFT 0
#define CTR_EL0_L1IP_SHIFT     14
#define CTR_EL0_L1IP_VIPT      2
#define CTR_EL0_DMINLINE_SHIFT 16
#define CTR_EL0_IDC            (_UL(1) << 28)
#define CTR_EL0_DIC            (_UL(1) << 29)

/* --- C helpers ------------------------------------------------------------------ */
#ifndef __ASSEMBLER__
#include <duet/types.h>

#define read_sysreg(reg)                              \
    ({                                                \
        u64 _v;                                       \
        __asm__ volatile("mrs %0, " #reg : "=r"(_v)); \
        _v;                                           \
    })
#define write_sysreg(reg, v) __asm__ volatile("msr " #reg ", %0" ::"r"((u64)(v)) : "memory")

#define isb()    __asm__ volatile("isb" ::: "memory")
#define dsb(opt) __asm__ volatile("dsb " #opt ::: "memory")
#endif

#endif
