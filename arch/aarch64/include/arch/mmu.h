/*
 * AArch64 translation-table descriptors, 4 KiB granule (Arm ARM D8,
 * "Translation table descriptor formats"): the encoding half of the
 * contract in mm/arch_mmu.h. In the contract's level numbers, level 3 is
 * the Arm ARM's level 0 and level 0 its level 3.
 *
 *   [1:0]   0b11 table (or page at level 0); 0b01 block (levels 1, 2)
 *   [4:2]   AttrIndx: MAIR_EL1 slot (0 Device-nGnRE, 1 Normal write-back)
 *   [7:6]   AP: 00 EL1 RW, 01 EL1+EL0 RW, 10 EL1 RO, 11 EL1+EL0 RO
 *   [9:8]   SH: 11 inner shareable
 *   [10]    AF: access flag (set, or the first access faults)
 *   [11]    nG: not global (tagged with the ASID)
 *   [53]    PXN: EL1 must not execute     [54] UXN: EL0 must not execute
 * Table descriptors can restrict what lies below: APTable[62:61] = 01
 * forbids EL0 access, which Duet sets on kernel-only tables.
 */
#ifndef ARCH_MMU_H
#define ARCH_MMU_H

#include <duet/types.h>

typedef u64 pte_t;

#define A64_DESC_VALID     (1ULL << 0)
#define A64_DESC_TABLE     (3ULL << 0) /* also a page at level 0 */
#define A64_DESC_BLOCK     (1ULL << 0)
#define A64_DESC_TYPE_MASK (3ULL << 0)
#define A64_ATTR_DEVICE    (0ULL << 2)
#define A64_ATTR_NORMAL    (1ULL << 2)
#define A64_ATTR_MASK      (7ULL << 2)
#define A64_AP_EL0         (1ULL << 6) /* AP[1]: EL0 may access */
#define A64_AP_RO          (1ULL << 7) /* AP[2]: read-only */
#define A64_SH_INNER       (3ULL << 8)
#define A64_AF             (1ULL << 10)
#define A64_NG             (1ULL << 11)
#define A64_PXN            (1ULL << 53)
#define A64_UXN            (1ULL << 54)
#define A64_APTABLE_NO_EL0 (1ULL << 61)
#define A64_ADDR           0x0000fffffffff000ULL

static inline bool pte_is_valid(pte_t e)
{
    return e & A64_DESC_VALID;
}

static inline bool pte_is_table(pte_t e, unsigned level)
{
    return level > 0 && (e & A64_DESC_TYPE_MASK) == A64_DESC_TABLE;
}

static inline paddr_t pte_address(pte_t e)
{
    return e & A64_ADDR;
}

static inline pte_t pte_make_table(paddr_t table, bool user)
{
    return table | A64_DESC_TABLE | (user ? 0 : A64_APTABLE_NO_EL0);
}

static inline pte_t pte_make_leaf(paddr_t pa, unsigned level, unsigned vm_flags)
{
    pte_t e = pa | A64_AF | (level == 0 ? A64_DESC_TABLE : A64_DESC_BLOCK);

    if (vm_flags & VM_DEVICE)
        e |= A64_ATTR_DEVICE;
    else
        e |= A64_ATTR_NORMAL | A64_SH_INNER;
    if (!(vm_flags & VM_WRITE))
        e |= A64_AP_RO;
    if (vm_flags & VM_USER) {
        /* EL1 never executes user memory; EL0 only where asked. */
        e |= A64_AP_EL0 | A64_PXN | A64_NG;
        if (!(vm_flags & VM_EXEC))
            e |= A64_UXN;
    } else {
        e |= A64_UXN;
        if (!(vm_flags & VM_EXEC))
            e |= A64_PXN;
        if (!(vm_flags & VM_GLOBAL))
            e |= A64_NG;
    }
    return e;
}

static inline unsigned pte_leaf_flags(pte_t e, unsigned level)
{
    unsigned f = VM_READ;
    bool user = e & A64_AP_EL0;

    if (!(e & A64_AP_RO))
        f |= VM_WRITE;
    if (user)
        f |= VM_USER;
    if (user ? !(e & A64_UXN) : !(e & A64_PXN))
        f |= VM_EXEC;
    if (!(e & A64_NG))
        f |= VM_GLOBAL;
    if ((e & A64_ATTR_MASK) == A64_ATTR_DEVICE)
        f |= VM_DEVICE;
    return f;
}

static inline bool arch_mmu_has_1g_pages(void)
{
    return true; /* level-1 blocks always exist with the 4 KiB granule */
}

/* SCTLR_EL1.WXN: writable memory is never executable, whatever its entry says. */
static inline bool arch_mmu_has_wxn(void)
{
    return true; /* part of Armv8.0 */
}

/* RET (A64), for tests that must execute a page they wrote. */
#define ARCH_RETURN_INSN 0xd65f03c0u

/* Write a function `int f(void) { return v; }` at code: MOVZ W0, #v; RET. */
static inline void arch_code_return(void *code, u16 v)
{
    u32 *insn = code;

    insn[0] = 0x52800000u | ((u32)v << 5);
    insn[1] = ARCH_RETURN_INSN;
}

static inline bool arch_mmu_kernel_tables_shared(void)
{
    return false; /* the kernel half lives in TTBR1, shared as it is */
}

#endif
