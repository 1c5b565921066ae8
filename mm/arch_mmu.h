/*
 * The page-table contract between mm/vm.c and each arch (LK's arch_mmu,
 * Linux's pgtable helpers). The generic walker knows the shape all Duet
 * machines share: 4 levels of 512 eight-byte entries, 4 KiB granule,
 * 48-bit virtual addresses. The arch knows only how an entry is encoded
 * and how its TLB is kept coherent.
 *
 * Levels are numbered by what a leaf there maps:
 *   level 3  root (x86 PML4, AArch64 L0)   512 GiB per entry, tables only
 *   level 2  (PDPT, L1)                    1 GiB leaves where the CPU has them
 *   level 1  (PD, L2)                      2 MiB leaves
 *   level 0  (PT, L3)                      4 KiB leaves
 *
 * Each arch implements, in arch/<arch>/include/arch/mmu.h:
 *   typedef u64 pte_t;
 *   bool    pte_is_valid(pte_t e);
 *   bool    pte_is_table(pte_t e, unsigned level);   next-level table (level >= 1)
 *   paddr_t pte_address(pte_t e);                    the table's or the page's PA
 *   pte_t   pte_make_table(paddr_t table, bool user);
 *           user: the table may hold user mappings; kernel-only tables
 *           carry no user permission at all
 *   pte_t   pte_make_leaf(paddr_t pa, unsigned level, unsigned vm_flags);
 *   unsigned pte_leaf_flags(pte_t e, unsigned level); VM_* flags of a leaf
 *   bool    arch_mmu_has_1g_pages(void);
 *   bool    arch_mmu_has_wxn(void);
 *           true where the CPU can make every writable page never executable
 *           (AArch64 SCTLR_EL1.WXN); ARCH_RETURN_INSN is a return instruction
 *   bool    arch_mmu_kernel_tables_shared(void);
 *           true where address spaces copy the kernel's root entries
 *           (x86_64): every kernel-half root entry must then exist from boot
 * and, in arch/<arch>/mmu.c:
 *   void arch_pte_sync(void);          make table writes visible to the walker
 *   void arch_tlb_invalidate(vaddr_t va, size_t size);
 *   void arch_tlb_invalidate_all(void);
 *   paddr_t arch_mmu_kernel_root(void);    root of the kernel half now
 *   void arch_mmu_set_kernel_root(paddr_t root);
 *   void arch_mmu_map_devices(struct vm_space *kernel);  early MMIO (console)
 *   void arch_mmu_enable_protections(char *buf, size_t size);
 *           once the final tables are live: turn on what keeps the kernel
 *           from executing or touching user memory (x86 SMEP/SMAP, AArch64
 *           PAN) and writable memory from executing (AArch64 WXN), where
 *           the CPU has it; buf gets their names for the boot log
 *   void arch_mmu_init_user_root(paddr_t root);
 *           a new address space's root table, zeroed: give it the kernel
 *           half where the arch needs it there (x86_64 copies the kernel
 *           root's entries 256..511: copy_kernel_mappings)
 *   void arch_mmu_switch_user(paddr_t root);
 *           make `root` the user half (PADDR_NONE: no user half at all)
 *   paddr_t arch_mmu_user_root(void);
 *           the root the CPU walks for user-half addresses now, PADDR_NONE
 *           when it walks none (x86_64: CR3 is the kernel's root, whose user
 *           half is empty; AArch64: TCR_EL1.EPD0 is set)
 *   bool arch_mmu_user_access_blocked(void);
 *           true when the kernel faults on touching user memory directly
 *           (x86 SMAP, AArch64 PAN are on)
 *   void arch_sync_icache(const void *va, u64 size);
 *           the kernel wrote [va, va + size) (a kernel address, usually the
 *           PMO's alias of the pages) and the bytes are about to be run as
 *           code, at that or any other address: make instruction fetches
 *           see the writes. Called after the writes and before the first
 *           instruction is fetched from them, for every page whose contents
 *           are written and then mapped executable (mm/aspace.c). AArch64:
 *           clean the data cache to the point of unification, invalidate
 *           the instruction cache (Arm ARM, "Synchronization and coherency
 *           issues between data and instruction accesses"); x86_64: nothing
 *           (SDM Vol. 3A 11.6)
 */
#ifndef MM_ARCH_MMU_H
#define MM_ARCH_MMU_H

#include <duet/types.h>

/* Generic permission and type flags of a mapping. */
#define VM_READ   (1u << 0)
#define VM_WRITE  (1u << 1)
#define VM_EXEC   (1u << 2)
#define VM_USER   (1u << 3)
#define VM_DEVICE (1u << 4) /* device memory: uncached, strongly ordered */
#define VM_GLOBAL (1u << 5) /* the same in every address space (kernel) */

/* Kernel data: the PMO, and the scratch pages of the in-kernel tests. */
#define VM_KERNEL_RW (VM_READ | VM_WRITE | VM_GLOBAL)

#define PT_LEVELS     4
#define PT_ROOT_LEVEL 3
#define PT_ENTRIES    512

static inline unsigned pt_level_shift(unsigned level)
{
    return 12 + 9 * level;
}

static inline u64 pt_level_size(unsigned level)
{
    return 1ULL << pt_level_shift(level);
}

static inline unsigned pt_index(vaddr_t va, unsigned level)
{
    return (va >> pt_level_shift(level)) & (PT_ENTRIES - 1);
}

struct vm_space;

#include <arch/mmu.h>

void arch_pte_sync(void);
void arch_tlb_invalidate(vaddr_t va, size_t size);
void arch_tlb_invalidate_all(void);
paddr_t arch_mmu_kernel_root(void);
void arch_mmu_set_kernel_root(paddr_t root);
void arch_mmu_map_devices(struct vm_space *kernel);
void arch_mmu_enable_protections(char *buf, size_t size);
void arch_mmu_init_user_root(paddr_t root);
void arch_mmu_switch_user(paddr_t root);
paddr_t arch_mmu_user_root(void);
bool arch_mmu_user_access_blocked(void);
void arch_sync_icache(const void *va, u64 size);

#endif
