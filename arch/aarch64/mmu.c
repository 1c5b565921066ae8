/*
 * AArch64 TLB maintenance and the kernel's root (the mm/arch_mmu.h
 * contract; descriptor encodings are in include/arch/mmu.h).
 *
 * The rules (Arm ARM D8, "TLB maintenance requirements"): a descriptor
 * write is made visible to the table walker with DSB ISHST; a TLBI is
 * complete once a DSB ISH follows it, and an ISB makes later instructions
 * use the new translation. The inner-shareable (IS) forms reach every CPU.
 * Kernel entries are global, so single pages go by VAAE1IS (any ASID).
 */
#include <duet/compiler.h>
#include <duet/panic.h>
#include <duet/printk.h>
#include <duet/string.h>
#include <mm/ioremap.h>
#include <mm/pmo.h>
#include <mm/vm.h>
#include "aarch64.h"
#include "early_map.h"
#include "pl011.h"
#include "sysregs.h"

#define TLBI_MAX_PAGES 32

void arch_pte_sync(void)
{
    __asm__ volatile("dsb ishst\n\tisb" : : : "memory");
}

void arch_tlb_invalidate_all(void)
{
    __asm__ volatile("dsb ishst\n\t"
                     "tlbi vmalle1is\n\t"
                     "dsb ish\n\t"
                     "isb"
                     :
                     :
                     : "memory");
}

void arch_tlb_invalidate(vaddr_t va, size_t size)
{
    if (size / PAGE_SIZE > TLBI_MAX_PAGES) {
        arch_tlb_invalidate_all();
        return;
    }
    __asm__ volatile("dsb ishst" : : : "memory");
    /* Counted in pages: a range that ends at 2^64 has va + size == 0. */
    vaddr_t p = ALIGN_DOWN(va, PAGE_SIZE);
    for (u64 n = size ? (va + size - 1 - p) / PAGE_SIZE + 1 : 0; n; n--, p += PAGE_SIZE)
        __asm__ volatile("tlbi vaae1is, %0" : : "r"((p >> 12) & 0xfffffffffffULL) : "memory");
    __asm__ volatile("dsb ish\n\tisb" : : : "memory");
}

/*
 * Code the kernel wrote (a program's text, copied through the PMO) must
 * reach instruction fetches: the instruction cache is not coherent with
 * data writes, and a frame reused from an earlier program can still have
 * that program's instructions cached. The Arm ARM's sequence (DDI 0487,
 * D7 "Synchronization and coherency issues between data and instruction
 * accesses", and the CTR_EL0 register description):
 *
 *   DC CVAU each data cache line    clean to the Point of Unification,
 *   DSB ISH                         where instruction fetches look;
 *   IC IVAU each instruction line   drop stale instructions,
 *   DSB ISH                         finished on every CPU,
 *   ISB                             and none fetched early on this one.
 *
 * CTR_EL0.IDC = 1 says the clean is not needed, DIC = 1 the invalidation.
 * Line sizes come from CTR_EL0, the smallest of any level. IC IVAU by the
 * PMO's address does not reach a VIPT instruction cache's lines for the
 * user's address (another index), so there the whole cache is invalidated
 * (IC IALLUIS), as Linux does for an aliasing instruction cache.
 */
void arch_sync_icache(const void *va, u64 size)
{
    const u64 ctr = read_sysreg(ctr_el0);
    const uintptr_t start = (uintptr_t)va, end = start + size;

    if (!size)
        return;
    if (!(ctr & CTR_EL0_IDC)) {
        const u64 line = 4UL << ((ctr >> CTR_EL0_DMINLINE_SHIFT) & 0xf);
        for (uintptr_t p = ALIGN_DOWN(start, line); p < end; p += line)
            __asm__ volatile("dc cvau, %0" : : "r"(p) : "memory");
    }
    __asm__ volatile("dsb ish" : : : "memory");
    if (!(ctr & CTR_EL0_DIC)) {
        if (((ctr >> CTR_EL0_L1IP_SHIFT) & 3) == CTR_EL0_L1IP_VIPT) {
            __asm__ volatile("ic ialluis" : : : "memory");
        } else {
            const u64 line = 4UL << ((ctr >> CTR_EL0_IMINLINE_SHIFT) & 0xf);
            for (uintptr_t p = ALIGN_DOWN(start, line); p < end; p += line)
                __asm__ volatile("ic ivau, %0" : : "r"(p) : "memory");
        }
        __asm__ volatile("dsb ish" : : : "memory");
    }
    __asm__ volatile("isb" : : : "memory");
}

paddr_t arch_mmu_kernel_root(void)
{
    return read_sysreg(ttbr1_el1) & A64_ADDR;
}

/* boot.S: the switch, in .boot.text, and AARCH64_SWITCH_TABLES zeroed pages for it. */
extern const u64 aarch64_switch_ttbr1_pa;
extern char aarch64_switch_tables[];

/*
 * The switch breaks the whole upper half before making it again (boot.S,
 * aarch64_switch_ttbr1, has the Arm ARM's reasons), so it runs from a
 * mapping in TTBR0 that the switch leaves alone: one 2 MiB block, VA ==
 * PA, over the code (.boot is smaller than a block: kernel.lds.S). The
 * lower half is turned off and invalidated before that block goes in and
 * after it goes out, so none of its translations meets another for the
 * same address; TTBR0 and TCR_EL1.EPD0 are left as they were (boot.S's
 * identity map until arch_remove_identity_map).
 */
void arch_mmu_set_kernel_root(paddr_t root)
{
    pte_t *empty = (pte_t *)aarch64_switch_tables;
    pte_t *l0 = empty + PT_ENTRIES, *l1 = l0 + PT_ENTRIES, *l2 = l1 + PT_ENTRIES;
    const paddr_t code = aarch64_switch_ttbr1_pa;
    const paddr_t block = ALIGN_DOWN(code, pt_level_size(1));
    const u64 tcr = read_sysreg(tcr_el1), ttbr0 = read_sysreg(ttbr0_el1);
    void (*switch_ttbr1)(paddr_t root, paddr_t empty) = (void (*)(paddr_t, paddr_t))code;

    memset(aarch64_switch_tables, 0, AARCH64_SWITCH_TABLES * PAGE_SIZE);
    l0[pt_index(block, 3)] = pte_make_table(virt_to_phys(l1), false);
    l1[pt_index(block, 2)] = pte_make_table(virt_to_phys(l2), false);
    l2[pt_index(block, 1)] = pte_make_leaf(block, 1, VM_READ | VM_EXEC);

    write_sysreg(tcr_el1, tcr | TCR_EPD0);
    isb();
    arch_tlb_invalidate_all();
    write_sysreg(ttbr0_el1, virt_to_phys(l0));
    isb();
    write_sysreg(tcr_el1, tcr & ~TCR_EPD0);
    isb();

    switch_ttbr1(root, virt_to_phys(empty));

    write_sysreg(tcr_el1, tcr | TCR_EPD0);
    isb();
    arch_tlb_invalidate_all();
    write_sysreg(ttbr0_el1, ttbr0);
    write_sysreg(tcr_el1, tcr);
    isb();
}

/*
 * The PL011 console. pl011.c reaches it at the address boot.S's early map
 * gave it, and keeps doing so across the switch to the final tables: the
 * first ioremap lands at MMIO_BASE, where the early map put the PL011.
 */
void arch_mmu_map_devices(struct vm_space *kernel)
{
    void *uart = ioremap(PL011_PHYS, PAGE_SIZE);

    if ((uintptr_t)uart != EARLY_UART_VA)
        panic("arch_mmu_map_devices: the PL011 mapped at %p, not at its early address 0x%lx", uart,
              (unsigned long)EARLY_UART_VA);
}

/* ID_AA64MMFR1_EL1.PAN, bits [23:20]: nonzero when PSTATE.PAN exists (FEAT_PAN). */
#define ID_AA64MMFR1_PAN_SHIFT 20
#define SCTLR_EL1_SPAN         (1UL << 23) /* 0: exceptions to EL1 set PAN */
/* MSR PAN, #1, written out: older assemblers reject the name without -march=armv8.1-a. */
#define MSR_PAN_1              ".inst 0xd500419f"

static bool pan_enabled;

paddr_t arch_mmu_user_root(void)
{
    if (read_sysreg(tcr_el1) & TCR_EPD0)
        return PADDR_NONE;
    return read_sysreg(ttbr0_el1) & A64_ADDR;
}

bool arch_mmu_user_access_blocked(void)
{
    return pan_enabled;
}

/* A user address space has a root of its own, for TTBR0: the kernel half
 * is in TTBR1, shared as it is. */
void arch_mmu_init_user_root(paddr_t root)
{
}

/*
 * TTBR0_EL1 is the user half's root (the kernel's is TTBR1_EL1's). Duet
 * does not use ASIDs: every user mapping is tagged with ASID 0, so no
 * translation of the space switched from may survive a switch, and kernel
 * entries go too (they refill from TTBR1); ASIDs would save that cost and
 * are a lab challenge (docs/user-mode.md).
 */
void arch_mmu_switch_user(paddr_t root)
{
    if (root == PADDR_NONE) {
        aarch64_lower_half_off();
        return;
    }
    write_sysreg(ttbr0_el1, root);
    write_sysreg(tcr_el1, read_sysreg(tcr_el1) & ~TCR_EPD0);
    __asm__ volatile("isb" : : : "memory");
    arch_tlb_invalidate_all();
}

/*
 * SCTLR_EL1.WXN, "write implies execute-never": every page writable at EL1
 * is never executable at EL1, whatever its PXN bit says. The CPU may cache
 * its effect in TLB entries (Arm ARM, SCTLR_EL1.WXN), and a write to
 * SCTLR_EL1 takes effect for later instructions only after a context
 * synchronisation event.
 */
void arch_mmu_enable_protections(char *buf, size_t size)
{
    size_t n;

    /* LAB 4 BEGIN: arch_mmu_enable_protections (WXN) */
    /* LAB 4 STUB: n = (size_t)snprintf(buf, size, "no WXN (lab 4 not implemented)"); */
    write_sysreg(sctlr_el1, read_sysreg(sctlr_el1) | SCTLR_EL1_WXN);
    isb();
    arch_tlb_invalidate_all();
    n = (size_t)snprintf(buf, size, "WXN");
    /* LAB 4 END */

    if ((read_sysreg(id_aa64mmfr1_el1) >> ID_AA64MMFR1_PAN_SHIFT) & 0xf) {
        write_sysreg(sctlr_el1, read_sysreg(sctlr_el1) & ~SCTLR_EL1_SPAN);
        __asm__ volatile(MSR_PAN_1 : : : "memory");
        isb();
        pan_enabled = true;
        snprintf(buf + n, size - MIN(n, size), " PAN");
    }
}
