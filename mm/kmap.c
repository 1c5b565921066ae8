/*
 * kmap_init(): the kernel's final page tables. boot.S mapped the kernel
 * with 2 MiB pages, all of it writable and executable, plus an identity
 * map; here every segment gets its own permissions (W^X: nothing is both
 * writable and executable) and the PMO grows to all RAM. The tables are
 * built off to the side and switched to at once, so no live mapping is
 * changed under the code that is running.
 */
#include <duet/compiler.h>
#include <duet/errno.h>
#include <duet/panic.h>
#include <duet/printk.h>
#include <duet/sections.h>
#include <mm/kmap.h>
#include <mm/pmo.h>

struct vm_space kernel_space;

/* True in a lab-3 handout until vm_map works: the kernel then stays on
 * boot.S's tables (kernel_space.root is PADDR_NONE) and says so. */
static bool walker_missing;

static void map_segment(const char *name, const char *start, const char *end, unsigned flags)
{
    u64 size = ALIGN_UP((u64)(end - start), (u64)PAGE_SIZE);
    int err =
        vm_map(&kernel_space, (vaddr_t)start, virt_to_phys(start), size, flags | VM_GLOBAL, 1);

    if (err == -ENOSYS) {
        walker_missing = true;
        return;
    }
    if (err)
        panic("kmap_init: cannot map %s at %p: %s", name, start, vm_strerror(err));
}

void kmap_init(const struct memmap *m)
{
    kernel_space = (struct vm_space){ .root = pt_alloc_page(), .user = false };
    if (kernel_space.root == PADDR_NONE)
        panic("kmap_init: no page for the kernel's root table");

    /* Address spaces that copy the kernel's root entries (x86_64) must never
     * see one appear later: make every kernel-half entry now. */
    if (arch_mmu_kernel_tables_shared()) {
        pte_t *root = phys_to_virt(kernel_space.root);
        for (unsigned i = PT_ENTRIES / 2; i < PT_ENTRIES; i++) {
            paddr_t t = pt_alloc_page();
            if (t == PADDR_NONE)
                panic("kmap_init: no page for kernel table %u", i);
            root[i] = pte_make_table(t, false);
        }
    }

    pmo_expand(&kernel_space, m);
    /* LAB 4 BEGIN: kmap_init (segment permissions) */
    /* LAB 4 STUB: map_segment("the kernel image", __kernel_start, __boot_tables_start, */
    /* LAB 4 STUB:             VM_READ | VM_WRITE | VM_EXEC); */
    map_segment("the boot stack", __boot_stack_bottom, __boot_stack_top, VM_READ | VM_WRITE);
    map_segment(".text", __text_start, __text_end, VM_READ | VM_EXEC);
    map_segment(".rodata", __rodata_start, __rodata_end, VM_READ);
    /* Not boot.S's tables at the end of .bss: their pages go to the buddy allocator. */
    map_segment(".data and .bss", __data_start, __boot_tables_start, VM_READ | VM_WRITE);
    /* LAB 4 END */
    if (walker_missing) {
        printf("kmap: lab 3 not implemented (vm_map): staying on boot.S's tables\n");
        kernel_space.root = PADDR_NONE;
        return;
    }
    arch_mmu_map_devices(&kernel_space);
    arch_mmu_set_kernel_root(kernel_space.root);

    char on[96];
    arch_mmu_enable_protections(on, sizeof(on));
    printf("kmap: kernel tables live; protections: %s\n", on);
}
