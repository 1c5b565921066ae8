/*
 * Address spaces (docs/user-mode.md): a user half of its own, the kernel
 * half shared. x86_64 copies the kernel's root entries 256..511 into each
 * new root; AArch64 keeps the kernel in TTBR1 and gives each address
 * space its own TTBR0 root.
 *
 * An address space owns every page mapped in its user half and every
 * table below its root: destroying it gives all of them back. Page-table
 * changes go through its lock, taken with interrupts masked.
 */
#ifndef MM_ASPACE_H
#define MM_ASPACE_H

#include <duet/fault.h>
#include <duet/spinlock.h>
#include <duet/types.h>
#include <mm/vm.h>
#include <mm/vma.h>

struct aspace {
    struct vm_space vm; /* the root; vm.user is true */
    unsigned refs;
    struct spinlock lock;
    /* The heap: [heap_start, brk), mapped a page at a time on first touch. */
    vaddr_t heap_start, brk;
    /* mmap's regions (mm/vma.h), in [USER_MMAP_BASE, USER_MMAP_TOP),
     * mapped a page at a time on first touch too. */
    struct vma_list mmaps;
    /* What aspace_map_zeroed mapped (a program's segments, its stack),
     * with the permissions aspace_protect gave it last. Together with the
     * heap, the stack's growth and mmaps, it says what each user page may
     * allow: a page mapped read-only where its region allows writing is
     * copy-on-write (aspace_fork), since no arch bit in the entry says so. */
    struct vma_list fixed;
};

/*
 * The kernel's own address space, as a handle like any other (its vm is
 * kernel_space): made by aspace_init_kernel() once the PMO and the kernel
 * mappings are final, never destroyed. Switching to it means running with
 * no user half.
 */
void aspace_init_kernel(void);
struct aspace *aspace_kernel(void);

/* A new, empty address space with one reference, or NULL when out of memory. */
struct aspace *aspace_create(void);
void aspace_get(struct aspace *as);
/* Drop a reference; the last one destroys the address space. */
void aspace_put(struct aspace *as);

/*
 * A copy: every user page copied into a fresh page of the same size
 * (2 MiB pages stay 2 MiB), with the same permissions, and the same heap.
 * NULL when out of memory, with nothing left allocated.
 */
struct aspace *aspace_clone(struct aspace *as);

/*
 * fork(2)'s address space (docs/user-mode.md, "Copy-on-write"): a child
 * that shares every user page of `as` instead of copying it, with the same
 * heap and regions. A page `as` may write becomes read-only in both, and
 * the first write to it in either copies it (aspace_fault); read-only pages
 * and MAP_SHARED regions' pages stay as they are, shared. 2 MiB pages are
 * shared as 2 MiB pages and copied whole on the first write. Each shared
 * block is counted in mm/pageref.h. The parent's TLB holds no writable
 * entry for a shared page when it returns. NULL when out of memory, with
 * nothing of the child left (the parent's pages made read-only so far stay
 * so, and become writable again at their first write, uncopied).
 */
struct aspace *aspace_fork(struct aspace *as);

/* Make `as` the user half of this CPU (NULL: none). */
void aspace_switch(struct aspace *as);
/* The address space switched to last, or NULL. */
struct aspace *aspace_current(void);

/*
 * Map fresh zeroed pages over [va, va + size) with VM_* flags (VM_USER is
 * added): 2 MiB pages where alignment allows and memory is there, 4 KiB
 * otherwise. 0, or -ENOMEM / -EEXIST / -EINVAL with nothing mapped. Flags
 * with both VM_WRITE and VM_EXEC are -EINVAL here and in aspace_protect:
 * no user page is ever writable and executable at once.
 */
int aspace_map_zeroed(struct aspace *as, vaddr_t va, u64 size, unsigned flags);
/*
 * Change the permissions of [va, va + size), all mapped by
 * aspace_map_zeroed. 0 or -EINVAL / -ENOMEM. A page shared copy-on-write
 * stays read-only however writable it is made: its first write copies it.
 */
int aspace_protect(struct aspace *as, vaddr_t va, u64 size, unsigned flags);

/*
 * Both of the above hand every page they make executable to
 * arch_sync_icache (mm/arch_mmu.h) first: its contents were written
 * through the PMO. The bytes handed over so far, for the tests: no
 * emulator here shows a missing instruction cache flush, so the proc
 * suite checks that the loader's executable segments go through.
 */
extern u64 aspace_icache_synced_bytes;
/* Unmap [va, va + size) and free the pages (holes are fine; a shared page
 * loses a reference, and is freed with its last). 0, -EINVAL, or -ENOMEM
 * (no memory to record what stays mapped) with nothing unmapped. */
int aspace_unmap(struct aspace *as, vaddr_t va, u64 size);

/*
 * A user access to va faulted (the CPU's fault, or copy_to_user finding a
 * page it may not write): make it succeed if the address space allows it.
 * The first touch of a heap, stack-growth or mmap page maps a zeroed page;
 * a write to a copy-on-write page gives the writer a copy of its own, or
 * the page itself, writable, when nobody else maps it any more.
 *   0        the access may be retried
 *   -EFAULT  a real fault: nothing is allowed there, or not this access
 *   -ENOMEM  the access is allowed but no memory was left to make it so:
 *            the process layer ends the process saying "out of memory"
 */
int aspace_fault(struct aspace *as, vaddr_t va, enum fault_access access);

/*
 * brk(2): move the end of the heap to `addr` and return the new end, or
 * the old one unchanged when addr is 0, below heap_start, more than
 * USER_HEAP_MAX above it or past USER_STACK_GUARD (the heap never reaches
 * the stack's guard page), or memory ran out. Growing maps nothing;
 * shrinking frees the pages past the new end.
 */
vaddr_t aspace_brk(struct aspace *as, vaddr_t addr);

/*
 * Anonymous memory (mmap(2), munmap(2), mprotect(2), mincore(2); the
 * system calls in kernel/syscall.c take these numbers). A region is
 * recorded at once and its pages are made zeroed on first touch, with
 * the region's permissions; a touch the permissions forbid is a fault.
 * Regions live in [USER_MMAP_BASE, USER_MMAP_TOP), apart from the
 * program's segments, heap and stack.
 */
#define PROT_NONE     0
#define PROT_READ     1
#define PROT_WRITE    2
#define PROT_EXEC     4
#define MAP_SHARED    0x01
#define MAP_PRIVATE   0x02
#define MAP_FIXED     0x10
#define MAP_ANONYMOUS 0x20
/*
 * An anonymous region of len bytes (rounded up to pages) with prot: at
 * addr with MAP_FIXED (page-aligned; whatever was mapped there goes), else
 * at addr if that range is free, else the highest free range. Exactly one
 * of MAP_PRIVATE and MAP_SHARED. A MAP_SHARED region's pages are all made
 * here, zeroed, not on first touch: a child forked later maps the same
 * pages, writable in both, so what one writes the other reads, whichever
 * touched it first (PROT_NONE is refused for it: x86 has no present page
 * without read access). The address, or -EINVAL (len 0, bad flags or prot,
 * writable and executable at once, MAP_FIXED outside the area), -ENOMEM
 * (no room or no memory).
 */
long aspace_mmap(struct aspace *as, vaddr_t addr, u64 len, unsigned prot, unsigned flags);
/* Unmap [addr, addr + len) of the area, holes and all: 0 or -EINVAL. */
int aspace_munmap(struct aspace *as, vaddr_t addr, u64 len);
/* Change the permissions of [addr, addr + len), which regions must cover:
 * 0, -EINVAL (also PROT_NONE over a MAP_SHARED region), or -ENOMEM (a part
 * not mapped, as mprotect(2) says). Mapped pages take the new permissions
 * at once, in this address space only; a page shared copy-on-write stays
 * read-only until its first write copies it. */
int aspace_mprotect(struct aspace *as, vaddr_t addr, u64 len, unsigned prot);
/* Whether each page of [addr, addr + len) is in memory now: vec[i] 1 or 0. */
int aspace_mincore(struct aspace *as, vaddr_t addr, u64 len, u8 *vec);

/* Bytes of user memory mapped now (tests, `ps`). */
u64 aspace_mapped_bytes(struct aspace *as);

#endif
