/*
 * physmem_init(): from the firmware's raw regions to allocators.
 *
 *   1. the raw regions the arch parsed, printed as they came;
 *   2. plus the kernel image (its .boot part and the higher half);
 *   3. normalised and printed again;
 *   4. the early allocator over the part of RAM the PMO already maps;
 *   5. the kernel's own page tables (mm/kmap.c): the PMO over all RAM and
 *      the kernel image with per-segment permissions; boot.S's tables are
 *      unused from then on and become usable RAM;
 *   6. the buddy allocator over every page still usable.
 *
 * The monitor command `memmap` prints the map as it is now.
 */
#include <duet/cmdline.h>
#include <duet/monitor.h>
#include <duet/panic.h>
#include <duet/printk.h>
#include <duet/sections.h>
#include <duet/string.h>
#include <mm/aspace.h>
#include <mm/buddy.h>
#include <mm/early.h>
#include <mm/kmap.h>
#include <mm/poison.h>
#include <mm/ptdump.h>
#include <mm/physmem.h>
#include <mm/pmo.h>

struct memmap kernel_memmap;
static const struct memmap *firmware_memmap;
static bool buddy_ready;

const struct memmap *physmem_firmware_map(void)
{
    return firmware_memmap;
}

static void reserve_or_panic(paddr_t base, u64 size, enum mem_type type, const char *what)
{
    int err = memmap_add(&kernel_memmap, base, size, type);

    if (err)
        panic("physmem: cannot record %s [0x%llx, +0x%llx): %s", what, (unsigned long long)base,
              (unsigned long long)size, memmap_strerror(err));
}

void physmem_init(struct boot_info *bi)
{
    int err;

    kernel_memmap = bi->raw;
    firmware_memmap = &bi->raw;
    memmap_print(&kernel_memmap, "as the firmware described it");
    if (memmap_total(&kernel_memmap, MEM_USABLE) == 0)
        panic("physmem: the memory map from the %s has no usable RAM", bi->fw_name);

    /* .boot runs at its physical address: its VA is its PA. */
    reserve_or_panic((paddr_t)(uintptr_t)__boot_start, (u64)(__boot_end - __boot_start), MEM_KERNEL,
                     "the kernel's .boot");
    reserve_or_panic(virt_to_phys(__kernel_start), (u64)(__boot_tables_start - __kernel_start),
                     MEM_KERNEL, "the kernel image");
    reserve_or_panic(virt_to_phys(__boot_tables_start),
                     (u64)(__boot_tables_end - __boot_tables_start), MEM_BOOT_TABLES,
                     "boot.S's page tables");
    /* Never hand out the first 64 KiB of physical memory: on x86 the
     * real-mode interrupt table and the BIOS data area live there (firmware
     * reports them as usable; Linux keeps them too, X86_RESERVE_LOW), and a
     * valid page at physical address 0 would hide a stray zero address.
     * (AArch64 virt has no RAM there: nothing to reserve.) */
    for (size_t i = 0; i < bi->raw.count; i++)
        if (bi->raw.regions[i].type == MEM_USABLE &&
            bi->raw.regions[i].base < LOW_MEMORY_RESERVED) {
            reserve_or_panic(0, LOW_MEMORY_RESERVED, MEM_RESERVED, "the first 64 KiB");
            break;
        }
    err = memmap_normalize(&kernel_memmap);
    if (err)
        panic("physmem: cannot normalise the memory map: %s", memmap_strerror(err));
    memmap_print(&kernel_memmap, "normalised");

    early_init(&kernel_memmap, pmo_ram_start(), pmo_ram_end());

    /* The kernel's own tables, with the PMO over all RAM; their pages come
     * from the early allocator. Then the buddy allocator takes the rest. */
    kmap_init(&kernel_memmap);
    /* A lab-3 handout without a walker yet stays on boot.S's tables. */
    bool kmap_live = kernel_space.root != PADDR_NONE;
    if (kmap_live) {
        err = memmap_release(&kernel_memmap, MEM_BOOT_TABLES);
        if (err)
            panic("physmem: cannot free boot.S's page tables: %s", memmap_strerror(err));
        printf("physmem: %llu KiB of boot.S's page tables freed\n",
               (unsigned long long)((u64)(__boot_tables_end - __boot_tables_start) / 1024));
    }
    buddy_init(&kernel_memmap, pmo_ram_start(), pmo_ram_end());
    buddy_ready = true;
    aspace_init_kernel();

    /* Like Linux's CONFIG_DEBUG_WX: no page may be writable and executable.
     * Under test (ktest=) a violation fails the boot. */
    u64 wx = kmap_live ? wx_audit(&kernel_space, true) : 0;
    printf("wx: %llu pages writable and executable\n", (unsigned long long)wx);
    if (wx && cmdline_has("ktest"))
        panic("wx: %llu pages are writable and executable", (unsigned long long)wx);
    if (kmap_live && cmdline_has("ptdump"))
        ptdump(&kernel_space);
    u64 usable = memmap_total(&kernel_memmap, MEM_USABLE);
    printf("buddy: %llu KiB free in %llu pages, bitmap %llu bytes\n",
           (unsigned long long)(buddy_free_pages_count() * PAGE_SIZE / 1024),
           (unsigned long long)buddy_managed_pages(), (unsigned long long)buddy_metadata_bytes());
    if (buddy_managed_pages() * PAGE_SIZE != usable)
        panic("physmem: the buddy allocator manages %llu of %llu usable bytes",
              (unsigned long long)(buddy_managed_pages() * PAGE_SIZE), (unsigned long long)usable);
}

/* For tests: after this many more table pages, pt_alloc_page fails (-1: never). */
static long pt_fail_after = -1;

void pt_alloc_fail_after(long pages)
{
    pt_fail_after = pages;
}

/* Page tables: from the early allocator until the buddy allocator runs. */
paddr_t pt_alloc_page(void)
{
    if (pt_fail_after == 0)
        return PADDR_NONE;
    if (pt_fail_after > 0)
        pt_fail_after--;
    paddr_t pa = buddy_ready ? buddy_alloc_pages_zeroed(0) : early_alloc_pages(1);

    /* The zeroes must reach the table walker before the entry that points
     * at this table does: on AArch64 stores are not ordered for the walker
     * without a barrier (Arm ARM D8.2.6, "Ordering of memory accesses from
     * translation table walks"): DSB ISHST. On x86 a no-op. */
    arch_pte_sync();
    return pa;
}

/* A freed table page is poisoned (mm/poison.h): a walk through a table
 * freed too early faults at once instead of reading what the page held. */
void pt_free_page(paddr_t pa)
{
    memset(phys_to_virt(pa), POISON_FREE, PAGE_SIZE);
    /* A table the early allocator made stays reserved: the buddy allocator
     * never owned it. */
    if (memmap_type_at(&kernel_memmap, pa) != MEM_EARLY_ALLOC)
        buddy_free_pages(pa, 0);
}

static int cmd_memmap(int argc, char **argv)
{
    memmap_print(&kernel_memmap, "now");
    printf("usable: %llu KiB\n",
           (unsigned long long)(memmap_total(&kernel_memmap, MEM_USABLE) / 1024));
    return 0;
}
MONITOR_COMMAND(memmap, "print the physical memory map", cmd_memmap);
