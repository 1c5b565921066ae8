/*
 * Regions of a user address space that are mapped on demand (mm/vma.c):
 * today the anonymous mappings of mmap(2). A region says what may be
 * there; its pages appear on first touch (aspace_fault) and go at munmap.
 * A list sorted by address, no two regions overlapping, each page-aligned
 * and never empty.
 */
#ifndef MM_VMA_H
#define MM_VMA_H

#include <duet/types.h>

struct vma {
    vaddr_t start, end; /* [start, end) */
    unsigned prot;      /* VM_READ | VM_WRITE | VM_EXEC: what the pages allow; VMA_SHARED */
    struct vma *next;
};

struct vma_list {
    struct vma *head;
};

/*
 * A mark kept in prot beside the permissions: the region's pages are
 * shared with the address spaces forked from this one (MAP_SHARED), not
 * copied on write. vma_protect keeps it; only the permissions change.
 */
#define VMA_SHARED (1u << 16)

/* The region holding va, or NULL. */
struct vma *vma_find(const struct vma_list *l, vaddr_t va);
/* True when no region meets [start, end). */
bool vma_range_free(const struct vma_list *l, vaddr_t start, vaddr_t end);
/*
 * The highest start of a free range of `size` bytes inside [lo, hi), page
 * aligned: mmap places a mapping where the caller gave no address, top
 * down as Linux does. 0 when none is free.
 */
vaddr_t vma_find_gap(const struct vma_list *l, u64 size, vaddr_t lo, vaddr_t hi);

/* Add [start, end) with prot: 0, -EEXIST when it meets a region, -ENOMEM. */
int vma_insert(struct vma_list *l, vaddr_t start, vaddr_t end, unsigned prot);
/* Remove [start, end) from every region it meets, splitting the regions it
 * cuts (holes are fine): 0, or -ENOMEM with nothing changed. */
int vma_remove(struct vma_list *l, vaddr_t start, vaddr_t end);
/* Give [start, end), which regions must cover wholly, the protection prot
 * (each region keeps its VMA_SHARED mark), splitting at its ends: 0, -ENOMEM when some part is not in a region (as
 * mprotect(2) says) or memory ran out, nothing changed then. */
int vma_protect(struct vma_list *l, vaddr_t start, vaddr_t end, unsigned prot);
/* Free every region. */
void vma_free_all(struct vma_list *l);
/* Make `to` (empty) a copy of `from`: 0, or -ENOMEM with `to` left empty. */
int vma_copy(struct vma_list *to, const struct vma_list *from);

#endif
