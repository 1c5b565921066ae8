/*
 * x86_64 page-table entries (Intel SDM Vol. 3A 4.5, "4-level paging"):
 * the encoding half of the contract in mm/arch_mmu.h.
 *
 *   bit  0 P    present            bit  7 PS   a leaf at level 1 or 2
 *   bit  1 RW   writable           bit  8 G    global: survives CR3 loads
 *   bit  2 US   user-accessible    bits 12-51  physical address
 *   bit  3 PWT, bit 4 PCD: with both set the page is uncached (device memory)
 *   bit 63 NX   no instruction fetch (needs EFER.NXE, set by boot.S)
 *
 * An intermediate entry restricts what lies below it: US must be set on
 * every level for a user page, so kernel-only tables leave it clear.
 */
#ifndef ARCH_MMU_H
#define ARCH_MMU_H

#include <duet/types.h>

typedef u64 pte_t;

#define X86_PTE_P    (1ULL << 0)
#define X86_PTE_RW   (1ULL << 1)
#define X86_PTE_US   (1ULL << 2)
#define X86_PTE_PWT  (1ULL << 3)
#define X86_PTE_PCD  (1ULL << 4)
#define X86_PTE_PS   (1ULL << 7)
#define X86_PTE_G    (1ULL << 8)
#define X86_PTE_NX   (1ULL << 63)
#define X86_PTE_ADDR 0x000ffffffffff000ULL

static inline bool pte_is_valid(pte_t e)
{
    return e & X86_PTE_P;
}

static inline bool pte_is_table(pte_t e, unsigned level)
{
    return (e & X86_PTE_P) && level > 0 && !(e & X86_PTE_PS);
}

static inline paddr_t pte_address(pte_t e)
{
    return e & X86_PTE_ADDR;
}

static inline pte_t pte_make_table(paddr_t table, bool user)
{
    /* RW here: writability is decided by the leaves. */
    return table | X86_PTE_P | X86_PTE_RW | (user ? X86_PTE_US : 0);
}

static inline pte_t pte_make_leaf(paddr_t pa, unsigned level, unsigned vm_flags)
{
    pte_t e = pa | X86_PTE_P;

    if (level > 0)
        e |= X86_PTE_PS;
    if (vm_flags & VM_WRITE)
        e |= X86_PTE_RW;
    if (vm_flags & VM_USER)
        e |= X86_PTE_US;
    /* Never a global user page: it would stay in the TLB across the switch
     * to another address space (a CR3 load keeps global entries, SDM Vol.
     * 3A 4.10.2.4). AArch64 forces nG on user pages the same way. */
    if ((vm_flags & VM_GLOBAL) && !(vm_flags & VM_USER))
        e |= X86_PTE_G;
    if (!(vm_flags & VM_EXEC))
        e |= X86_PTE_NX;
    if (vm_flags & VM_DEVICE)
        e |= X86_PTE_PCD | X86_PTE_PWT;
    return e;
}

static inline unsigned pte_leaf_flags(pte_t e, unsigned level)
{
    unsigned f = VM_READ; /* x86 has no write-only or no-read pages */

    if (e & X86_PTE_RW)
        f |= VM_WRITE;
    if (!(e & X86_PTE_NX))
        f |= VM_EXEC;
    if (e & X86_PTE_US)
        f |= VM_USER;
    if (e & X86_PTE_G)
        f |= VM_GLOBAL;
    if (e & X86_PTE_PCD)
        f |= VM_DEVICE;
    return f;
}

bool arch_mmu_has_1g_pages(void);

/* x86_64 has no switch that makes writable memory never executable. */
static inline bool arch_mmu_has_wxn(void)
{
    return false;
}

/* RET (0xc3), for tests that must execute a page they wrote. */
#define ARCH_RETURN_INSN 0xc3u

/* Write a function `int f(void) { return v; }` at code: MOV EAX, imm32; RET. */
static inline void arch_code_return(void *code, u16 v)
{
    u8 *b = code;

    b[0] = 0xb8;
    b[1] = (u8)v;
    b[2] = (u8)(v >> 8);
    b[3] = 0;
    b[4] = 0;
    b[5] = ARCH_RETURN_INSN;
}

static inline bool arch_mmu_kernel_tables_shared(void)
{
    return true; /* each PML4 copies entries 256..511 (copy_kernel_mappings) */
}

#endif
