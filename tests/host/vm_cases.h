/*
 * Host tests of mm/vm.c, included by test_vm_x86_64.c and
 * test_vm_aarch64.c so every case runs with both arches' encodings.
 * Page tables live in a simulated RAM whose frames come from a fake
 * allocator that counts them and can be told to fail.
 */
#include <stdlib.h>
#include <sys/mman.h>

#include "host.h"
#include "../../mm/vm.c"
#include "vm_names.h"

#define RAM_PA    0x1000000ULL
#define RAM_PAGES 8192
#define KVA       0xffff900000000000ULL /* somewhere in the kernel half */

static u8 *ram;
static u8 frame_used[RAM_PAGES];
static long frames_in_use, fail_after = -1, baseline;
static bool has_1g = true;
static struct vm_space kspace, uspace;

static void tlb_expect_no_walk_through(paddr_t table);

paddr_t pt_alloc_page(void)
{
    if (fail_after == 0)
        return PADDR_NONE;
    if (fail_after > 0)
        fail_after--;
    for (int i = 0; i < RAM_PAGES; i++)
        if (!frame_used[i]) {
            frame_used[i] = 1;
            frames_in_use++;
            memset(ram + (size_t)i * PAGE_SIZE, 0, PAGE_SIZE);
            return RAM_PA + (paddr_t)i * PAGE_SIZE;
        }
    return PADDR_NONE;
}

void pt_free_page(paddr_t pa)
{
    u64 i = (pa - RAM_PA) / PAGE_SIZE;
    if (pa < RAM_PA || i >= RAM_PAGES || !frame_used[i]) {
        host_fail(__FILE__, __LINE__, "pt_free_page(0x%llx): not an allocated table",
                  (unsigned long long)pa);
        return;
    }
    tlb_expect_no_walk_through(pa);
    memset(ram + i * PAGE_SIZE, 0x6b, PAGE_SIZE); /* poison: a stale walk would see it */
    frame_used[i] = 0;
    frames_in_use--;
}

static void tlb_expect_break_before_make(const char *when);
void arch_pte_sync(void)
{
    tlb_expect_break_before_make("arch_pte_sync");
}

/*
 * A model of the TLB, as strict as the architectures allow. A CPU may
 * cache every valid entry of a walk it made: the leaf's translation, and
 * each table entry above it (x86's paging-structure caches, Arm's walk
 * caches); it keeps them until an invalidation of a range they cover, and
 * it may walk again at any moment, even one the code is in the middle of
 * changing. So here:
 *   - tlb_touch(s, va) is the test using va: its walk is cached;
 *   - arch_tlb_invalidate(va, size) drops every cached entry whose span
 *     overlaps the range, then walks again at once for the addresses it
 *     dropped, caching what the tables still hold: an invalidation made
 *     before the entry was cleared refills the old entry;
 *   - pt_free_page(t) fails when a cached entry still points at t;
 *   - tlb_expect_coherent() fails when a cached entry no longer says what
 *     the tables say (after vm_unmap or vm_protect has returned);
 *   - arch_pte_sync() and arch_tlb_invalidate() (the moments a write
 *     becomes visible to the walker) fail when the tables hold a valid
 *     entry where the TLB still caches a different one, unless only the
 *     permissions of a leaf changed: break-before-make (Arm ARM D8, "Using
 *     break-before-make when updating translation table entries"), which
 *     Duet keeps on both arches. A walk then could cache the new entry
 *     next to the old one.
 */
#define TLB_WALKS 4096

struct tlb_walk {
    paddr_t root;
    vaddr_t va;
    unsigned n;             /* entries the walk read, root first */
    pte_t e[PT_LEVELS];     /* e[i] is at level PT_ROOT_LEVEL - i */
    bool cached[PT_LEVELS]; /* still held by the TLB */
};

static struct tlb_walk tlb[TLB_WALKS];
static unsigned tlb_walks;

static unsigned walk_level(unsigned i)
{
    return PT_ROOT_LEVEL - i;
}

/* What a walk for va reads now, through the given walker (vm_walk). */
static void tlb_walk_now(struct tlb_walk *w)
{
    struct vm_space s = { .root = w->root };

    w->n = vm_walk(&s, w->va, w->e);
    for (unsigned i = 0; i < w->n; i++)
        w->cached[i] = pte_is_valid(w->e[i]);
}

static void tlb_touch(struct vm_space *s, vaddr_t va)
{
    struct tlb_walk *w = NULL;

    va = ALIGN_DOWN(va, (u64)PAGE_SIZE);
    for (unsigned i = 0; i < tlb_walks && !w; i++)
        if (tlb[i].root == s->root && tlb[i].va == va)
            w = &tlb[i];
    if (!w) {
        if (tlb_walks == TLB_WALKS) {
            host_fail(__FILE__, __LINE__, "the TLB model is full (%u walks)", TLB_WALKS);
            return;
        }
        w = &tlb[tlb_walks++];
    }
    *w = (struct tlb_walk){ .root = s->root, .va = va };
    tlb_walk_now(w);
}

static void tlb_touch_leaf(vaddr_t va, paddr_t pa, unsigned level, unsigned flags, void *arg)
{
    tlb_touch(arg, va);
}

/* The test has used every page the space maps (each leaf's first page). */
static void tlb_touch_all(struct vm_space *s)
{
    vm_for_each_leaf (s, tlb_touch_leaf, s)
        ;
}

/* Does entry i of w span any byte of [va, last]? */
static bool tlb_entry_overlaps(const struct tlb_walk *w, unsigned i, vaddr_t va, vaddr_t last)
{
    u64 size = pt_level_size(walk_level(i));
    vaddr_t base = ALIGN_DOWN(w->va, size);

    return base <= last && va <= base + (size - 1);
}

static void tlb_drop(vaddr_t va, vaddr_t last)
{
    for (unsigned k = 0; k < tlb_walks; k++) {
        struct tlb_walk *w = &tlb[k], now = { .root = w->root, .va = w->va };
        bool dropped = false;

        for (unsigned i = 0; i < w->n; i++)
            if (w->cached[i] && tlb_entry_overlaps(w, i, va, last)) {
                w->cached[i] = false;
                dropped = true;
            }
        if (!dropped)
            continue;
        /* The CPU walks again: whatever is still valid is cached again. */
        tlb_walk_now(&now);
        for (unsigned i = 0; i < now.n; i++)
            if (!(i < w->n && w->cached[i]) && now.cached[i]) {
                w->e[i] = now.e[i];
                w->cached[i] = true;
            }
        w->n = MAX(w->n, now.n);
    }
}

/* May a live entry `old` at `level` become `now` without a break? Only a
 * leaf that keeps its size, its address, its memory type and its global
 * and user bits (what vm_protect changes). */
static bool tlb_may_overwrite(pte_t old, pte_t now, unsigned level)
{
    unsigned fixed = VM_FIXED_AT_MAP;

    return old == now ||
           (!pte_is_table(old, level) && !pte_is_table(now, level) &&
            pte_address(old) == pte_address(now) &&
            (pte_leaf_flags(old, level) & fixed) == (pte_leaf_flags(now, level) & fixed));
}

/* A write is visible to the walker: it may not have made a valid entry
 * over one the TLB still holds (break-before-make). Reported once a case. */
static bool tlb_bbm_reported;
static void tlb_expect_break_before_make(const char *when)
{
    for (unsigned k = 0; k < tlb_walks && !tlb_bbm_reported; k++) {
        struct tlb_walk *w = &tlb[k], now = { .root = w->root, .va = w->va };

        tlb_walk_now(&now);
        for (unsigned i = 0; i < w->n && i < now.n; i++) {
            if (!w->cached[i] || !pte_is_valid(now.e[i]) ||
                tlb_may_overwrite(w->e[i], now.e[i], walk_level(i)))
                continue;
            host_fail(__FILE__, __LINE__,
                      "break-before-make: at %s the tables hold the level-%u entry 0x%llx for "
                      "0x%llx while the TLB still holds 0x%llx there, so a walk could cache both: "
                      "clear the entry, invalidate what it spanned, then write the new one",
                      when, walk_level(i), (unsigned long long)now.e[i], (unsigned long long)w->va,
                      (unsigned long long)w->e[i]);
            tlb_bbm_reported = true;
            return;
        }
    }
}

static long tlb_invalidations;
void arch_tlb_invalidate(vaddr_t va, size_t size)
{
    tlb_invalidations++;
    tlb_expect_break_before_make("arch_tlb_invalidate");
    if (size)
        tlb_drop(va, va + (size - 1));
}
void arch_tlb_invalidate_all(void)
{
    tlb_invalidations++;
    tlb_expect_break_before_make("arch_tlb_invalidate_all");
    tlb_drop(0, ~(vaddr_t)0);
}

/* A table page is about to be freed: no cached entry may lead into it. */
static void tlb_expect_no_walk_through(paddr_t table)
{
    for (unsigned k = 0; k < tlb_walks; k++)
        for (unsigned i = 0; i < tlb[k].n; i++)
            if (tlb[k].cached[i] && pte_is_table(tlb[k].e[i], walk_level(i)) &&
                pte_address(tlb[k].e[i]) == table) {
                host_fail(__FILE__, __LINE__,
                          "pt_free_page(0x%llx): the TLB still holds the level-%u entry that "
                          "points at this table (cached by a walk for 0x%llx): clear the entry, "
                          "invalidate the range it mapped, then free the table",
                          (unsigned long long)table, walk_level(i), (unsigned long long)tlb[k].va);
                return;
            }
}

/* Every cached entry says what the tables say: nothing changed or cleared
 * was left in the TLB. */
#define tlb_expect_coherent(after) tlb_expect_coherent_at(__FILE__, __LINE__, after)
static void tlb_expect_coherent_at(const char *file, int line, const char *after)
{
    for (unsigned k = 0; k < tlb_walks; k++) {
        struct tlb_walk *w = &tlb[k], now = { .root = w->root, .va = w->va };

        tlb_walk_now(&now);
        for (unsigned i = 0; i < w->n; i++)
            if (w->cached[i] && (i >= now.n || now.e[i] != w->e[i])) {
                host_fail(file, line,
                          "after %s: the TLB still holds the level-%u entry 0x%llx for 0x%llx, "
                          "but the tables hold 0x%llx: a change not invalidated",
                          after, walk_level(i), (unsigned long long)w->e[i],
                          (unsigned long long)w->va,
                          (unsigned long long)(i < now.n ? now.e[i] : 0));
                return;
            }
    }
}

#if !defined(HOST_ARCH_AARCH64)
bool arch_mmu_has_1g_pages(void)
{
    return has_1g;
}
#endif

static void setup(void)
{
    if (!ram) {
        ram = mmap(NULL, RAM_PAGES * PAGE_SIZE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS,
                   -1, 0);
        host_pmo_set(ram, RAM_PA, RAM_PAGES * PAGE_SIZE);
    }
    memset(frame_used, 0, sizeof(frame_used));
    frames_in_use = 0;
    tlb_walks = 0;
    tlb_bbm_reported = false;
    fail_after = -1;
    has_1g = true;
    kspace = (struct vm_space){ .root = pt_alloc_page(), .user = false };
    uspace = (struct vm_space){ .root = pt_alloc_page(), .user = true };
    /* Where address spaces share the kernel's tables (x86_64), the kernel
     * makes all of its root's entries at boot, as kmap does. */
    if (arch_mmu_kernel_tables_shared())
        for (unsigned i = PT_ENTRIES / 2; i < PT_ENTRIES; i++)
            root_table(&kspace)[i] = pte_make_table(pt_alloc_page(), false);
    baseline = frames_in_use;
}

/* Table pages in kspace beyond those setup made. */
static long kernel_tables_made(void)
{
    return frames_in_use - baseline;
}

static int count_leaves_n;
static void count_leaf(vaddr_t va, paddr_t pa, unsigned level, unsigned flags, void *arg)
{
    count_leaves_n++;
}
static int count_leaves(struct vm_space *s)
{
    count_leaves_n = 0;
    vm_for_each_leaf (s, count_leaf, NULL)
        ;
    return count_leaves_n;
}

/*
 * What va maps to, read with the given walker (vm_walk) the way the MMU
 * reads it: below a leaf's size the address bits of the entry do not
 * count. Cases about map, unmap and protect check with this, so they do
 * not depend on the lab's vm_translate (which has its own case).
 */
static int walk_translate(struct vm_space *s, vaddr_t va, struct vm_translation *out)
{
    pte_t e[PT_LEVELS];
    unsigned n = vm_walk(s, va, e), level = PT_ROOT_LEVEL - (n - 1);
    u64 size = pt_level_size(level);

    if (!pte_is_valid(e[n - 1]))
        return VM_ERR_NOT_MAPPED;
    *out = (struct vm_translation){
        .pa = ALIGN_DOWN(pte_address(e[n - 1]), size) + (va & (size - 1)),
        .page_size = size,
        .flags = pte_leaf_flags(e[n - 1], level),
        .level = level,
    };
    return VM_OK;
}

static void expect_mapping(const char *file, int line, bool by_vm_translate, struct vm_space *s,
                           vaddr_t va, paddr_t pa, u64 size, unsigned flags)
{
    const char *translate = by_vm_translate ? "vm_translate" : "the tables";
    struct vm_translation t = { ~0ULL, 0, ~0u, ~0u }; /* what a forgotten field holds */
    int err = by_vm_translate ? vm_translate(s, va, &t) : walk_translate(s, va, &t);

    if (err) {
        host_fail(file, line, "%s: 0x%llx: %s, expected PA 0x%llx", translate,
                  (unsigned long long)va, vm_strerror(err), (unsigned long long)pa);
    } else if (t.pa != pa || t.page_size != size || t.flags != flags) {
        host_fail(file, line,
                  "%s: 0x%llx -> PA 0x%llx, a %s page, %s; expected PA 0x%llx, a %s page, %s",
                  translate, (unsigned long long)va, (unsigned long long)t.pa,
                  page_size_name(t.page_size), flags_name(t.flags), (unsigned long long)pa,
                  page_size_name(size), flags_name(flags));
    } else if (t.level >= PT_ROOT_LEVEL || pt_level_size(t.level) != t.page_size) {
        host_fail(file, line, "%s: 0x%llx: level %u for a %s page", translate,
                  (unsigned long long)va, t.level, page_size_name(t.page_size));
    } else if (!by_vm_translate) {
        /* The CPU reads every bit of the leaf, also those pte_leaf_flags
         * does not report (x86's PAT bit at level 0, say): the leaf must be
         * the one pte_make_leaf makes for its page, level and flags. */
        pte_t e[PT_LEVELS];
        pte_t leaf = e[vm_walk(s, va, e) - 1];
        pte_t want = pte_make_leaf(ALIGN_DOWN(pa, size), t.level, flags);
        if (leaf != want)
            host_fail(file, line,
                      "the leaf that maps 0x%llx is 0x%llx, but pte_make_leaf makes "
                      "0x%llx for that page, level and flags: bits the CPU reads differ",
                      (unsigned long long)va, (unsigned long long)leaf, (unsigned long long)want);
    }
}

/* The tables map va so (read by the given walker). */
#define EXPECT_MAPS(s, va, pa, size, flags) \
    expect_mapping(__FILE__, __LINE__, false, s, va, pa, size, flags)
/* The lab's vm_translate says so. */
#define EXPECT_TRANSLATES(s, va, pa, size, flags) \
    expect_mapping(__FILE__, __LINE__, true, s, va, pa, size, flags)
#define EXPECT_UNMAPPED(s, va)                                                                  \
    do {                                                                                        \
        struct vm_translation _t;                                                               \
        if (walk_translate(s, va, &_t) == VM_OK)                                                \
            host_fail(__FILE__, __LINE__, "0x%llx should not be mapped, but a %s page maps it", \
                      (unsigned long long)(va), page_size_name(_t.page_size));                  \
    } while (0)

/* Every table entry of the walk for va links its table as the space's
 * tables are linked (pte_make_table(t, s->user)): on x86_64 a user walk
 * needs the user bit at every level, on AArch64 a kernel table entry
 * closes what lies below it to EL0. */
#define EXPECT_TABLES_LINKED(s, va) expect_tables_linked(__FILE__, __LINE__, s, va)
static void expect_tables_linked(const char *file, int line, struct vm_space *s, vaddr_t va)
{
    pte_t e[PT_LEVELS];
    unsigned n = vm_walk(s, va, e);

    for (unsigned i = 0; i < n; i++)
        if (pte_is_table(e[i], PT_ROOT_LEVEL - i) &&
            e[i] != pte_make_table(pte_address(e[i]), s->user)) {
            host_fail(file, line,
                      "the level-%u entry on the walk for 0x%llx is 0x%llx, not the "
                      "%s table entry pte_make_table makes (0x%llx)",
                      PT_ROOT_LEVEL - i, (unsigned long long)va, (unsigned long long)e[i],
                      s->user ? "user" : "kernel",
                      (unsigned long long)pte_make_table(pte_address(e[i]), s->user));
            return;
        }
}

#define RW  (VM_READ | VM_WRITE)
#define KRW (RW | VM_GLOBAL)

static void encodings_round_trip(void)
{
    static const unsigned combos[] = {
        VM_READ | VM_GLOBAL, KRW,          VM_READ | VM_EXEC | VM_GLOBAL, KRW | VM_DEVICE,
        VM_READ | VM_USER,   RW | VM_USER, VM_READ | VM_EXEC | VM_USER,
    };
    for (unsigned level = 0; level < 3; level++)
        for (size_t i = 0; i < sizeof(combos) / sizeof(combos[0]); i++) {
            pte_t e = pte_make_leaf(0x40000000, level, combos[i]);
            CHECK(pte_is_valid(e));
            CHECK(!pte_is_table(e, level) || level == 0);
            CHECK_EQ(pte_address(e), 0x40000000);
            CHECK_MSG(pte_leaf_flags(e, level) == combos[i], "level %u flags 0x%x came back 0x%x",
                      level, combos[i], pte_leaf_flags(e, level));
        }
    pte_t t = pte_make_table(0x1234000, false);
    CHECK(pte_is_table(t, 1) && pte_address(t) == 0x1234000);
}

static void map_translate_unmap_4k(void)
{
    setup();
    CHECK_EQ(vm_map(&kspace, KVA, 0x5000, PAGE_SIZE, KRW, 2), VM_OK);
    EXPECT_MAPS(&kspace, KVA + 0x123, 0x5123, PAGE_SIZE, KRW);
    EXPECT_TRANSLATES(&kspace, KVA + 0x123, 0x5123, PAGE_SIZE, KRW);
    CHECK_EQ(kernel_tables_made(), arch_mmu_kernel_tables_shared() ? 2 : 3);
    EXPECT_UNMAPPED(&kspace, KVA + PAGE_SIZE);
    tlb_touch(&kspace, KVA);
    CHECK_EQ(vm_unmap(&kspace, KVA, PAGE_SIZE), VM_OK);
    tlb_expect_coherent("vm_unmap");
    EXPECT_UNMAPPED(&kspace, KVA);
    CHECK_EQ(kernel_tables_made(), 0);
}

static void uses_the_largest_pages_alignment_allows(void)
{
    setup();
    /* [2M - 4K, 4M + 4K): a 4 KiB page, a 2 MiB page, a 4 KiB page. */
    u64 va = KVA + 0x200000 - PAGE_SIZE, pa = 0x40200000 - PAGE_SIZE;
    CHECK_EQ(vm_map(&kspace, va, pa, 0x200000 + 2 * PAGE_SIZE, KRW, 2), VM_OK);
    EXPECT_MAPS(&kspace, va, pa, PAGE_SIZE, KRW);
    EXPECT_MAPS(&kspace, va + PAGE_SIZE + 0x1000, pa + PAGE_SIZE + 0x1000, 0x200000, KRW);
    EXPECT_MAPS(&kspace, va + PAGE_SIZE + 0x200000, pa + PAGE_SIZE + 0x200000, PAGE_SIZE, KRW);
    CHECK_EQ(count_leaves(&kspace), 3);

    /* 1 GiB aligned: one leaf with 1 GiB pages, 512 without. */
    setup();
    CHECK_EQ(vm_map(&kspace, KVA, 0x40000000, 1ULL << 30, KRW, 2), VM_OK);
    EXPECT_MAPS(&kspace, KVA + 12345, 0x40000000 + 12345, 1ULL << 30, KRW);
    CHECK_EQ(count_leaves(&kspace), 1);
    CHECK_EQ(kernel_tables_made(), arch_mmu_kernel_tables_shared() ? 0 : 1);
    CHECK_EQ(vm_map(&kspace, KVA + (1ULL << 30), 0x80000000, 1ULL << 30, KRW, 1), VM_OK);
    CHECK_EQ(count_leaves(&kspace), 1 + 512); /* max_level 1: 2 MiB pages */
    CHECK_EQ(vm_map(&kspace, KVA + (2ULL << 30), 0x80000000, 0x200000, KRW, 0), VM_OK);
    CHECK_EQ(count_leaves(&kspace), 1 + 512 + 512); /* max_level 0: 4 KiB pages */
#if !defined(HOST_ARCH_AARCH64)
    setup();
    has_1g = false; /* qemu64 has no 1 GiB pages */
    CHECK_EQ(vm_map(&kspace, KVA, 0x40000000, 1ULL << 30, KRW, 2), VM_OK);
    CHECK_EQ(count_leaves(&kspace), 512);
    EXPECT_MAPS(&kspace, KVA, 0x40000000, 0x200000, KRW);
#endif
}

/* A leaf maps an aligned block of physical memory: where va is aligned for
 * a large page but pa is not (or the other way round), smaller pages. */
static void a_large_page_needs_pa_aligned_too(void)
{
    setup();
    CHECK_EQ(vm_map(&kspace, KVA, 0x40001000, 0x200000, KRW, 2), VM_OK);
    EXPECT_MAPS(&kspace, KVA, 0x40001000, PAGE_SIZE, KRW);
    EXPECT_MAPS(&kspace, KVA + 0x1ff008, 0x40200008, PAGE_SIZE, KRW);
    CHECK_EQ(count_leaves(&kspace), 512);

    setup();
    CHECK_EQ(vm_map(&kspace, KVA + PAGE_SIZE, 0x40200000, 0x200000, KRW, 2), VM_OK);
    EXPECT_MAPS(&kspace, KVA + PAGE_SIZE, 0x40200000, PAGE_SIZE, KRW);
    EXPECT_MAPS(&kspace, KVA + 0x200000, 0x403ff000, PAGE_SIZE, KRW);
    CHECK_EQ(count_leaves(&kspace), 512);

    /* 1 GiB-aligned va, pa only 2 MiB-aligned: 2 MiB pages. */
    setup();
    CHECK_EQ(vm_map(&kspace, KVA, 0x40200000, 1ULL << 30, KRW, 2), VM_OK);
    EXPECT_MAPS(&kspace, KVA, 0x40200000, 0x200000, KRW);
    EXPECT_MAPS(&kspace, KVA + (1ULL << 30) - 8, 0x80200000 - 8, 0x200000, KRW);
    CHECK_EQ(count_leaves(&kspace), 512);
}

/* vm_translate reports the page that maps va, at every size, and refuses
 * an address where any level of the walk has nothing. */
static void translate_reports_the_page_and_its_size(void)
{
    setup();
    CHECK_EQ(vm_map(&kspace, KVA, 0x40000000, 1ULL << 30, KRW, 2), VM_OK);
    CHECK_EQ(vm_map(&kspace, KVA + (1ULL << 30), 0x80000000, 0x200000, VM_READ | VM_GLOBAL, 1),
             VM_OK);
    CHECK_EQ(vm_map(&kspace, KVA + (1ULL << 30) + 0x200000, 0x5000, PAGE_SIZE,
                    VM_READ | VM_EXEC | VM_GLOBAL, 0),
             VM_OK);
    CHECK_EQ(vm_map(&uspace, 0x400000, 0x9000, PAGE_SIZE, RW | VM_USER, 0), VM_OK);
    EXPECT_TRANSLATES(&kspace, KVA, 0x40000000, 1ULL << 30, KRW);
    EXPECT_TRANSLATES(&kspace, KVA + 0x3fedcba8, 0x7fedcba8, 1ULL << 30, KRW);
    EXPECT_TRANSLATES(&kspace, KVA + (1ULL << 30) + 0x1abcde, 0x801abcde, 0x200000,
                      VM_READ | VM_GLOBAL);
    EXPECT_TRANSLATES(&kspace, KVA + (1ULL << 30) + 0x200ff8, 0x5ff8, PAGE_SIZE,
                      VM_READ | VM_EXEC | VM_GLOBAL);
    EXPECT_TRANSLATES(&uspace, 0x400abc, 0x9abc, PAGE_SIZE, RW | VM_USER);
    /* Nothing at level 0, 1, 2 and at the root. */
    struct vm_translation t;
    CHECK_EQ(vm_translate(&kspace, KVA + (1ULL << 30) + 0x201000, &t), VM_ERR_NOT_MAPPED);
    CHECK_EQ(vm_translate(&kspace, KVA + (1ULL << 30) + 0x400000, &t), VM_ERR_NOT_MAPPED);
    CHECK_EQ(vm_translate(&kspace, KVA + (2ULL << 30), &t), VM_ERR_NOT_MAPPED);
    CHECK_EQ(vm_translate(&kspace, KVA + (1ULL << 39), &t), VM_ERR_NOT_MAPPED);
    CHECK_EQ(vm_translate(&uspace, 0x401000, &t), VM_ERR_NOT_MAPPED);
    CHECK_EQ(vm_translate(&uspace, 0x7ffffffff000, &t), VM_ERR_NOT_MAPPED);
}

static void refuses_to_map_over_a_live_mapping(void)
{
    setup();
    CHECK_EQ(vm_map(&kspace, KVA, 0x40000000, 0x200000, KRW, 2), VM_OK);
    long tables = frames_in_use;
    CHECK_EQ(vm_map(&kspace, KVA, 0x80000000, 0x200000, KRW, 2), VM_ERR_EXISTS);
    CHECK_EQ(vm_map(&kspace, KVA + 0x1ff000, 0x9000, 0x2000, KRW, 2), VM_ERR_EXISTS);
    CHECK_EQ(vm_map(&kspace, KVA + 0x100000, 0x9000, PAGE_SIZE, KRW, 0), VM_ERR_EXISTS);
    CHECK_EQ(frames_in_use, tables); /* nothing half-made */
    EXPECT_MAPS(&kspace, KVA, 0x40000000, 0x200000, KRW);
    EXPECT_UNMAPPED(&kspace, KVA + 0x200000);

    /* Overlaps at the range's last page, in its middle, and with the
     * later part of a 1 GiB page; neighbours that touch are fine. */
    CHECK_EQ(vm_map(&kspace, KVA + (1ULL << 30), 0x40000000, 1ULL << 30, KRW, 2), VM_OK);
    tables = frames_in_use;
    CHECK_EQ(vm_map(&kspace, KVA - PAGE_SIZE, 0x9000, 2 * PAGE_SIZE, KRW, 0), VM_ERR_EXISTS);
    CHECK_EQ(vm_map(&kspace, KVA - 0x200000, 0x9000, 0x800000, KRW, 0), VM_ERR_EXISTS);
    CHECK_EQ(vm_map(&kspace, KVA + (2ULL << 30) - PAGE_SIZE, 0x9000, 2 * PAGE_SIZE, KRW, 0),
             VM_ERR_EXISTS);
    CHECK_EQ(vm_map(&kspace, KVA + (1ULL << 30) - PAGE_SIZE, 0x9000, 2 * PAGE_SIZE, KRW, 0),
             VM_ERR_EXISTS);
    CHECK_EQ(frames_in_use, tables);
    CHECK_EQ(count_leaves(&kspace), 2);
    CHECK_EQ(vm_map(&kspace, KVA - PAGE_SIZE, 0x9000, PAGE_SIZE, KRW, 0), VM_OK);
    CHECK_EQ(vm_map(&kspace, KVA + 0x200000, 0x200000, (1ULL << 30) - 0x200000, KRW, 1), VM_OK);
    CHECK_EQ(vm_map(&kspace, KVA + (2ULL << 30), 0xa000, PAGE_SIZE, KRW, 0), VM_OK);
    EXPECT_MAPS(&kspace, KVA + (1ULL << 30) - PAGE_SIZE, (1ULL << 30) - PAGE_SIZE, 0x200000, KRW);
}

static void unmapping_part_of_a_huge_page_splits_it(void)
{
    setup();
    CHECK_EQ(vm_map(&kspace, KVA, 0x40000000, 1ULL << 30, KRW, 2), VM_OK);
    tlb_touch_all(&kspace);
    /* A 4 KiB hole in the middle of a 1 GiB page. */
    CHECK_EQ(vm_unmap(&kspace, KVA + 0x300000, PAGE_SIZE), VM_OK);
    tlb_expect_coherent("vm_unmap");
    EXPECT_UNMAPPED(&kspace, KVA + 0x300000);
    EXPECT_MAPS(&kspace, KVA + 0x2ff000, 0x402ff000, PAGE_SIZE, KRW);
    EXPECT_MAPS(&kspace, KVA + 0x301000, 0x40301000, PAGE_SIZE, KRW);
    EXPECT_MAPS(&kspace, KVA + 0x100000, 0x40100000, 0x200000, KRW);
    EXPECT_MAPS(&kspace, KVA + 0x3ff00000, 0x7ff00000, 0x200000, KRW);
    CHECK_EQ(count_leaves(&kspace), 511 + 511);
    /* Everything back: every table freed. */
    tlb_touch_all(&kspace);
    CHECK_EQ(vm_unmap(&kspace, KVA, 1ULL << 30), VM_OK);
    tlb_expect_coherent("vm_unmap");
    CHECK_EQ(count_leaves(&kspace), 0);
    CHECK_EQ(kernel_tables_made(), 0);
}

/* A range whose two ends fall inside two different huge pages: both are
 * split, as little as needed, and nothing else moves. */
static void each_end_of_a_range_splits_its_own_page(void)
{
    setup();
    CHECK_EQ(vm_map(&kspace, KVA, 0x40000000, 0x400000, KRW, 1), VM_OK);
    tlb_touch_all(&kspace);
    CHECK_EQ(vm_unmap(&kspace, KVA + 0x100000, 0x200000), VM_OK);
    tlb_expect_coherent("vm_unmap");
    EXPECT_MAPS(&kspace, KVA + 0xff000, 0x400ff000, PAGE_SIZE, KRW);
    EXPECT_UNMAPPED(&kspace, KVA + 0x100000);
    EXPECT_UNMAPPED(&kspace, KVA + 0x1ff000);
    EXPECT_UNMAPPED(&kspace, KVA + 0x200000);
    EXPECT_UNMAPPED(&kspace, KVA + 0x2ff000);
    EXPECT_MAPS(&kspace, KVA + 0x300000, 0x40300000, PAGE_SIZE, KRW);
    EXPECT_MAPS(&kspace, KVA + 0x3ff008, 0x403ff008, PAGE_SIZE, KRW);
    EXPECT_TABLES_LINKED(&kspace, KVA + 0x300000);
    CHECK_EQ(count_leaves(&kspace), 256 + 256);

    /* Two 1 GiB pages, made read-only around the boundary between them. */
    setup();
    CHECK_EQ(vm_map(&kspace, KVA, 0x40000000, 2ULL << 30, KRW, 2), VM_OK);
    tlb_touch_all(&kspace);
    vaddr_t mid = KVA + (1ULL << 30);
    CHECK_EQ(vm_protect(&kspace, mid - PAGE_SIZE, 2 * PAGE_SIZE, VM_READ | VM_GLOBAL), VM_OK);
    tlb_expect_coherent("vm_protect");
    EXPECT_MAPS(&kspace, KVA, 0x40000000, 0x200000, KRW);
    EXPECT_MAPS(&kspace, mid - 2 * PAGE_SIZE, 0x80000000 - 2 * PAGE_SIZE, PAGE_SIZE, KRW);
    EXPECT_MAPS(&kspace, mid - PAGE_SIZE, 0x80000000 - PAGE_SIZE, PAGE_SIZE, VM_READ | VM_GLOBAL);
    EXPECT_MAPS(&kspace, mid, 0x80000000, PAGE_SIZE, VM_READ | VM_GLOBAL);
    EXPECT_MAPS(&kspace, mid + PAGE_SIZE, 0x80000000 + PAGE_SIZE, PAGE_SIZE, KRW);
    EXPECT_MAPS(&kspace, mid + 0x200000, 0x80200000, 0x200000, KRW);
    EXPECT_MAPS(&kspace, KVA + (2ULL << 30) - 8, 0xc0000000 - 8, 0x200000, KRW);
    CHECK_EQ(count_leaves(&kspace), 2 * (511 + 512));

    /* In a user space: the new tables are user tables, the leaves user pages. */
    setup();
    CHECK_EQ(vm_map(&uspace, 0x200000, 0x40000000, 0x400000, RW | VM_USER, 1), VM_OK);
    tlb_touch_all(&uspace);
    CHECK_EQ(vm_protect(&uspace, 0x300000, 0x200000, VM_READ | VM_USER), VM_OK);
    tlb_expect_coherent("vm_protect");
    EXPECT_MAPS(&uspace, 0x2ff000, 0x400ff000, PAGE_SIZE, RW | VM_USER);
    EXPECT_MAPS(&uspace, 0x300000, 0x40100000, PAGE_SIZE, VM_READ | VM_USER);
    EXPECT_MAPS(&uspace, 0x4ff000, 0x402ff000, PAGE_SIZE, VM_READ | VM_USER);
    EXPECT_MAPS(&uspace, 0x500000, 0x40300000, PAGE_SIZE, RW | VM_USER);
    EXPECT_TABLES_LINKED(&uspace, 0x2ff000);
    EXPECT_TABLES_LINKED(&uspace, 0x500000);
    CHECK_EQ(vm_unmap(&uspace, 0x200000, 0x400000), VM_OK);
    CHECK_EQ(vm_table_pages(&uspace), 0);
}

/* A huge page that maps the table holding its own entry cannot be split:
 * between break and make the table would be unmapped. Refused, and
 * nothing changes. (The tables come from the start of the simulated RAM.) */
static void a_huge_page_that_maps_its_own_table_is_not_split(void)
{
    setup();
    CHECK_EQ(vm_map(&kspace, KVA, RAM_PA, 0x200000, KRW, 1), VM_OK);
    long tables = frames_in_use;
    tlb_touch_all(&kspace);
    CHECK_EQ(vm_unmap(&kspace, KVA + 0x100000, PAGE_SIZE), VM_ERR_INVALID);
    CHECK_EQ(vm_protect(&kspace, KVA, PAGE_SIZE, VM_READ | VM_GLOBAL), VM_ERR_INVALID);
    tlb_expect_coherent("a refused split");
    EXPECT_MAPS(&kspace, KVA + 0x100000, RAM_PA + 0x100000, 0x200000, KRW);
    CHECK_EQ(frames_in_use, tables);
    /* Its neighbour, whose memory holds no table, splits. */
    CHECK_EQ(vm_map(&kspace, KVA + 0x200000, 0x40000000, 0x200000, KRW, 1), VM_OK);
    CHECK_EQ(vm_unmap(&kspace, KVA + 0x300000, PAGE_SIZE), VM_OK);
    EXPECT_MAPS(&kspace, KVA + 0x200000, 0x40000000, PAGE_SIZE, KRW);

    /* A 1 GiB page over all of the simulated RAM. */
    setup();
    CHECK_EQ(vm_map(&kspace, KVA, 0, 1ULL << 30, KRW, 2), VM_OK);
    tables = frames_in_use;
    CHECK_EQ(vm_unmap(&kspace, KVA + 0x40000000 - PAGE_SIZE, PAGE_SIZE), VM_ERR_INVALID);
    EXPECT_MAPS(&kspace, KVA + RAM_PA, RAM_PA, 1ULL << 30, KRW);
    CHECK_EQ(frames_in_use, tables);
}

/*
 * The TLB after vm_unmap, with the strict model above: every page used
 * before the unmap, every table on the way freed. A page alone in its
 * tables at each size, in the kernel and in a user space; neighbours that
 * share tables, unmapped one by one; a range with holes in it.
 */
static void unmap_leaves_nothing_stale_in_the_tlb(void)
{
    static const u64 sizes[] = { PAGE_SIZE, 0x200000, 1ULL << 30 };

    for (int user = 0; user < 2; user++)
        for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
            setup();
            struct vm_space *s = user ? &uspace : &kspace;
            vaddr_t va = user ? 1ULL << 30 : KVA;
            unsigned flags = user ? RW | VM_USER : KRW;
            CHECK_EQ(vm_map(s, va, 0x40000000, sizes[i], flags, 2), VM_OK);
            tlb_touch_all(s);
            CHECK_EQ(vm_unmap(s, va, sizes[i]), VM_OK);
            tlb_expect_coherent("vm_unmap");
            EXPECT_UNMAPPED(s, va);
            CHECK_EQ(count_leaves(s), 0);
            CHECK_EQ(user ? (long)vm_table_pages(s) : kernel_tables_made(), 0);
        }

    setup();
    CHECK_EQ(vm_map(&kspace, KVA, 0x5000, 2 * PAGE_SIZE, KRW, 0), VM_OK);
    CHECK_EQ(vm_map(&kspace, KVA + 0x200000, 0x7000, PAGE_SIZE, KRW, 0), VM_OK);
    tlb_touch_all(&kspace);
    CHECK_EQ(vm_unmap(&kspace, KVA, PAGE_SIZE), VM_OK);
    tlb_expect_coherent("vm_unmap");
    EXPECT_MAPS(&kspace, KVA + PAGE_SIZE, 0x6000, PAGE_SIZE, KRW);
    CHECK_EQ(vm_unmap(&kspace, KVA + PAGE_SIZE, PAGE_SIZE), VM_OK);
    tlb_expect_coherent("vm_unmap");
    EXPECT_MAPS(&kspace, KVA + 0x200000, 0x7000, PAGE_SIZE, KRW);
    tlb_touch_all(&kspace);
    CHECK_EQ(vm_unmap(&kspace, KVA + 0x200000, PAGE_SIZE), VM_OK);
    tlb_expect_coherent("vm_unmap");
    CHECK_EQ(kernel_tables_made(), 0);

    /* [KVA, KVA + 4 MiB) with a hole at 1 MiB and nothing in its second half. */
    setup();
    CHECK_EQ(vm_map(&kspace, KVA, 0x5000, 0x100000, KRW, 0), VM_OK);
    CHECK_EQ(vm_map(&kspace, KVA + 0x101000, 0x200000, 0xff000, KRW, 0), VM_OK);
    tlb_touch_all(&kspace);
    CHECK_EQ(vm_unmap(&kspace, KVA, 0x400000), VM_OK);
    tlb_expect_coherent("vm_unmap");
    CHECK_EQ(count_leaves(&kspace), 0);
    CHECK_EQ(kernel_tables_made(), 0);
}

static void protect_changes_flags_and_splits_at_the_edges(void)
{
    setup();
    CHECK_EQ(vm_map(&kspace, KVA, 0x40000000, 0x400000, KRW, 2), VM_OK);
    tlb_touch_all(&kspace);
    CHECK_EQ(vm_protect(&kspace, KVA + 0x1000, 0x1ff000, VM_READ | VM_EXEC | VM_GLOBAL), VM_OK);
    tlb_expect_coherent("vm_protect");
    EXPECT_MAPS(&kspace, KVA, 0x40000000, PAGE_SIZE, KRW);
    EXPECT_MAPS(&kspace, KVA + 0x1000, 0x40001000, PAGE_SIZE, VM_READ | VM_EXEC | VM_GLOBAL);
    EXPECT_MAPS(&kspace, KVA + 0x1ff000, 0x401ff000, PAGE_SIZE, VM_READ | VM_EXEC | VM_GLOBAL);
    EXPECT_MAPS(&kspace, KVA + 0x200000, 0x40200000, 0x200000, KRW);
    CHECK_EQ(vm_protect(&kspace, KVA + 0x300000, 0x200000, VM_READ), VM_ERR_NOT_MAPPED);
    EXPECT_MAPS(&kspace, KVA + 0x300000, 0x40300000, 0x200000, KRW); /* unchanged */
}

/* Protecting whole large pages needs no split: each leaf is rewritten as
 * it is, at its size, and the TLB forgets the old permissions. */
static void protecting_whole_large_pages_keeps_them_whole(void)
{
    static const u64 sizes[] = { PAGE_SIZE, 0x200000, 1ULL << 30 };

    for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
        setup();
        CHECK_EQ(vm_map(&kspace, KVA, 0x40000000, sizes[i], KRW, 2), VM_OK);
        tlb_touch_all(&kspace);
        long tables = frames_in_use;
        CHECK_EQ(vm_protect(&kspace, KVA, sizes[i], VM_READ | VM_GLOBAL), VM_OK);
        tlb_expect_coherent("vm_protect");
        EXPECT_MAPS(&kspace, KVA, 0x40000000, sizes[i], VM_READ | VM_GLOBAL);
        EXPECT_MAPS(&kspace, KVA + sizes[i] - 8, 0x40000000 + sizes[i] - 8, sizes[i],
                    VM_READ | VM_GLOBAL);
        CHECK_EQ(count_leaves(&kspace), 1);
        CHECK_EQ(frames_in_use, tables);
    }

    /* 2 MiB + 1 GiB + 4 KiB leaves in one range, in a user space. */
    setup();
    vaddr_t va = (1ULL << 30) - 0x200000;
    CHECK_EQ(vm_map(&uspace, va, 0x40000000 - 0x200000, 0x200000 + (1ULL << 30) + PAGE_SIZE,
                    RW | VM_USER, 2),
             VM_OK);
    CHECK_EQ(count_leaves(&uspace), 3);
    tlb_touch_all(&uspace);
    CHECK_EQ(
        vm_protect(&uspace, va, 0x200000 + (1ULL << 30) + PAGE_SIZE, VM_READ | VM_EXEC | VM_USER),
        VM_OK);
    tlb_expect_coherent("vm_protect");
    EXPECT_MAPS(&uspace, va, 0x3fe00000, 0x200000, VM_READ | VM_EXEC | VM_USER);
    EXPECT_MAPS(&uspace, 1ULL << 30, 0x40000000, 1ULL << 30, VM_READ | VM_EXEC | VM_USER);
    EXPECT_MAPS(&uspace, 2ULL << 30, 0x80000000, PAGE_SIZE, VM_READ | VM_EXEC | VM_USER);
    CHECK_EQ(count_leaves(&uspace), 3);
}

static void running_out_of_memory_leaves_no_trace(void)
{
    for (long k = 0; k < 8; k++) {
        setup();
        CHECK_EQ(vm_map(&kspace, KVA, 0x40000000, PAGE_SIZE, KRW, 0), VM_OK);
        long before = frames_in_use;
        int leaves = count_leaves(&kspace);
        fail_after = k;
        /* Needs tables at three levels in another part of the space. */
        int err = vm_map(&kspace, KVA + (1ULL << 39) - PAGE_SIZE, 0x9000, 2 * PAGE_SIZE, KRW, 0);
        fail_after = -1;
        if (err == VM_OK) {
            /* Every table it needed came: all of the range is mapped. */
            EXPECT_MAPS(&kspace, KVA + (1ULL << 39) - PAGE_SIZE, 0x9000, PAGE_SIZE, KRW);
            EXPECT_MAPS(&kspace, KVA + (1ULL << 39), 0xa000, PAGE_SIZE, KRW);
            break;
        }
        CHECK_EQ(err, VM_ERR_NO_MEMORY);
        CHECK_EQ(frames_in_use, before);
        CHECK_EQ(count_leaves(&kspace), leaves);
    }
    /* Splitting needs memory too; failing leaves the huge page whole. */
    setup();
    CHECK_EQ(vm_map(&kspace, KVA, 0x40000000, 0x200000, KRW, 2), VM_OK);
    fail_after = 0;
    CHECK_EQ(vm_unmap(&kspace, KVA, PAGE_SIZE), VM_ERR_NO_MEMORY);
    CHECK_EQ(vm_protect(&kspace, KVA, PAGE_SIZE, VM_READ | VM_GLOBAL), VM_ERR_NO_MEMORY);
    fail_after = -1;
    EXPECT_MAPS(&kspace, KVA + PAGE_SIZE, 0x40001000, 0x200000, KRW);
}

static void tables_follow_the_space(void)
{
    setup();
    CHECK_EQ(vm_map(&uspace, 0x400000, 0x9000, PAGE_SIZE, RW | VM_USER, 0), VM_OK);
    CHECK_EQ(vm_map(&kspace, KVA, 0xa000, PAGE_SIZE, KRW, 0), VM_OK);
    pte_t *ur = root_table(&uspace), *kr = root_table(&kspace);
    CHECK_EQ(ur[pt_index(0x400000, 3)], pte_make_table(pte_address(ur[0]), true));
    CHECK_EQ(kr[pt_index(KVA, 3)], pte_make_table(pte_address(kr[pt_index(KVA, 3)]), false));
    CHECK(pte_make_table(0x1000, true) != pte_make_table(0x1000, false));
    /* Each space refuses the other half. */
    CHECK_EQ(vm_map(&uspace, KVA, 0x9000, PAGE_SIZE, RW, 0), VM_ERR_INVALID);
    CHECK_EQ(vm_map(&kspace, 0x400000, 0x9000, PAGE_SIZE, KRW, 0), VM_ERR_INVALID);
}

static void bad_arguments_are_refused(void)
{
    setup();
    CHECK_EQ(vm_map(&kspace, KVA + 1, 0x9000, PAGE_SIZE, KRW, 0), VM_ERR_INVALID);
    CHECK_EQ(vm_map(&kspace, KVA, 0x9001, PAGE_SIZE, KRW, 0), VM_ERR_INVALID);
    CHECK_EQ(vm_map(&kspace, KVA, 0x9000, 0, KRW, 0), VM_ERR_INVALID);
    CHECK_EQ(vm_map(&kspace, 0xfffffffffffff000ULL, 0x9000, 2 * PAGE_SIZE, KRW, 0), VM_ERR_INVALID);
    CHECK_EQ(vm_map(&uspace, USER_END - PAGE_SIZE, 0x9000, 2 * PAGE_SIZE, RW, 0), VM_ERR_INVALID);
    CHECK_EQ(vm_unmap(&kspace, KVA, 123), VM_ERR_INVALID);
    CHECK_EQ(kernel_tables_made(), 0);
}

static void the_top_of_the_address_space(void)
{
    setup();
    vaddr_t top = 0xffffffffffe00000ULL;
    CHECK_EQ(vm_map(&kspace, top, 0x40000000, 0x200000, KRW, 2), VM_OK);
    EXPECT_MAPS(&kspace, 0xfffffffffffff000ULL, 0x401ff000, 0x200000, KRW);
    tlb_touch_all(&kspace);
    CHECK_EQ(vm_unmap(&kspace, top + 0x1ff000, PAGE_SIZE), VM_OK);
    tlb_expect_coherent("vm_unmap");
    CHECK_EQ(count_leaves(&kspace), 511);
    tlb_touch_all(&kspace);
    CHECK_EQ(vm_protect(&kspace, top, 0x1ff000, VM_READ | VM_GLOBAL), VM_OK);
    tlb_expect_coherent("vm_protect");
    EXPECT_MAPS(&kspace, top + 0x1fe000, 0x401fe000, PAGE_SIZE, VM_READ | VM_GLOBAL);
    CHECK_EQ(vm_unmap(&kspace, top, 0x200000), VM_OK);
    tlb_expect_coherent("vm_unmap");
    CHECK_EQ(kernel_tables_made(), 0);
}

HOST_TESTS(encodings_round_trip, map_translate_unmap_4k, uses_the_largest_pages_alignment_allows,
           a_large_page_needs_pa_aligned_too, translate_reports_the_page_and_its_size,
           refuses_to_map_over_a_live_mapping, unmapping_part_of_a_huge_page_splits_it,
           each_end_of_a_range_splits_its_own_page,
           a_huge_page_that_maps_its_own_table_is_not_split, unmap_leaves_nothing_stale_in_the_tlb,
           protect_changes_flags_and_splits_at_the_edges,
           protecting_whole_large_pages_keeps_them_whole, running_out_of_memory_leaves_no_trace,
           tables_follow_the_space, bad_arguments_are_refused, the_top_of_the_address_space)
