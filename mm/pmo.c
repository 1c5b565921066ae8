/*
 * The PMO (mm/pmo.h): virt_to_phys(), and pmo_expand(), which maps every
 * RAM range of the memory map at PHYS_OFFSET + PA with the largest pages
 * each piece allows.
 */
#include <duet/compiler.h>
#include <duet/monitor.h>
#include <duet/panic.h>
#include <duet/printk.h>
#include <duet/sections.h>
#include <mm/pmo.h>
#include <mm/memmap.h>
#include <mm/vm.h>

/* What the PMO maps now: boot.S's first GiB, then all RAM after pmo_expand. */
static paddr_t pmo_lo = EARLY_PMO_PHYS, pmo_hi = EARLY_PMO_PHYS + EARLY_PMO_SIZE;

/*
 * The kernel image's half is given: physmem_init needs it from lab 1 on, to
 * reserve the image. Until lab 3's half is written, a PMO address (or a
 * stray pointer) stops the kernel with a message rather than getting a
 * wrong answer; nothing on the boot path of labs 1 and 2 asks for one.
 */
paddr_t virt_to_phys(const void *va)
{
    uintptr_t v = (uintptr_t)va;

    if (v >= (uintptr_t)__kernel_start && v < (uintptr_t)__kernel_end)
        return v - KERNEL_VIRT_BASE + KERNEL_PHYS_BASE;
    /* LAB 3 BEGIN: virt_to_phys (PMO addresses) */
    /* LAB 3 STUB: panic("lab 3: not implemented: virt_to_phys(%p): only kernel-image addresses work yet", va); */
    if (pmo_contains(va))
        return pmo_virt_to_phys(va);
    panic("virt_to_phys: %p is neither in the PMO nor in the kernel image", va);
    /* LAB 3 END */
}

paddr_t pmo_ram_start(void)
{
    return pmo_lo;
}

paddr_t pmo_ram_end(void)
{
    return pmo_hi;
}

struct page_census {
    u64 pages[PT_LEVELS];
};

/* What pmo_expand did, for the `pmo` monitor command. */
static struct page_census census;
static u64 census_tables, census_bytes;

static __unused void count_pmo_leaf(vaddr_t va, paddr_t pa, unsigned level, unsigned flags,
                                    void *arg)
{
    struct page_census *c = arg;

    if (va >= PHYS_OFFSET && va < PMO_END)
        c->pages[level]++;
}

void pmo_expand(struct vm_space *kernel, const struct memmap *m)
{
    /* LAB 3 BEGIN: pmo_expand */
    /* LAB 3 STUB: printf("pmo: lab 3 not implemented (pmo_expand): no PMO in the kernel's new tables " */
    /* LAB 3 STUB:        "(boot.S's map the first GiB)\n"); */
    /* LAB 3 STUB: return; */
    const unsigned flags = VM_KERNEL_RW;
    u64 tables_before = vm_table_pages(kernel), bytes = 0;
    paddr_t lo = PADDR_NONE, hi = 0;

    /* Join RAM regions into runs of whole pages, so a run can use a 1 GiB
     * page across a region boundary: the next RAM region joins the run when
     * it starts in the run's last page or right after it, even past a
     * non-RAM region that shares that page. */
    for (size_t i = 0; i < m->count; i++) {
        if (!mem_type_is_ram(m->regions[i].type))
            continue;
        paddr_t start = ALIGN_DOWN(m->regions[i].base, (paddr_t)PAGE_SIZE);
        paddr_t end = ALIGN_UP(m->regions[i].base + m->regions[i].size, (paddr_t)PAGE_SIZE);
        for (size_t j = i + 1;
             j < m->count && ALIGN_DOWN(m->regions[j].base, (paddr_t)PAGE_SIZE) <= end; j++)
            if (mem_type_is_ram(m->regions[j].type)) {
                end = ALIGN_UP(m->regions[j].base + m->regions[j].size, (paddr_t)PAGE_SIZE);
                i = j;
            }
        if (end > PMO_END - PHYS_OFFSET)
            panic("pmo_expand: RAM at [0x%llx, 0x%llx) lies beyond the PMO's %llu TiB",
                  (unsigned long long)start, (unsigned long long)end,
                  (unsigned long long)((PMO_END - PHYS_OFFSET) >> 40));
        int err = vm_map(kernel, PHYS_OFFSET + start, start, end - start, flags, 2);
        if (err)
            panic("pmo_expand: cannot map [0x%llx, 0x%llx): %s", (unsigned long long)start,
                  (unsigned long long)end, vm_strerror(err));
        lo = MIN(lo, start);
        hi = MAX(hi, end);
        bytes += end - start;
    }
    if (lo >= hi)
        panic("pmo_expand: the memory map has no RAM");

    struct page_census c = { 0 };
    vm_for_each_leaf (kernel, count_pmo_leaf, &c)
        ;
    census = c;
    census_tables = vm_table_pages(kernel) - tables_before;
    census_bytes = bytes;
    printf("pmo: %llu MiB of RAM at 0x%llx: %llu x 1 GiB, %llu x 2 MiB, %llu x 4 KiB pages; "
           "%llu table pages\n",
           (unsigned long long)(bytes >> 20), (unsigned long long)(PHYS_OFFSET + lo),
           (unsigned long long)c.pages[2], (unsigned long long)c.pages[1],
           (unsigned long long)c.pages[0],
           (unsigned long long)(vm_table_pages(kernel) - tables_before));
    pmo_lo = lo;
    pmo_hi = hi;
    /* LAB 3 END */
}

static int cmd_pmo(int argc, char **argv)
{
    printf("PMO: PA 0x%llx..0x%llx at 0x%llx (%llu MiB of RAM mapped)\n",
           (unsigned long long)pmo_lo, (unsigned long long)pmo_hi,
           (unsigned long long)(PHYS_OFFSET + pmo_lo), (unsigned long long)(census_bytes >> 20));
    printf("  pages: %llu x 1 GiB, %llu x 2 MiB, %llu x 4 KiB; %llu table pages\n",
           (unsigned long long)census.pages[2], (unsigned long long)census.pages[1],
           (unsigned long long)census.pages[0], (unsigned long long)census_tables);
    return 0;
}
MONITOR_COMMAND(pmo, "the PMO: what RAM it maps and with which page sizes", cmd_pmo);
