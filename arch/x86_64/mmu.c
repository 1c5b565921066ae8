/*
 * x86_64 TLB maintenance and page-table roots (the mm/arch_mmu.h contract;
 * the entry encodings are in include/arch/mmu.h).
 *
 * invlpg drops the TLB entries for one address, global ones included, and
 * the paging-structure caches on its way (SDM Vol. 3A 4.10.4.1). Past a
 * few dozen pages one full flush is cheaper; reloading CR3 keeps global
 * entries, so the full flush toggles CR4.PGE, which drops them all.
 */
#include <duet/compiler.h>
#include <duet/printk.h>
#include <duet/layout.h>
#include <mm/arch_mmu.h>
#include <duet/panic.h>
#include <mm/memmap.h>
#include <mm/pmo.h>
#include <arch/x86.h>
#include "x86_64.h"

#define INVLPG_MAX_PAGES   32
#define CPUID_EXT_1G_PAGES (1u << 26) /* CPUID 0x80000001 EDX: Page1GB */

bool arch_mmu_has_1g_pages(void)
{
    static int known = -1;
    u32 a, b, c, d;

    if (known < 0) {
        cpuid(0x80000000, 0, &a, &b, &c, &d);
        known = 0;
        if (a >= 0x80000001) {
            cpuid(0x80000001, 0, &a, &b, &c, &d);
            known = (d & CPUID_EXT_1G_PAGES) != 0;
        }
    }
    return known;
}

void arch_pte_sync(void)
{
    barrier(); /* x86's walker sees stores in order; keep the compiler honest */
}

void arch_tlb_invalidate_all(void)
{
    u64 cr4;

    __asm__ volatile("mov %%cr4, %0" : "=r"(cr4));
    __asm__ volatile("mov %0, %%cr4" : : "r"(cr4 & ~CR4_PGE) : "memory");
    __asm__ volatile("mov %0, %%cr4" : : "r"(cr4) : "memory");
}

/*
 * Nothing to do: x86's instruction fetches see data writes to the same
 * physical memory, through any linear address (SDM Vol. 3A 11.6,
 * "Self-Modifying Code": the check is made on physical addresses). Code
 * written by one processor and run by another needs a serializing
 * instruction on the runner (SDM Vol. 3A 8.1.3, "Handling Self- and
 * Cross-Modifying Code"); Duet runs on one CPU, which enters a program
 * by IRETQ, serializing anyway.
 */
void arch_sync_icache(const void *va, u64 size)
{
}

void arch_tlb_invalidate(vaddr_t va, size_t size)
{
    if (size / PAGE_SIZE > INVLPG_MAX_PAGES) {
        arch_tlb_invalidate_all();
        return;
    }
    /* Counted in pages: a range that ends at 2^64 has va + size == 0. */
    vaddr_t p = ALIGN_DOWN(va, PAGE_SIZE);
    for (u64 n = size ? (va + size - 1 - p) / PAGE_SIZE + 1 : 0; n; n--, p += PAGE_SIZE)
        __asm__ volatile("invlpg (%0)" : : "r"(p) : "memory");
}

/* The kernel's root; CR3 holds a user address space's root while one runs. */
static paddr_t kernel_root;

paddr_t arch_mmu_kernel_root(void)
{
    return kernel_root ? kernel_root : (read_cr3() & X86_PTE_ADDR);
}

void arch_mmu_set_kernel_root(paddr_t root)
{
    kernel_root = root;
    write_cr3(root);
    arch_tlb_invalidate_all(); /* the old tables' global entries too */
}

/*
 * copy_kernel_mappings: a user root shares the kernel half by pointing its
 * entries 256..511 at the kernel's own level-2 tables. kmap_init made all
 * 256 of them at boot and never frees them, so the copy cannot go stale.
 */
void arch_mmu_init_user_root(paddr_t root)
{
    const pte_t *kernel = phys_to_virt(arch_mmu_kernel_root());
    pte_t *user = phys_to_virt(root);

    for (unsigned i = PT_ENTRIES / 2; i < PT_ENTRIES; i++)
        user[i] = kernel[i];
}

/*
 * The user half lives in the same root as the kernel half, so switching
 * is loading CR3 with the address space's root, which drops every
 * non-global TLB entry: the user ones (SDM Vol. 3A 4.10.4.1). The
 * kernel's are global and survive.
 */
void arch_mmu_switch_user(paddr_t root)
{
    write_cr3(root == PADDR_NONE ? arch_mmu_kernel_root() : root);
}

void arch_mmu_map_devices(struct vm_space *kernel)
{
    /* The console is COM1 through port I/O: nothing to map. */
}

/* CPUID leaf 7 (SDM Vol. 2A, CPUID): structured extended features. */
#define CPUID7_EBX_SMEP (1u << 7)
#define CPUID7_EBX_SMAP (1u << 20)
#define CPUID7_ECX_LA57 (1u << 16)  /* 5-level paging */
#define CR4_SMEP        (1UL << 20) /* no kernel fetch from user pages */
#define CR4_SMAP        (1UL << 21) /* no kernel data access to user pages (but with stac) */

paddr_t arch_mmu_user_root(void)
{
    paddr_t root = read_cr3() & X86_PTE_ADDR;

    return root == arch_mmu_kernel_root() ? PADDR_NONE : root;
}

bool arch_mmu_user_access_blocked(void)
{
    u64 cr4;

    __asm__ volatile("mov %%cr4, %0" : "=r"(cr4));
    return cr4 & CR4_SMAP;
}

void arch_mmu_enable_protections(char *buf, size_t size)
{
    u32 max, b, c, d, eax;
    u64 cr4;

    /* WP and NXE are on since boot.S. */
    size_t n = (size_t)snprintf(buf, size, "WP NX");
    cpuid(0, 0, &max, &b, &c, &d);
    if (max < 7)
        return;
    cpuid(7, 0, &eax, &b, &c, &d);
    __asm__ volatile("mov %%cr4, %0" : "=r"(cr4));
    if (b & CPUID7_EBX_SMEP) {
        cr4 |= CR4_SMEP;
        n += (size_t)snprintf(buf + n, size - MIN(n, size), " SMEP");
    }
    if (b & CPUID7_EBX_SMAP) {
        cr4 |= CR4_SMAP;
        n += (size_t)snprintf(buf + n, size - MIN(n, size), " SMAP");
    }
    __asm__ volatile("mov %0, %%cr4" : : "r"(cr4) : "memory");
    /* Duet stays on 4 levels; say when the CPU could do 5 (docs/paging.md). */
    if (c & CPUID7_ECX_LA57)
        snprintf(buf + n, size - MIN(n, size), " (5-level paging available, not used)");
}

/* boot.S: the early PMO's page directory, and zeroed page tables for its edges. */
extern u64 pd_pmo[];
extern char x86_edge_tables[], x86_edge_tables_end[];

/*
 * boot.S mapped only the first 2 MiB, the image and the Multiboot2 block
 * in the PMO: it had not read the memory map. Now C has: map the rest of
 * the first GiB's RAM (what the early allocator hands out), 2 MiB pages
 * where a whole one is RAM that nothing reserves, a page table of 4 KiB
 * pages where only part is, nothing over holes or I/O. Only entries that
 * were not present become present, and the CPU caches no translation
 * through a non-present entry (SDM Vol. 3A 4.10.2.3 and 4.10.3.1), so
 * nothing needs invalidating.
 */
void x86_64_early_map_ram(const struct memmap *raw)
{
    const unsigned max_edges = (unsigned)((x86_edge_tables_end - x86_edge_tables) / PAGE_SIZE);
    unsigned edges = 0;
    u64 blocks = 0, pages = 0;

    for (unsigned i = 1; i < PT_ENTRIES; i++) {
        paddr_t pa = (paddr_t)i * pt_level_size(1);
        enum memmap_ram kind = memmap_ram_in(raw, pa, pt_level_size(1));

        if (pte_is_valid(pd_pmo[i]) || kind == MEMMAP_RAM_NONE)
            continue; /* boot.S's (the image, the Multiboot2 block), or nothing */
        if (kind == MEMMAP_RAM_ALL) {
            pd_pmo[i] = pte_make_leaf(pa, 1, VM_KERNEL_RW);
            blocks++;
            continue;
        }
        if (edges == max_edges)
            panic("x86_64: more than %u 2 MiB pages of the first GiB are RAM only in part "
                  "(x86_edge_tables, arch/x86_64/boot.S)",
                  max_edges);
        pte_t *pt = (pte_t *)(x86_edge_tables + edges++ * PAGE_SIZE);
        for (unsigned j = 0; j < PT_ENTRIES; j++) {
            paddr_t p = pa + (u64)j * PAGE_SIZE;
            if (memmap_ram_in(raw, p, PAGE_SIZE) == MEMMAP_RAM_ALL) {
                pt[j] = pte_make_leaf(p, 0, VM_KERNEL_RW);
                pages++;
            }
        }
        pd_pmo[i] = pte_make_table(virt_to_phys(pt), false);
    }
    printf("x86_64: early PMO: the first 2 MiB, the image, the loader's block, "
           "and %llu x 2 MiB, %llu x 4 KiB of RAM\n",
           (unsigned long long)blocks, (unsigned long long)pages);
}
