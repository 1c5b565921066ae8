/*
 * The generic page-table walker (mm/vm.h).
 *
 *   root (level 3) --> level 2 --> level 1 --> level 0 --> 4 KiB page
 *                      1 GiB leaf  2 MiB leaf
 *
 * Each function walks down from the root, one table of 512 entries per
 * level, reaching every table through the PMO. A walk stops at a leaf of
 * any size: below a 2 MiB leaf there is no table, only the memory it maps.
 *
 * Changes that could fail halfway are split in two passes: first whatever
 * needs memory (splitting the huge pages that straddle the ends of the
 * range), then changes that cannot fail. So an error leaves the mappings
 * as they were (a split huge page maps exactly what it mapped before).
 */
#include <duet/compiler.h>
#include <duet/errno.h>
#include <duet/layout.h>
#include <duet/panic.h>
#include <mm/buddy.h>
#include <mm/pmo.h>
#include <mm/vm.h>

const char *vm_strerror(int err)
{
    switch (err) {
    case VM_OK: return "no error";
    case VM_ERR_NO_MEMORY: return "no memory for a page table";
    case VM_ERR_EXISTS: return "already mapped";
    case VM_ERR_INVALID: return "invalid range";
    case VM_ERR_NOT_MAPPED: return "not mapped";
    case -ENOSYS: return "not implemented (a lab stub)";
    default: return "unknown error";
    }
}

const char *vm_err_name(long err)
{
    switch (err) {
    case VM_OK: return "VM_OK";
    case VM_ERR_NO_MEMORY: return "VM_ERR_NO_MEMORY";
    case VM_ERR_EXISTS: return "VM_ERR_EXISTS";
    case VM_ERR_INVALID: return "VM_ERR_INVALID";
    case VM_ERR_NOT_MAPPED: return "VM_ERR_NOT_MAPPED";
    case -ENOSYS: return "-ENOSYS";
    default: return NULL;
    }
}

static pte_t *table_at(paddr_t pa)
{
    return phys_to_virt(pa);
}

static pte_t *child_table(pte_t e)
{
    return table_at(pte_address(e));
}

static pte_t *root_table(struct vm_space *s)
{
    return table_at(s->root);
}

/* The range must be page-aligned, non-empty, not wrap, and lie in the
 * space's half: user below USER_END, kernel from PHYS_OFFSET up. */
static bool range_ok(struct vm_space *s, vaddr_t va, u64 size)
{
    if (!size || !IS_ALIGNED(va | size, (u64)PAGE_SIZE) || va + size - 1 < va)
        return false;
    if (s->user)
        return va + size <= USER_END;
    return va >= PHYS_OFFSET;
}

/* Bytes from va to the end of its entry at `level`, at most `left`. */
static u64 chunk_at(vaddr_t va, unsigned level, u64 left)
{
    u64 size = pt_level_size(level);

    return MIN(left, size - (va & (size - 1)));
}

static __unused bool table_is_empty(const pte_t *t)
{
    for (unsigned i = 0; i < PT_ENTRIES; i++)
        if (pte_is_valid(t[i]))
            return false;
    return true;
}

/* x86_64 shares the tables below the kernel's root entries with every
 * address space, so those are made once and never freed. */
static __unused bool may_free_table(struct vm_space *s, unsigned parent_level)
{
    return s->user || parent_level != PT_ROOT_LEVEL || !arch_mmu_kernel_tables_shared();
}

/*
 * Does the leaf `e` at `level`, reached through `slot`, map the page that
 * holds `slot`? The kernel reaches every table through the PMO, and a PMO
 * huge page can map its own table (the first tables come from the first
 * RAM): splitting that leaf would unmap the table between the break and
 * the make, and the make would then fault.
 */
static __unused bool leaf_maps_its_own_table(const pte_t *slot, pte_t e, unsigned level)
{
    paddr_t holder = ALIGN_DOWN(pmo_virt_to_phys(slot), (paddr_t)PAGE_SIZE);
    paddr_t pa = pte_address(e);

    return holder >= pa && holder - pa < pt_level_size(level);
}

/*
 * Write `e` over the live entry at `slot`, where the two differ in more
 * than permissions (here: a leaf becomes a table). [va, va + size) is all
 * that the entry spans; a CPU may hold the old entry in its TLB for any
 * address of it. When it returns, the walker sees `e` and no TLB holds the
 * old entry.
 *
 * The rule is break-before-make: no CPU may ever be able to cache the old
 * and the new entry for the same address at once. AArch64 requires it for
 * a change of size or output address (Arm ARM D8, "TLB maintenance
 * requirements" and "Using break-before-make when updating translation
 * table entries"): a TLB that holds both may use either, or raise a TLB
 * conflict abort. x86 leaves it undefined which of the two translations
 * is used (Intel SDM Vol. 3A 4.10.2.3) and invalidates as in 4.10.4; Duet
 * keeps the Arm rule on both. While the entry is invalid nothing may use
 * the range: Duet never splits what the code that runs uses.
 */
static __unused void replace_live_entry(pte_t *slot, pte_t e, vaddr_t va, u64 size)
{
    /* LAB 3 BEGIN: replace_live_entry */
    WRITE_ONCE(*slot, 0);
    arch_pte_sync();
    arch_tlb_invalidate(va, size);
    WRITE_ONCE(*slot, e);
    arch_pte_sync();
    /* LAB 3 END */
}

/*
 * Turn the live leaf at `slot` (level >= 1; `base` is the first address
 * it maps) into a table of 512 leaves one level down that map the same
 * memory with the same flags, so that every address translates exactly as
 * before, only through smaller pages. The table comes from pt_alloc_page()
 * and is linked as every table of `s` is.
 *
 * Errors, with nothing changed: VM_ERR_NO_MEMORY when no page is left for
 * the table; VM_ERR_INVALID when the leaf maps the page that holds `slot`
 * (leaf_maps_its_own_table).
 */
static __unused int split_leaf(struct vm_space *s, pte_t *slot, unsigned level, vaddr_t base)
{
    /* LAB 3 BEGIN: split_leaf */
    /* LAB 3 STUB: return -ENOSYS; */
    pte_t e = *slot;
    paddr_t pa = pte_address(e);
    unsigned flags = pte_leaf_flags(e, level);

    if (leaf_maps_its_own_table(slot, e, level))
        return VM_ERR_INVALID;
    paddr_t t = pt_alloc_page();
    if (t == PADDR_NONE)
        return VM_ERR_NO_MEMORY;
    pte_t *child = table_at(t);
    for (unsigned i = 0; i < PT_ENTRIES; i++)
        child[i] = pte_make_leaf(pa + i * pt_level_size(level - 1), level - 1, flags);
    arch_pte_sync();
    replace_live_entry(slot, pte_make_table(t, s->user), base, pt_level_size(level));
    return VM_OK;
    /* LAB 3 END */
}

/*
 * Make both ends of [va, va + size) fall on leaf boundaries: afterwards no
 * leaf maps both a page inside the range and a page outside it. Only the
 * leaves that straddle an end are split (with split_leaf), each as little
 * as needed: a leaf that lies wholly inside or wholly outside the range
 * stays as it is, whatever its size, and so does everything else. va + size
 * may be 0: the range then ends at the top of the address space.
 *
 * This is the one step of vm_unmap and vm_protect that can fail; it returns
 * split_leaf's error. What it split before the error stays split, which
 * changes no translation.
 */
static int split_edges(struct vm_space *s, vaddr_t va, u64 size)
{
    /* LAB 3 BEGIN: split_edges */
    /* LAB 3 STUB: return -ENOSYS; */
    const vaddr_t edges[2] = { va, va + size };

    for (unsigned i = 0; i < 2; i++) {
        pte_t *table = root_table(s);

        /* Down the walk for the edge until it falls on an entry boundary:
         * from there on no entry can straddle it. */
        for (unsigned level = PT_ROOT_LEVEL; level > 0; level--) {
            if (IS_ALIGNED(edges[i], pt_level_size(level)))
                break;
            pte_t *slot = &table[pt_index(edges[i], level)];
            if (!pte_is_valid(*slot))
                break;
            if (!pte_is_table(*slot, level)) {
                int err = split_leaf(s, slot, level, ALIGN_DOWN(edges[i], pt_level_size(level)));
                if (err)
                    return err;
            }
            table = child_table(*slot);
        }
    }
    return VM_OK;
    /* LAB 3 END */
}

/* --- map ------------------------------------------------------------------------------ */

/*
 * VM_OK when no leaf maps any page of [va, va + left), which lies inside
 * what `table` (at `level`) covers; VM_ERR_EXISTS when one does, whatever
 * its size. Tables with no leaf in the range do not count. It changes
 * nothing. vm_map asks it before mapping anything, so that a refused map
 * leaves no trace.
 */
static int check_unmapped(pte_t *table, unsigned level, vaddr_t va, u64 left)
{
    /* LAB 3 BEGIN: check_unmapped */
    /* LAB 3 STUB: return -ENOSYS; */
    while (left) {
        u64 chunk = chunk_at(va, level, left);
        pte_t e = table[pt_index(va, level)];

        if (pte_is_valid(e)) {
            if (!pte_is_table(e, level))
                return VM_ERR_EXISTS;
            int err = check_unmapped(child_table(e), level - 1, va, chunk);
            if (err)
                return err;
        }
        va += chunk;
        left -= chunk;
    }
    return VM_OK;
    /* LAB 3 END */
}

static int map_level(struct vm_space *s, pte_t *table, unsigned level, vaddr_t va, paddr_t pa,
                     u64 left, unsigned flags, unsigned max_leaf)
{
    /* LAB 3 BEGIN: map_level */
    /* LAB 3 STUB: return -ENOSYS; */
    while (left) {
        pte_t *slot = &table[pt_index(va, level)];
        u64 chunk = chunk_at(va, level, left);

        if (level <= max_leaf && chunk == pt_level_size(level) &&
            IS_ALIGNED(pa, pt_level_size(level))) {
            *slot = pte_make_leaf(pa, level, flags);
        } else {
            if (!pte_is_valid(*slot)) {
                paddr_t t = pt_alloc_page();
                if (t == PADDR_NONE)
                    return VM_ERR_NO_MEMORY;
                *slot = pte_make_table(t, s->user);
            }
            int err = map_level(s, child_table(*slot), level - 1, va, pa, chunk, flags, max_leaf);
            if (err)
                return err;
        }
        va += chunk;
        pa += chunk;
        left -= chunk;
    }
    return VM_OK;
    /* LAB 3 END */
}

static void unmap_level(struct vm_space *s, pte_t *table, unsigned level, vaddr_t va, u64 left);

int vm_map(struct vm_space *s, vaddr_t va, paddr_t pa, u64 size, unsigned flags, unsigned max_level)
{
    if (!range_ok(s, va, size) || !IS_ALIGNED(pa, (u64)PAGE_SIZE) || pa + size - 1 < pa)
        return VM_ERR_INVALID;
    unsigned max_leaf = MIN(max_level, arch_mmu_has_1g_pages() ? 2u : 1u);
    int err = check_unmapped(root_table(s), PT_ROOT_LEVEL, va, size);
    if (err)
        return err; /* VM_ERR_EXISTS, or -ENOSYS in a lab-3 handout */

    err = map_level(s, root_table(s), PT_ROOT_LEVEL, va, pa, size, flags, max_leaf);
    if (err == -ENOSYS) /* a lab-3 handout: map_level is a stub */
        return err;
    if (err) {
        /* The range was empty before: emptying it again frees every table
         * this call made, and nothing else. */
        unmap_level(s, root_table(s), PT_ROOT_LEVEL, va, size);
        arch_tlb_invalidate(va, size);
        return err;
    }
    arch_pte_sync();
    return VM_OK;
}

/* --- unmap ---------------------------------------------------------------------------- */

static void unmap_level(struct vm_space *s, pte_t *table, unsigned level, vaddr_t va, u64 left)
{
    /* LAB 3 BEGIN: unmap_level */
    while (left) {
        pte_t *slot = &table[pt_index(va, level)];
        u64 chunk = chunk_at(va, level, left);
        pte_t e = *slot;

        if (pte_is_valid(e) && !pte_is_table(e, level)) {
            if (chunk != pt_level_size(level))
                panic("unmap_level: a leaf at level %u straddles 0x%llx", level,
                      (unsigned long long)va);
            *slot = 0;
        } else if (pte_is_valid(e)) {
            pte_t *child = child_table(e);
            unmap_level(s, child, level - 1, va, chunk);
            if (table_is_empty(child) && may_free_table(s, level)) {
                /* Invalidate before the page can be reused: a TLB may hold
                 * the walk through it (the paging-structure caches). */
                vaddr_t base = ALIGN_DOWN(va, pt_level_size(level));
                WRITE_ONCE(*slot, 0);
                arch_pte_sync();
                arch_tlb_invalidate(base, pt_level_size(level));
                pt_free_page(pte_address(e));
            }
        }
        va += chunk;
        left -= chunk;
    }
    /* LAB 3 END */
}

int vm_unmap(struct vm_space *s, vaddr_t va, u64 size)
{
    if (!range_ok(s, va, size))
        return VM_ERR_INVALID;
    int err = split_edges(s, va, size);
    if (err)
        return err;
    unmap_level(s, root_table(s), PT_ROOT_LEVEL, va, size);
    arch_pte_sync();
    arch_tlb_invalidate(va, size);
    return VM_OK;
}

/* --- protect -------------------------------------------------------------------------- */

/*
 * What vm_protect may change: the permissions (VM_READ, VM_WRITE, VM_EXEC),
 * which a live entry may take without break-before-make. The memory type
 * (VM_DEVICE), the global bit and VM_USER may not: the Arm ARM requires
 * break-before-make for a change of memory type or of nG (D8.14.1, "Using
 * break-before-make when updating translation table entries"), and x86 has
 * the same rule for the memory type of a page (SDM Vol. 3A 11.12.4).
 * Changing them is unmapping and mapping again.
 */
#define VM_FIXED_AT_MAP (VM_DEVICE | VM_GLOBAL | VM_USER)

static bool range_has_attributes(pte_t *table, unsigned level, vaddr_t va, u64 left, unsigned fixed)
{
    while (left) {
        u64 chunk = chunk_at(va, level, left);
        pte_t e = table[pt_index(va, level)];

        if (pte_is_table(e, level)) {
            if (!range_has_attributes(child_table(e), level - 1, va, chunk, fixed))
                return false;
        } else if ((pte_leaf_flags(e, level) & VM_FIXED_AT_MAP) != fixed) {
            return false;
        }
        va += chunk;
        left -= chunk;
    }
    return true;
}

static bool range_fully_mapped(pte_t *table, unsigned level, vaddr_t va, u64 left)
{
    while (left) {
        u64 chunk = chunk_at(va, level, left);
        pte_t e = table[pt_index(va, level)];

        if (!pte_is_valid(e))
            return false;
        if (pte_is_table(e, level) && !range_fully_mapped(child_table(e), level - 1, va, chunk))
            return false;
        va += chunk;
        left -= chunk;
    }
    return true;
}

static void protect_level(pte_t *table, unsigned level, vaddr_t va, u64 left, unsigned flags)
{
    /* LAB 3 BEGIN: protect_level */
    while (left) {
        pte_t *slot = &table[pt_index(va, level)];
        u64 chunk = chunk_at(va, level, left);

        if (pte_is_table(*slot, level))
            protect_level(child_table(*slot), level - 1, va, chunk, flags);
        else
            WRITE_ONCE(*slot, pte_make_leaf(pte_address(*slot), level, flags));
        va += chunk;
        left -= chunk;
    }
    /* LAB 3 END */
}

int vm_protect(struct vm_space *s, vaddr_t va, u64 size, unsigned flags)
{
    if (!range_ok(s, va, size))
        return VM_ERR_INVALID;
    if (!range_fully_mapped(root_table(s), PT_ROOT_LEVEL, va, size))
        return VM_ERR_NOT_MAPPED;
    if (!range_has_attributes(root_table(s), PT_ROOT_LEVEL, va, size, flags & VM_FIXED_AT_MAP))
        return VM_ERR_INVALID;
    int err = split_edges(s, va, size);
    if (err)
        return err;
    protect_level(root_table(s), PT_ROOT_LEVEL, va, size, flags);
    arch_pte_sync();
    arch_tlb_invalidate(va, size);
    return VM_OK;
}

/* --- replace --------------------------------------------------------------------------- */

int vm_replace_leaf(struct vm_space *s, vaddr_t va, paddr_t pa, unsigned flags)
{
    pte_t *table = root_table(s);

    if (!range_ok(s, va, PAGE_SIZE))
        return VM_ERR_INVALID;
    for (unsigned level = PT_ROOT_LEVEL;; level--) {
        pte_t *slot = &table[pt_index(va, level)];
        u64 size = pt_level_size(level);

        if (!pte_is_valid(*slot))
            return VM_ERR_NOT_MAPPED;
        if (pte_is_table(*slot, level)) {
            table = child_table(*slot);
            continue;
        }
        if (!IS_ALIGNED(va | pa, size) ||
            (pte_leaf_flags(*slot, level) & VM_FIXED_AT_MAP) != (flags & VM_FIXED_AT_MAP))
            return VM_ERR_INVALID;
        /* A new output address: the Arm ARM's break-before-make case. */
        replace_live_entry(slot, pte_make_leaf(pa, level, flags), va, size);
        return VM_OK;
    }
}

/* --- looking ---------------------------------------------------------------------------- */

int vm_translate(struct vm_space *s, vaddr_t va, struct vm_translation *out)
{
    /* LAB 3 BEGIN: vm_translate */
    /* LAB 3 STUB: return -ENOSYS; */
    pte_t *table = root_table(s);

    for (unsigned level = PT_ROOT_LEVEL;; level--) {
        pte_t e = table[pt_index(va, level)];

        if (!pte_is_valid(e))
            return VM_ERR_NOT_MAPPED;
        if (!pte_is_table(e, level)) {
            u64 size = pt_level_size(level);
            out->pa = pte_address(e) + (va & (size - 1));
            out->page_size = size;
            out->flags = pte_leaf_flags(e, level);
            out->level = level;
            return VM_OK;
        }
        table = child_table(e);
    }
    /* LAB 3 END */
}

unsigned vm_walk(struct vm_space *s, vaddr_t va, pte_t entries[PT_LEVELS])
{
    pte_t *table = root_table(s);
    unsigned n = 0;

    for (unsigned level = PT_ROOT_LEVEL;; level--) {
        pte_t e = table[pt_index(va, level)];
        entries[n++] = e;
        if (!pte_is_table(e, level))
            return n;
        table = child_table(e);
    }
}

/*
 * The root entries a space owns: a user space the lower half only (on
 * x86_64 its upper half is the kernel's, copied in), the kernel all of
 * them (its lower half is empty once the identity map is gone).
 */
static unsigned owned_root_entries(struct vm_space *s)
{
    return s->user ? PT_ENTRIES / 2 : PT_ENTRIES;
}

/* Virtual addresses are 48 bits, sign-extended to 64. */
static vaddr_t canonical(vaddr_t va)
{
    return (va & (1ULL << 47)) ? va | 0xffff000000000000ULL : va;
}

static void leaves_below(pte_t *table, unsigned level, vaddr_t base, unsigned n, vm_leaf_fn fn,
                         void *arg)
{
    for (unsigned i = 0; i < n; i++) {
        pte_t e = table[i];
        vaddr_t va = canonical(base + ((vaddr_t)i << pt_level_shift(level)));

        if (!pte_is_valid(e))
            continue;
        if (pte_is_table(e, level))
            leaves_below(child_table(e), level - 1, va, PT_ENTRIES, fn, arg);
        else
            fn(va, pte_address(e), level, pte_leaf_flags(e, level), arg);
    }
}

void vm_for_each_leaf (struct vm_space *s, vm_leaf_fn fn, void *arg)
{
    leaves_below(root_table(s), PT_ROOT_LEVEL, 0, owned_root_entries(s), fn, arg);
}

static void tables_from(pte_t *table, unsigned level, vaddr_t base, unsigned n, vm_table_fn fn,
                        void *arg)
{
    fn(pmo_virt_to_phys(table), level, base, table, n, arg);
    for (unsigned i = 0; i < n; i++)
        if (pte_is_table(table[i], level))
            tables_from(child_table(table[i]), level - 1,
                        canonical(base + ((vaddr_t)i << pt_level_shift(level))), PT_ENTRIES, fn,
                        arg);
}

void vm_for_each_table(struct vm_space *s, vm_table_fn fn, void *arg)
{
    tables_from(root_table(s), PT_ROOT_LEVEL, 0, owned_root_entries(s), fn, arg);
}

static u64 tables_below(pte_t *table, unsigned level, unsigned entries)
{
    u64 n = 0;

    for (unsigned i = 0; i < entries; i++)
        if (pte_is_table(table[i], level))
            n += 1 + tables_below(child_table(table[i]), level - 1, PT_ENTRIES);
    return n;
}

u64 vm_table_pages(struct vm_space *s)
{
    return tables_below(root_table(s), PT_ROOT_LEVEL, owned_root_entries(s));
}
