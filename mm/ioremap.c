/*
 * ioremap (mm/ioremap.h): a bump allocator over the MMIO window and a
 * small table of what it has mapped, so a device mapped twice shares one
 * mapping. Nothing is ever unmapped: drivers keep their registers for
 * the life of the kernel.
 *
 * The first mapping lands at MMIO_BASE itself; AArch64 relies on that to
 * keep its console where boot.S's early map put it (arch/aarch64/mmu.c).
 */
#include <duet/monitor.h>
#include <duet/printk.h>
#include <mm/ioremap.h>
#include <mm/kmap.h>
#include <mm/physmem.h>

#define IOREMAP_MAX 32

static struct io_mapping {
    paddr_t pa; /* page aligned */
    u64 size;   /* whole pages */
    vaddr_t va;
} mappings[IOREMAP_MAX];
static size_t nmappings;
static vaddr_t next_va = MMIO_BASE;

/* Device registers never share a page with RAM: the PMO maps RAM as normal
 * memory, and two mappings with different memory types are not allowed. */
static bool overlaps_ram(paddr_t pa, u64 size)
{
    for (size_t i = 0; i < kernel_memmap.count; i++) {
        const struct mem_region *r = &kernel_memmap.regions[i];
        if (mem_type_is_ram(r->type) && pa < r->base + r->size && r->base < pa + size)
            return true;
    }
    return false;
}

void *ioremap(paddr_t pa, u64 size)
{
    paddr_t base = ALIGN_DOWN(pa, (paddr_t)PAGE_SIZE);
    u64 offset = pa - base;

    if (size == 0 || pa + size - 1 < pa) {
        printf("ioremap: bad range 0x%llx + 0x%llx\n", (unsigned long long)pa,
               (unsigned long long)size);
        return NULL;
    }
    u64 bytes = ALIGN_UP(offset + size, (u64)PAGE_SIZE);

    for (size_t i = 0; i < nmappings; i++) {
        const struct io_mapping *m = &mappings[i];
        if (base >= m->pa && base + bytes <= m->pa + m->size)
            return (void *)(m->va + (base - m->pa) + offset);
    }
    if (overlaps_ram(base, bytes)) {
        printf("ioremap: [0x%llx, 0x%llx) is RAM: reach it through phys_to_virt\n",
               (unsigned long long)base, (unsigned long long)(base + bytes));
        return NULL;
    }
    if (nmappings == IOREMAP_MAX || bytes > MMIO_END - next_va) {
        printf("ioremap: the MMIO window is full\n");
        return NULL;
    }

    int err =
        vm_map(&kernel_space, next_va, base, bytes, VM_READ | VM_WRITE | VM_DEVICE | VM_GLOBAL, 0);
    if (err) {
        printf("ioremap: cannot map 0x%llx: %s\n", (unsigned long long)base, vm_strerror(err));
        return NULL;
    }
    mappings[nmappings++] = (struct io_mapping){ base, bytes, next_va };
    /* One unmapped page after each mapping: a driver that runs past its
     * registers faults instead of poking the next device. */
    vaddr_t va = next_va;
    next_va += bytes + PAGE_SIZE;
    return (void *)(va + offset);
}

static int cmd_iomem(int argc, char **argv)
{
    printf("  %-18s   %-18s  %10s\n", "physical", "virtual", "size");
    for (size_t i = 0; i < nmappings; i++)
        printf("  0x%016llx   0x%016llx  %10llu\n", (unsigned long long)mappings[i].pa,
               (unsigned long long)mappings[i].va, (unsigned long long)mappings[i].size);
    return 0;
}
MONITOR_COMMAND(iomem, "list the device memory mapped with ioremap", cmd_iomem);
