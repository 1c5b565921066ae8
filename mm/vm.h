/*
 * The generic page-table walker: map, unmap, translate and change
 * permissions of any range, in 4 KiB, 2 MiB and 1 GiB pages, on both
 * arches (docs/paging.md). Encodings come from mm/arch_mmu.h.
 *
 * Every table is reached through the PMO (phys_to_virt). Table pages come
 * from pt_alloc_page(): the early allocator before the buddy allocator
 * runs, the buddy allocator after.
 */
#ifndef MM_VM_H
#define MM_VM_H

#include <duet/types.h>
#include <mm/arch_mmu.h>

/* An address space as the walker sees it: the root table. */
struct vm_space {
    paddr_t root;
    bool user; /* its tables may hold user mappings */
};

/* Errors (negative), named like LK's. */
#define VM_OK             0
#define VM_ERR_NO_MEMORY  (-1) /* no page for a table: nothing was changed */
#define VM_ERR_EXISTS     (-2) /* part of the range is already mapped */
#define VM_ERR_INVALID    (-3) /* unaligned, empty, or outside the space's half */
#define VM_ERR_NOT_MAPPED (-4) /* translate: nothing there */

const char *vm_strerror(int err);
/* "VM_ERR_EXISTS" for VM_ERR_EXISTS, NULL for a code that is not a VM_* one. */
const char *vm_err_name(long err);

/*
 * Map [va, va + size) to [pa, pa + size) with VM_* flags, using the
 * largest pages that alignment allows, up to max_level (0: 4 KiB only,
 * 1: up to 2 MiB, 2: up to 1 GiB where the CPU has them). A range that
 * overlaps a live mapping is refused; on any error nothing stays mapped.
 */
int vm_map(struct vm_space *s, vaddr_t va, paddr_t pa, u64 size, unsigned flags,
           unsigned max_level);
/* Unmap [va, va + size): huge pages that straddle its ends are split, and
 * tables left empty are freed. Unmapped holes inside the range are fine.
 * A huge page that maps the very table holding its entry is not split
 * (VM_ERR_INVALID): break-before-make would unmap the table it writes. */
int vm_unmap(struct vm_space *s, vaddr_t va, u64 size);
/* Set the permissions of every page in [va, va + size), splitting huge
 * pages that straddle its ends. The whole range must be mapped, and
 * `flags` must keep each page's memory type, global bit and VM_USER
 * (VM_ERR_INVALID otherwise: those change only by unmapping and mapping
 * again, since a live entry cannot take them without break-before-make). */
int vm_protect(struct vm_space *s, vaddr_t va, u64 size, unsigned flags);

/*
 * Point the live leaf whose first address is va at pa instead, with
 * flags: same size, new page (copy-on-write gives a writer its own copy).
 * Break-before-make, so no TLB holds the old entry when it returns. It
 * needs no memory: VM_OK, or VM_ERR_NOT_MAPPED (no leaf there) /
 * VM_ERR_INVALID (va not the leaf's first address, pa not aligned to its
 * size, or the flags' fixed attributes differ, as for vm_protect).
 */
int vm_replace_leaf(struct vm_space *s, vaddr_t va, paddr_t pa, unsigned flags);

struct vm_translation {
    paddr_t pa;     /* of va itself */
    u64 page_size;  /* of the leaf that maps it */
    unsigned flags; /* VM_* of that leaf */
    unsigned level; /* where the leaf is */
};
int vm_translate(struct vm_space *s, vaddr_t va, struct vm_translation *out);

/* The entries a walk for va reads, root first: entries[i] is at level
 * PT_ROOT_LEVEL - i. Returns how many were read (it stops at a leaf or an
 * invalid entry). */
unsigned vm_walk(struct vm_space *s, vaddr_t va, pte_t entries[PT_LEVELS]);

/* Visit every leaf of the space's own half in address order: for ptdump,
 * the W^X audit, address spaces, tests. */
typedef void (*vm_leaf_fn)(vaddr_t va, paddr_t pa, unsigned level, unsigned flags, void *arg);
void vm_for_each_leaf (struct vm_space *s, vm_leaf_fn fn, void *arg);
/*
 * Visit every table of the space's own half, the root first, each before
 * the tables below it: its physical address, level, the first virtual
 * address it maps, and its first n entries (the root's owned entries, or
 * all 512).
 */
typedef void (*vm_table_fn)(paddr_t pa, unsigned level, vaddr_t base, const pte_t *table,
                            unsigned n, void *arg);
void vm_for_each_table(struct vm_space *s, vm_table_fn fn, void *arg);
/* Pages of tables below the root in the space's own half (the root excluded). */
u64 vm_table_pages(struct vm_space *s);

/* Table pages: provided by mm/physmem.c (by the test in host builds). */
paddr_t pt_alloc_page(void); /* zeroed, or PADDR_NONE */
void pt_free_page(paddr_t pa);
/* Tests: make pt_alloc_page fail after `pages` more pages (-1: never fail). */
void pt_alloc_fail_after(long pages);

#endif
