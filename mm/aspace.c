/*
 * Address spaces (mm/aspace.h). The page-table work is mm/vm.c's; this
 * file decides which pages an address space owns and when they come and
 * go. Every user page is a block from the buddy allocator, 4 KiB or
 * 2 MiB, so the leaf's level says which order to give back.
 */
#include <duet/errno.h>
#include <duet/layout.h>
#include <duet/panic.h>
#include <duet/printk.h>
#include <duet/string.h>
#include <mm/aspace.h>
#include <mm/buddy.h>
#include <mm/kmalloc.h>
#include <mm/kmap.h>
#include <mm/pageref.h>
#include <mm/pmo.h>

#define HUGE_ORDER 9 /* a 2 MiB page: 2^9 pages of 4 KiB */

static struct aspace *current_aspace;
static struct aspace kernel_aspace;
u64 aspace_icache_synced_bytes;

/*
 * The buddy order of the block that a user leaf at `level` (vm.h's
 * numbering) maps at va: the block is exactly the leaf's size. A leaf of
 * a size no user page has means corrupt tables: panic, naming va.
 */
static unsigned leaf_order(unsigned level, vaddr_t va)
{
    /* LAB 5 BEGIN: leaf_order */
    if (level > 1)
        panic("aspace: a 1 GiB user page at 0x%lx; user pages are 4 KiB or 2 MiB",
              (unsigned long)va);
    return level * HUGE_ORDER;
    /* LAB 5 END */
}

static int errno_of(int vm_err)
{
    switch (vm_err) {
    case VM_ERR_NO_MEMORY: return -ENOMEM;
    case VM_ERR_EXISTS: return -EEXIST;
    default: return -EINVAL;
    }
}

static int errno_of_or_0(int vm_err)
{
    return vm_err ? errno_of(vm_err) : 0;
}

void aspace_init_kernel(void)
{
    kernel_aspace = (struct aspace){
        .vm = kernel_space,
        .refs = 1, /* held by the kernel itself, for good */
        .lock = SPINLOCK_INIT("kernel aspace"),
    };
}

struct aspace *aspace_kernel(void)
{
    return kernel_aspace.refs ? &kernel_aspace : NULL;
}

struct aspace *aspace_create(void)
{
    /* LAB 5 BEGIN: aspace_create */
    /* LAB 5 STUB: printf("aspace: lab 5 not implemented (aspace_create)\n"); */
    /* LAB 5 STUB: return NULL; */
    struct aspace *as = kzalloc(sizeof(*as));

    if (!as)
        return NULL;
    paddr_t root = pt_alloc_page();
    if (root == PADDR_NONE) {
        kfree(as);
        return NULL;
    }
    arch_mmu_init_user_root(root);
    as->vm = (struct vm_space){ .root = root, .user = true };
    as->refs = 1;
    as->lock = (struct spinlock)SPINLOCK_INIT("aspace");
    return as;
    /* LAB 5 END */
}

void aspace_get(struct aspace *as)
{
    unsigned long flags = spin_lock_irqsave(&as->lock);

    as->refs++;
    spin_unlock_irqrestore(&as->lock, flags);
}

/*
 * A user leaf that mapped the block at pa (of `order`) is gone: drop its
 * reference (mm/pageref.h) and give the block back with the last one. The
 * leaf must be unmapped already, its TLB entries invalidated: the block
 * may be reused as soon as this returns.
 */
static void put_user_page(paddr_t pa, unsigned order)
{
    /* LAB 6 BEGIN: put_user_page */
    /* LAB 6 STUB: buddy_free_pages(pa, order); */
    if (page_ref_put(pa) == 0)
        buddy_free_pages(pa, order);
    /* LAB 6 END */
}

/* vm_for_each_leaf's callback for aspace_destroy: give back the block one user leaf maps. */
static __unused void free_user_leaf(vaddr_t va, paddr_t pa, unsigned level, unsigned flags,
                                    void *arg)
{
    /* LAB 5 BEGIN: free_user_leaf */
    put_user_page(pa, leaf_order(level, va));
    /* LAB 5 END */
}

static void aspace_destroy(struct aspace *as)
{
    /* LAB 5 BEGIN: aspace_destroy */
    /* LAB 5 STUB: printf("aspace: lab 5 not implemented (aspace_destroy): the space's pages leak\n"); */
    if (current_aspace == as)
        aspace_switch(NULL);
    /* The pages first, then the tables: unmapping the whole user half
     * frees every table that held them. */
    vm_for_each_leaf (&as->vm, free_user_leaf, NULL)
        ;
    int err = vm_unmap(&as->vm, 0, USER_END);
    if (err)
        panic("aspace_destroy: unmapping the user half: %s", vm_strerror(err));
    pt_free_page(as->vm.root);
    kfree(as);
    /* LAB 5 END */
}

void aspace_put(struct aspace *as)
{
    unsigned long flags = spin_lock_irqsave(&as->lock);

    if (as->refs == 0)
        panic("aspace_put: %p has no references left", as);
    if (as == &kernel_aspace && as->refs == 1)
        panic("aspace_put: the kernel's address space is never destroyed");
    unsigned left = --as->refs;
    spin_unlock_irqrestore(&as->lock, flags);
    if (left == 0) {
        vma_free_all(&as->mmaps);
        vma_free_all(&as->fixed);
        aspace_destroy(as);
    }
}

void aspace_switch(struct aspace *as)
{
    bool user = as && as->vm.user;

    arch_mmu_switch_user(user ? as->vm.root : PADDR_NONE);
    current_aspace = user ? as : NULL;
}

struct aspace *aspace_current(void)
{
    return current_aspace;
}

static bool user_range_ok(vaddr_t va, u64 size)
{
    return size && IS_ALIGNED(va | size, (u64)PAGE_SIZE) && va >= USER_BASE && va + size > va &&
           va + size <= USER_END;
}

/* W^X for user pages: a page the program can write and run is a page it
 * can put code in. Refused even for a moment (a loader filling text). */
static bool writable_and_executable(unsigned flags)
{
    return (flags & (VM_WRITE | VM_EXEC)) == (VM_WRITE | VM_EXEC);
}

/*
 * [va, va + size) is becoming executable and its pages were written
 * through the PMO (a loader's copy, or zeroing): let instruction fetches
 * see that, page by page through the same alias. The lock is held.
 */
static void sync_icache_locked(struct aspace *as, vaddr_t va, u64 size)
{
    struct vm_translation tr;

    for (vaddr_t addr = va; addr < va + size;) {
        if (vm_translate(&as->vm, addr, &tr) != VM_OK) {
            addr += PAGE_SIZE;
            continue;
        }
        u64 n = MIN(tr.page_size - (addr & (tr.page_size - 1)), va + size - addr);
        arch_sync_icache(phys_to_virt(tr.pa), n);
        aspace_icache_synced_bytes += n;
        addr += n;
    }
}

/* Does a huge page stick out of either end of [va, end)? It cannot be half freed. */
static bool cuts_a_huge_page(struct aspace *as, vaddr_t va, vaddr_t end)
{
    struct vm_translation tr;

    return (vm_translate(&as->vm, va, &tr) == VM_OK && !IS_ALIGNED(va, tr.page_size)) ||
           (vm_translate(&as->vm, end - 1, &tr) == VM_OK && !IS_ALIGNED(end, tr.page_size));
}

/* Unmap and free what lies in [va, va + size); the lock is held. */
static int unmap_locked(struct aspace *as, vaddr_t va, u64 size)
{
    struct vm_translation tr;
    vaddr_t end = va + size;

    if (cuts_a_huge_page(as, va, end))
        return -EINVAL;

    for (vaddr_t addr = va; addr < end;) {
        if (vm_translate(&as->vm, addr, &tr) != VM_OK) {
            addr += PAGE_SIZE;
            continue;
        }
        /* Unmap before freeing: the page must be unreachable first. */
        vm_unmap(&as->vm, addr, tr.page_size);
        put_user_page(tr.pa, leaf_order(tr.level, addr));
        addr += tr.page_size;
    }
    return 0;
}

int aspace_unmap(struct aspace *as, vaddr_t va, u64 size)
{
    if (!user_range_ok(va, size))
        return -EINVAL;
    unsigned long flags = spin_lock_irqsave(&as->lock);
    int err = -EINVAL;

    /* The record of what aspace_map_zeroed mapped goes with the pages;
     * vma_remove fails, if at all, before it changes anything. */
    if (!cuts_a_huge_page(as, va, va + size)) {
        err = vma_remove(&as->fixed, va, va + size);
        if (!err)
            err = unmap_locked(as, va, size);
    }
    spin_unlock_irqrestore(&as->lock, flags);
    return err;
}

int aspace_map_zeroed(struct aspace *as, vaddr_t va, u64 size, unsigned flags)
{
    if (!user_range_ok(va, size) || writable_and_executable(flags))
        return -EINVAL;

    unsigned long irq = spin_lock_irqsave(&as->lock);
    vaddr_t done = va;
    int err = vma_insert(&as->fixed, va, va + size, flags & (VM_READ | VM_WRITE | VM_EXEC));
    bool recorded = !err;

    while (!err && done < va + size) {
        bool huge = IS_ALIGNED(done, PAGE_SIZE << HUGE_ORDER) &&
                    va + size - done >= (PAGE_SIZE << HUGE_ORDER);
        unsigned order = huge ? HUGE_ORDER : 0;
        paddr_t pa = buddy_alloc_pages_zeroed(order);

        if (pa == PADDR_NONE && order) { /* no 2 MiB block: 4 KiB will do */
            order = 0;
            pa = buddy_alloc_pages_zeroed(0);
        }
        if (pa == PADDR_NONE) {
            err = -ENOMEM;
            break;
        }
        int verr = vm_map(&as->vm, done, pa, PAGE_SIZE << order, flags | VM_USER, order ? 1 : 0);
        if (verr) {
            buddy_free_pages(pa, order);
            err = errno_of(verr);
            break;
        }
        done += PAGE_SIZE << order;
    }
    if (err && done > va)
        unmap_locked(as, va, done - va);
    if (err && recorded) /* exactly the record made above: no split, cannot fail */
        vma_remove(&as->fixed, va, va + size);
    else if (!err && (flags & VM_EXEC))
        sync_icache_locked(as, va, size); /* zeroed through the PMO */
    spin_unlock_irqrestore(&as->lock, irq);
    return err;
}

/* Is va in a MAP_SHARED region, whose pages fork shares writable? */
static bool in_shared_region(struct aspace *as, vaddr_t va)
{
    const struct vma *region = vma_find(&as->mmaps, va);

    return region && (region->prot & VMA_SHARED);
}

/*
 * The flags the leaf `tr` that maps va may have when its region allows
 * `flags`: without VM_WRITE while another address space maps the same
 * block copy-on-write, since a write must copy it first (aspace_fault).
 */
static unsigned cow_flags(struct aspace *as, vaddr_t va, const struct vm_translation *tr,
                          unsigned flags)
{
    paddr_t block = ALIGN_DOWN(tr->pa, (paddr_t)tr->page_size);

    if ((flags & VM_WRITE) && !in_shared_region(as, va) && page_ref_count(block) > 1)
        flags &= ~VM_WRITE;
    return flags;
}

/* vm_protect over [va, va + size), all mapped, leaf by leaf as cow_flags says. */
static int protect_locked(struct aspace *as, vaddr_t va, u64 size, unsigned flags)
{
    struct vm_translation tr;

    for (vaddr_t addr = va; addr < va + size;) {
        if (vm_translate(&as->vm, addr, &tr) != VM_OK)
            return VM_ERR_NOT_MAPPED;
        u64 n = MIN(tr.page_size - (addr & (tr.page_size - 1)), va + size - addr);
        int err = vm_protect(&as->vm, addr, n, cow_flags(as, addr, &tr, flags));
        if (err)
            return err;
        addr += n;
    }
    return VM_OK;
}

int aspace_protect(struct aspace *as, vaddr_t va, u64 size, unsigned flags)
{
    struct vm_translation tr;

    if (!user_range_ok(va, size) || writable_and_executable(flags))
        return -EINVAL;
    unsigned long irq = spin_lock_irqsave(&as->lock);
    int err = 0;
    /* All mapped, or nothing changes. */
    for (vaddr_t addr = va; !err && addr < va + size; addr += PAGE_SIZE)
        if (vm_translate(&as->vm, addr, &tr) != VM_OK)
            err = -EINVAL;
    if (!err)
        err = vma_protect(&as->fixed, va, va + size, flags & (VM_READ | VM_WRITE | VM_EXEC));
    if (!err)
        err = errno_of_or_0(protect_locked(as, va, size, flags | VM_USER));
    if (!err && (flags & VM_EXEC))
        sync_icache_locked(as, va, size);
    spin_unlock_irqrestore(&as->lock, irq);
    return err;
}

/* The VM_* flags a region's PROT_* give its pages. A writable page is
 * readable too: neither arch has write-only user pages. */
static unsigned prot_flags(unsigned prot)
{
    unsigned f = VM_USER;

    if (prot & (PROT_READ | PROT_WRITE))
        f |= VM_READ;
    if (prot & PROT_WRITE)
        f |= VM_WRITE;
    if (prot & PROT_EXEC)
        f |= VM_EXEC;
    return f;
}

/*
 * A write to the page at va, which its region lets the program write,
 * faulted because the leaf `tr` that maps it is read-only: the block is
 * shared copy-on-write (aspace_fork). Give this address space a writable
 * block of its own: a copy of the whole leaf (4 KiB or 2 MiB) while
 * others map the block too, else the block itself made writable. `flags`
 * are the leaf's flags with VM_WRITE. The lock is held. 0, or -ENOMEM
 * with nothing changed.
 */
static __unused int cow_fault(struct aspace *as, vaddr_t va, const struct vm_translation *tr,
                              unsigned flags)
{
    /* LAB 6 BEGIN: cow_fault */
    /* LAB 6 STUB: printf("aspace: lab 6 not implemented (cow_fault)\n"); */
    /* LAB 6 STUB: return -EFAULT; */
    vaddr_t base = ALIGN_DOWN(va, (vaddr_t)tr->page_size);
    paddr_t old = ALIGN_DOWN(tr->pa, (paddr_t)tr->page_size);
    unsigned order = leaf_order(tr->level, va);

    if (page_ref_count(old) == 1) /* the others are gone: no copy needed */
        return vm_protect(&as->vm, base, tr->page_size, flags) ? -ENOMEM : 0;
    paddr_t copy = buddy_alloc_pages(order);
    if (copy == PADDR_NONE)
        return -ENOMEM;
    memcpy(phys_to_virt(copy), phys_to_virt(old), tr->page_size);
    /* A new output address for a live entry: break-before-make, and the
     * old translation leaves the TLB before the old block can be freed. */
    if (vm_replace_leaf(&as->vm, base, copy, flags))
        panic("cow_fault: the leaf at 0x%lx cannot be replaced", (unsigned long)base);
    put_user_page(old, order);
    return 0;
    /* LAB 6 END */
}

/* A lab 7 stub says once what is missing, and what happens instead. */
static __unused void lab7_missing(bool *said, const char *what, const char *instead)
{
    if (!*said)
        printf("aspace: lab 7 not implemented (%s): %s\n", what, instead);
    *said = true;
}

/*
 * The first touch of a page nobody mapped yet, where its region allows
 * that touch (aspace_fault checked): the heap, the stack's growth, mmap's
 * regions. Map a page of zeros at `page` with `flags`; the lock is held.
 * 0 (the access is retried), or -ENOMEM with nothing mapped.
 */
static int demand_page(struct aspace *as, vaddr_t page, unsigned flags)
{
    /* LAB 7 BEGIN: demand_page */
    /* LAB 7 STUB: static bool said; */
    /* LAB 7 STUB: lab7_missing(&said, "demand_page", "a page nobody mapped yet faults"); */
    /* LAB 7 STUB: return -EFAULT; */
    paddr_t pa = buddy_alloc_pages_zeroed(0);

    if (pa == PADDR_NONE)
        return -ENOMEM;
    if (vm_map(&as->vm, page, pa, PAGE_SIZE, flags, 0)) {
        buddy_free_pages(pa, 0);
        return -ENOMEM;
    }
    /* Its zeros were written through the PMO: a page that may run must be
     * seen by the instruction fetches too. */
    if (flags & VM_EXEC)
        sync_icache_locked(as, page, PAGE_SIZE);
    return 0;
    /* LAB 7 END */
}

/* The VM_* flags the page at va may have, from its region; 0 when none has it. */
static unsigned region_flags(struct aspace *as, vaddr_t va)
{
    const struct vma *region = vma_find(&as->mmaps, va);
    const struct vma *fixed = vma_find(&as->fixed, va);
    bool in_heap = va >= as->heap_start && va < ALIGN_UP(as->brk, (vaddr_t)PAGE_SIZE);
    /* The stack grows into [USER_STACK_LIMIT, USER_STACK_BOTTOM) as it is
     * touched; the guard page under it never is. */
    bool in_stack = va >= USER_STACK_LIMIT && va < USER_STACK_BOTTOM;

    if (region)
        return prot_flags(region->prot);
    if (fixed)
        return fixed->prot | VM_USER;
    if (in_heap || in_stack) /* never executable */
        return VM_READ | VM_WRITE | VM_USER;
    return 0;
}

int aspace_fault(struct aspace *as, vaddr_t va, enum fault_access access)
{
    vaddr_t page = ALIGN_DOWN(va, (vaddr_t)PAGE_SIZE);
    struct vm_translation tr;

    unsigned long flags = spin_lock_irqsave(&as->lock);
    bool lazy = vma_find(&as->fixed, page) == NULL; /* what map_zeroed mapped is never lazy */
    unsigned map_flags = region_flags(as, page);
    int err = -EFAULT;

    /* The access must be one the region allows. */
    if ((access == FAULT_EXEC && !(map_flags & VM_EXEC)) ||
        (access == FAULT_WRITE && !(map_flags & VM_WRITE)) || !(map_flags & VM_READ))
        goto out;
    if (vm_translate(&as->vm, page, &tr) == VM_OK) {
        /* Mapped already: a write to a read-only page the region lets the
         * program write is copy-on-write; anything else broke the page's
         * permissions. */
        if (access == FAULT_WRITE && !(tr.flags & VM_WRITE))
            err = cow_fault(as, page, &tr, tr.flags | VM_WRITE);
    } else if (lazy) {
        err = demand_page(as, page, map_flags);
    }
out:
    spin_unlock_irqrestore(&as->lock, flags);
    return err;
}

/* --- mmap's regions ------------------------------------------------------------------- */

/* Known bits only, and W^X as for every user page (writable_and_executable). */
static bool prot_ok(unsigned prot)
{
    return !(prot & ~(unsigned)(PROT_READ | PROT_WRITE | PROT_EXEC)) &&
           !writable_and_executable(prot_flags(prot));
}

static bool mmap_range_ok(vaddr_t addr, u64 len)
{
    return len && IS_ALIGNED(addr, (u64)PAGE_SIZE) && addr >= USER_MMAP_BASE && addr + len > addr &&
           addr + len <= USER_MMAP_TOP;
}

/*
 * Map zeroed 4 KiB pages over [va, va + size) with flags, all of them now,
 * each as its first touch would (demand_page): a MAP_SHARED region's. The
 * lock is held. 0, or -ENOMEM with nothing mapped. (__unused: only lab 7's
 * aspace_mmap calls it.)
 */
static __unused int map_now_locked(struct aspace *as, vaddr_t va, u64 size, unsigned flags)
{
    for (vaddr_t page = va; page < va + size; page += PAGE_SIZE) {
        if (demand_page(as, page, flags)) {
            if (page > va)
                unmap_locked(as, va, page - va);
            return -ENOMEM;
        }
    }
    return 0;
}

long aspace_mmap(struct aspace *as, vaddr_t addr, u64 len, unsigned prot, unsigned flags)
{
    const unsigned known = MAP_SHARED | MAP_PRIVATE | MAP_FIXED | MAP_ANONYMOUS;
    bool shared = flags & MAP_SHARED;

    if (len == 0 || len > USER_MMAP_TOP - USER_MMAP_BASE)
        return len ? -ENOMEM : -EINVAL;
    /* Anonymous memory, private or shared (exactly one of the two). */
    if ((flags & ~known) || shared == !!(flags & MAP_PRIVATE) || !(flags & MAP_ANONYMOUS) ||
        !prot_ok(prot) || (shared && prot == PROT_NONE))
        return -EINVAL;

    /* LAB 7 BEGIN: aspace_mmap */
    /* LAB 7 STUB: return -ENOSYS; */
    len = ALIGN_UP(len, (u64)PAGE_SIZE);
    unsigned long irq = spin_lock_irqsave(&as->lock);
    long result;
    if (flags & MAP_FIXED) {
        if (!mmap_range_ok(addr, len)) {
            result = -EINVAL;
        } else if (vma_remove(&as->mmaps, addr, addr + len)) {
            result = -ENOMEM;
        } else {
            unmap_locked(as, addr, len); /* 4 KiB pages only here: cannot fail */
            result = (long)addr;
        }
    } else {
        /* The hint's page if the range there is free, else the highest free range. */
        vaddr_t hint = ALIGN_DOWN(addr, (u64)PAGE_SIZE);
        bool hint_free = mmap_range_ok(hint, len) && vma_range_free(&as->mmaps, hint, hint + len);
        addr = hint_free ? hint : vma_find_gap(&as->mmaps, len, USER_MMAP_BASE, USER_MMAP_TOP);
        result = addr ? (long)addr : -ENOMEM;
    }
    if (result >= 0 && vma_insert(&as->mmaps, addr, addr + len, prot | (shared ? VMA_SHARED : 0)))
        result = -ENOMEM;
    /* A shared region's pages exist from the start, so that a child forked
     * later maps the very pages the parent does, touched or not. */
    if (result >= 0 && shared && map_now_locked(as, addr, len, prot_flags(prot))) {
        vma_remove(&as->mmaps, addr, addr + len); /* exactly the region: cannot fail */
        result = -ENOMEM;
    }
    spin_unlock_irqrestore(&as->lock, irq);
    return result;
    /* LAB 7 END */
}

int aspace_munmap(struct aspace *as, vaddr_t addr, u64 len)
{
    if (len == 0 || !IS_ALIGNED(addr, (u64)PAGE_SIZE))
        return -EINVAL;
    len = ALIGN_UP(len, (u64)PAGE_SIZE);
    if (!mmap_range_ok(addr, len))
        return -EINVAL;
    /* LAB 7 BEGIN: aspace_munmap */
    /* LAB 7 STUB: return -ENOSYS; */
    unsigned long irq = spin_lock_irqsave(&as->lock);
    int err = vma_remove(&as->mmaps, addr, addr + len);
    /* The pages go before the call returns, and with them their TLB
     * entries (vm_unmap): a later touch faults at once. */
    if (!err)
        unmap_locked(as, addr, len);
    spin_unlock_irqrestore(&as->lock, irq);
    return err;
    /* LAB 7 END */
}

int aspace_mprotect(struct aspace *as, vaddr_t addr, u64 len, unsigned prot)
{
    if (len == 0 || !IS_ALIGNED(addr, (u64)PAGE_SIZE) || !prot_ok(prot))
        return -EINVAL;
    len = ALIGN_UP(len, (u64)PAGE_SIZE);
    if (!mmap_range_ok(addr, len))
        return -ENOMEM; /* not mapped by mmap */
    /* LAB 7 BEGIN: aspace_mprotect */
    /* LAB 7 STUB: return -ENOSYS; */
    struct vm_translation tr;
    unsigned long irq = spin_lock_irqsave(&as->lock);
    int err = 0;
    /* A shared page cannot be unmapped for PROT_NONE: it would come back
     * private to this address space (aspace_mmap). */
    for (vaddr_t page = addr; prot == PROT_NONE && !err && page < addr + len; page += PAGE_SIZE)
        if (in_shared_region(as, page))
            err = -EINVAL;
    if (!err)
        err = vma_protect(&as->mmaps, addr, addr + len, prot);
    for (vaddr_t page = addr; !err && page < addr + len; page += PAGE_SIZE) {
        if (vm_translate(&as->vm, page, &tr) != VM_OK)
            continue;
        if (prot == PROT_NONE) {
            /* No access at all: the page goes; a touch faults, and the
             * data is lost, which PROT_NONE is for (guard pages). */
            unmap_locked(as, page, PAGE_SIZE);
            continue;
        }
        /* vm_protect invalidates the page's TLB entry: the new
         * permissions hold from the next instruction. */
        if (vm_protect(&as->vm, page, PAGE_SIZE, cow_flags(as, page, &tr, prot_flags(prot))))
            err = -ENOMEM;
        else if (prot & PROT_EXEC)
            sync_icache_locked(as, page, PAGE_SIZE);
    }
    spin_unlock_irqrestore(&as->lock, irq);
    return err;
    /* LAB 7 END */
}

int aspace_mincore(struct aspace *as, vaddr_t addr, u64 len, u8 *vec)
{
    struct vm_translation tr;

    if (!user_range_ok(addr, ALIGN_UP(len, (u64)PAGE_SIZE)))
        return -EINVAL;
    unsigned long irq = spin_lock_irqsave(&as->lock);
    for (u64 i = 0; i < ALIGN_UP(len, (u64)PAGE_SIZE) / PAGE_SIZE; i++)
        vec[i] = vm_translate(&as->vm, addr + i * PAGE_SIZE, &tr) == VM_OK;
    spin_unlock_irqrestore(&as->lock, irq);
    return 0;
}

vaddr_t aspace_brk(struct aspace *as, vaddr_t addr)
{
    /* At most USER_HEAP_MAX bytes, and never into the stack's guard page
     * (a program loaded high has its heap start near the stack). */
    vaddr_t limit = MIN(as->heap_start + USER_HEAP_MAX, (vaddr_t)USER_STACK_GUARD);

    if (addr == 0 || addr < as->heap_start || addr > limit)
        return as->brk;

    vaddr_t old_end = ALIGN_UP(as->brk, (vaddr_t)PAGE_SIZE);
    vaddr_t new_end = ALIGN_UP(addr, (vaddr_t)PAGE_SIZE);
    if (new_end < old_end && aspace_unmap(as, new_end, old_end - new_end))
        return as->brk;
    as->brk = addr;
    return addr;
}

/* --- clone and fork ------------------------------------------------------------------- */

/*
 * Give `to`, new and empty, the region lists of `from`: mmap's, and what
 * aspace_map_zeroed mapped. `from`'s lock is held. 0 or -ENOMEM; what was
 * copied goes with `to`.
 */
static __unused int copy_regions(struct aspace *to, struct aspace *from)
{
    if (vma_copy(&to->mmaps, &from->mmaps) || vma_copy(&to->fixed, &from->fixed))
        return -ENOMEM;
    return 0;
}

/* What aspace_clone hands to clone_leaf through vm_for_each_leaf's arg. */
/* LAB 5 BEGIN: struct clone_state */
/* LAB 5 STUB: struct clone_state; */
struct clone_state {
    struct aspace *copy;
    int err; /* the first error; once set, the remaining leaves are skipped */
};
/* LAB 5 END */

/*
 * vm_for_each_leaf's callback for aspace_clone: one leaf of the original
 * (va, pa, level, flags) into the copy that `arg` leads to, or the first
 * error remembered there.
 */
static __unused void clone_leaf(vaddr_t va, paddr_t pa, unsigned level, unsigned flags, void *arg)
{
    /* LAB 5 BEGIN: clone_leaf */
    struct clone_state *st = arg;
    unsigned order = leaf_order(level, va);

    if (st->err)
        return;
    paddr_t page = buddy_alloc_pages(order);
    if (page == PADDR_NONE) {
        st->err = -ENOMEM;
        return;
    }
    memcpy(phys_to_virt(page), phys_to_virt(pa), PAGE_SIZE << order);
    int err = vm_map(&st->copy->vm, va, page, PAGE_SIZE << order, flags, level);
    if (err) {
        buddy_free_pages(page, order);
        st->err = errno_of(err);
    }
    /* LAB 5 END */
}

struct aspace *aspace_clone(struct aspace *as)
{
    /* LAB 5 BEGIN: aspace_clone */
    /* LAB 5 STUB: return NULL; */
    struct clone_state st = { .copy = aspace_create() };

    if (!st.copy)
        return NULL;
    unsigned long flags = spin_lock_irqsave(&as->lock);
    vm_for_each_leaf (&as->vm, clone_leaf, &st)
        ;
    st.copy->heap_start = as->heap_start;
    st.copy->brk = as->brk;
    if (!st.err)
        st.err = copy_regions(st.copy, as);
    spin_unlock_irqrestore(&as->lock, flags);
    if (st.err) {
        aspace_put(st.copy); /* frees whatever was copied */
        return NULL;
    }
    return st.copy;
    /* LAB 5 END */
}

/* What aspace_fork hands to fork_leaf through vm_for_each_leaf's arg. */
/* LAB 6 BEGIN: struct fork_state */
/* LAB 6 STUB: struct fork_state; */
struct fork_state {
    struct aspace *parent, *child;
    int err; /* the walk's first error: the leaves after it share nothing */
};
/* LAB 6 END */

/*
 * vm_for_each_leaf's callback for aspace_fork: share one leaf of the
 * parent (va, pa, level, flags) with the child that `arg` leads to, or
 * remember the first error there. The parent's lock is held.
 */
static __unused void fork_leaf(vaddr_t va, paddr_t pa, unsigned level, unsigned flags, void *arg)
{
    /* LAB 6 BEGIN: fork_leaf */
    struct fork_state *st = arg;
    u64 size = pt_level_size(level);
    unsigned shared_flags = flags;

    if (st->err)
        return;
    /* A private writable page is read-only in both from now on, until the
     * first write copies it; MAP_SHARED regions stay writable in both. */
    if (!in_shared_region(st->parent, va))
        shared_flags &= ~VM_WRITE;
    if (page_ref_share(pa)) {
        st->err = -ENOMEM;
        return;
    }
    int map_err = vm_map(&st->child->vm, va, pa, size, shared_flags, level);
    if (map_err) {
        page_ref_put(pa); /* the parent's reference is left */
        st->err = errno_of(map_err);
        return;
    }
    /* vm_protect invalidates the parent's TLB entry for the leaf: no
     * write through a stale writable entry reaches the shared block. */
    if (shared_flags != flags && vm_protect(&st->parent->vm, va, size, shared_flags))
        panic("fork_leaf: cannot make the leaf at 0x%lx read-only", (unsigned long)va);
    /* LAB 6 END */
}

struct aspace *aspace_fork(struct aspace *as)
{
    /* LAB 6 BEGIN: aspace_fork */
    /* LAB 6 STUB: return aspace_clone(as); // an eager copy: fork works, but nothing is shared */
    struct fork_state st = { .parent = as, .child = aspace_create() };

    if (!st.child)
        return NULL;
    unsigned long flags = spin_lock_irqsave(&as->lock);
    st.child->heap_start = as->heap_start;
    st.child->brk = as->brk;
    st.err = copy_regions(st.child, as);
    if (!st.err)
        vm_for_each_leaf (&as->vm, fork_leaf, &st)
            ;
    spin_unlock_irqrestore(&as->lock, flags);
    if (st.err) {
        aspace_put(st.child); /* drops the references it took */
        return NULL;
    }
    return st.child;
    /* LAB 6 END */
}

/* --- looking ----------------------------------------------------------------------------- */

static void count_leaf(vaddr_t va, paddr_t pa, unsigned level, unsigned flags, void *arg)
{
    *(u64 *)arg += pt_level_size(level);
}

u64 aspace_mapped_bytes(struct aspace *as)
{
    u64 bytes = 0;

    vm_for_each_leaf (&as->vm, count_leaf, &bytes)
        ;
    return bytes;
}
