/*
 * Host tests of mm/kmalloc.c over the simulated machine of arena.h.
 *
 * What is checked is the memory and the slabs' own headers, never a count
 * that the code under test keeps: objects lie inside their block, after
 * its header, do not overlap, and keep what was written into them; a slab
 * holds exactly the objects of one size class that fit in it; an object
 * freed into a full slab comes back from its own class; an emptied slab's
 * block is no longer a slab once the buddy allocator has it back; and after
 * everything is freed the buddy allocator's free blocks are those of the
 * start, so every page came back whole.
 */
#include <stdlib.h>

#include "host.h"
#include "../../mm/memmap.c"
#include "../../mm/early.c"
#include "../../mm/buddy.c"
#include "../../mm/kmalloc.c"
#include "arena.h"

#define NCLASS_SIZES 8
static const size_t class_sizes[NCLASS_SIZES] = { 16, 32, 64, 128, 256, 512, 1024, 2048 };

static u64 free_blocks_at_boot[BUDDY_MAX_ORDER + 1];

/*
 * A fresh machine: the buddy allocator over the arena, and kmalloc without
 * a slab. A case that failed may have left slabs on the lists; they are
 * forgotten here, so the next case does not fail for a reason not its own.
 */
static void boot(void)
{
    arena_boot();
    memset(partial, 0, sizeof(partial));
    slabs_in_use = 0;
    for (unsigned o = 0; o <= BUDDY_MAX_ORDER; o++)
        free_blocks_at_boot[o] = buddy_free_blocks(o);
}

/* Everything freed: the buddy allocator has every page back, merged as at boot. */
static void check_every_page_is_back(const char *what)
{
    CHECK_MSG(kmalloc_slab_count() == 0, "%s: %llu slabs still in use", what,
              (unsigned long long)kmalloc_slab_count());
    for (unsigned o = 0; o <= BUDDY_MAX_ORDER; o++)
        CHECK_MSG(buddy_free_blocks(o) == free_blocks_at_boot[o],
                  "%s: %llu free blocks of order %u, %llu at boot", what,
                  (unsigned long long)buddy_free_blocks(o), o,
                  (unsigned long long)free_blocks_at_boot[o]);
}

/* The allocated buddy block that holds p, and its size; NULL if none does. */
static u8 *block_of(const void *p, u64 *bytes)
{
    unsigned order;
    paddr_t head = buddy_block_containing(pmo_virt_to_phys(p), &order);

    if (head == PADDR_NONE)
        return NULL;
    *bytes = (u64)PAGE_SIZE << order;
    return phys_to_virt(head);
}

/* The objects of one size that fit in a slab block after its header. */
static size_t fits(size_t size, u64 block_bytes)
{
    return MIN((block_bytes - SLAB_HEADER_SIZE) / size, SLAB_MAX_OBJECTS);
}

/* Objects of one class, allocated until one lands in a second block. */
struct full_slab {
    u8 *block; /* the first slab's block */
    u64 bytes; /* its size */
    u8 *objects[SLAB_MAX_OBJECTS + 1];
    size_t n; /* objects in the first block */
    u8 *next; /* the first object in another block */
};

static bool fill_a_slab(size_t size, struct full_slab *f)
{
    memset(f, 0, sizeof(*f));
    for (;;) {
        u64 bytes;
        u8 *p = kmalloc(size);
        u8 *block = p ? block_of(p, &bytes) : NULL;

        if (!block) {
            host_fail(__FILE__, __LINE__, "kmalloc(%zu) #%zu: %p, not in an allocated block", size,
                      f->n, (void *)p);
            return false;
        }
        if (!f->block) {
            f->block = block;
            f->bytes = bytes;
        }
        if (block != f->block) {
            f->next = p;
            return true;
        }
        if (f->n == SLAB_MAX_OBJECTS + 1) {
            host_fail(__FILE__, __LINE__, "kmalloc(%zu): more than %d objects in one block", size,
                      SLAB_MAX_OBJECTS + 1);
            return false;
        }
        f->objects[f->n++] = p;
    }
}

static void free_the_slab(struct full_slab *f)
{
    for (size_t i = 0; i < f->n; i++)
        if (f->objects[i])
            kfree(f->objects[i]);
    kfree(f->next);
}

/*
 * For every class: a slab holds exactly the objects that fit after its
 * header, each inside the block, none overlapping another, each keeping
 * all of what was written into it; the header stays a slab of that class.
 */
static void a_slab_holds_the_objects_that_fit(void)
{
    static struct full_slab f;
    static u8 owner[4 * PAGE_SIZE]; /* which object covers each byte of the block, + 1 */

    boot();
    for (int c = 0; c < NCLASS_SIZES; c++) {
        size_t size = class_sizes[c];
        if (!fill_a_slab(size, &f))
            return;
        CHECK_MSG(f.n == fits(size, f.bytes),
                  "class %zu: %zu objects in a block of %llu bytes, where %zu fit", size, f.n,
                  (unsigned long long)f.bytes, fits(size, f.bytes));
        CHECK_MSG(f.bytes <= sizeof(owner), "class %zu: a slab of %llu bytes", size,
                  (unsigned long long)f.bytes);
        memset(owner, 0, sizeof(owner));
        for (size_t i = 0; i < f.n; i++) {
            size_t at = (size_t)(f.objects[i] - f.block);
            CHECK_MSG(at >= SLAB_HEADER_SIZE && at + size <= f.bytes,
                      "class %zu: object %zu at block + 0x%zx, outside [0x%x, 0x%llx)", size, i, at,
                      SLAB_HEADER_SIZE, (unsigned long long)f.bytes);
            if (at < SLAB_HEADER_SIZE || at + size > f.bytes)
                return;
            for (size_t b = at; b < at + size; b++) {
                if (owner[b]) {
                    host_fail(__FILE__, __LINE__, "class %zu: objects %d and %zu overlap at +0x%zx",
                              size, owner[b] - 1, i, b);
                    return;
                }
                owner[b] = (u8)(i % 255 + 1);
            }
            memset(f.objects[i], (int)(i * 7 + c), size); /* the whole object */
        }
        for (size_t i = 0; i < f.n; i++)
            for (size_t b = 0; b < size; b++)
                if (f.objects[i][b] != (u8)(i * 7 + c)) {
                    host_fail(__FILE__, __LINE__, "class %zu: object %zu was overwritten at +%zu",
                              size, i, b);
                    return;
                }
        const struct slab *s = (const void *)f.block;
        CHECK_MSG(s->magic == SLAB_MAGIC && s->object_size == size,
                  "class %zu: the slab's header was overwritten (magic 0x%x, object_size %u)", size,
                  s->magic, s->object_size);
        free_the_slab(&f);
    }
    check_every_page_is_back("after every class");
}

/*
 * The slot right after a slab's last object lies inside the block for the
 * classes whose objects do not fill it exactly; it is no object, and
 * freeing it is refused.
 */
static void a_pointer_past_the_last_object_is_refused(void)
{
    static struct full_slab f;
    volatile int refused = 0; /* across the longjmp of EXPECT_PANIC */

    boot();
    for (int c = 0; c < NCLASS_SIZES; c++) {
        size_t size = class_sizes[c];
        if (!fill_a_slab(size, &f))
            return;
        u8 *last = f.objects[0];
        for (size_t i = 1; i < f.n; i++)
            last = MAX(last, f.objects[i]);
        u8 *past = last + size;
        if (past + KMALLOC_MIN_SIZE <= f.block + f.bytes) {
            EXPECT_PANIC("lies past the last object", kfree(past));
            refused++;
        }
        free_the_slab(&f);
    }
    CHECK_EQ(refused, 5); /* 128 .. 2048 bytes */
    check_every_page_is_back("after the refusals");
}

/*
 * An emptied slab goes back to the buddy allocator as plain memory. Once
 * its page is handed out again, a stale pointer into it is no kmalloc
 * object: kfree says so, and does not take the page for a slab.
 */
static void a_stale_pointer_into_a_returned_slab_is_refused(void)
{
    boot();
    u8 *p = kmalloc(64);
    paddr_t page = ALIGN_DOWN(pmo_virt_to_phys(p), (paddr_t)PAGE_SIZE);

    kfree(p); /* its slab is empty: the page goes back */
    paddr_t again = buddy_alloc_pages(0);
    CHECK_EQ(again, page); /* the buddy allocator's cache hands it out first */
    EXPECT_PANIC("did not make", kfree(p));
    buddy_free_pages(again, 0);
    check_every_page_is_back("after the stale pointer");
}

/*
 * A full slab of each class gets one object back, and goes back on a list:
 * its own class's. The next object of every class then comes from a slab
 * of that class, never from a slab of larger (or smaller) objects.
 */
static void a_freed_object_goes_back_to_its_own_class(void)
{
    static struct full_slab f[NCLASS_SIZES];

    boot();
    for (int c = 0; c < NCLASS_SIZES; c++)
        if (!fill_a_slab(class_sizes[c], &f[c]))
            return;
    for (int c = 0; c < NCLASS_SIZES; c++) {
        kfree(f[c].objects[0]);
        f[c].objects[0] = NULL;
    }
    for (int c = 0; c < NCLASS_SIZES; c++) {
        u64 bytes;
        u8 *p = kmalloc(class_sizes[c]);
        const struct slab *s = p ? (const void *)block_of(p, &bytes) : NULL;
        CHECK_MSG(s && s->magic == SLAB_MAGIC && s->object_size == class_sizes[c],
                  "kmalloc(%zu) came from a slab of %u-byte objects", class_sizes[c],
                  s ? s->object_size : 0);
        f[c].objects[0] = p;
    }
    for (int c = 0; c < NCLASS_SIZES; c++)
        free_the_slab(&f[c]);
    check_every_page_is_back("after the frees");
}

static void sizes_alignment_and_distinct_objects(void)
{
    static u8 *p[4096];
    static size_t sz[4096];
    boot();
    unsigned long long seed = 7;
    for (int i = 0; i < 4096; i++) {
        seed = seed * 6364136223846793005ULL + 1442695040888963407ULL;
        sz[i] = 1 + (seed >> 33) % (i % 16 == 0 ? 20000 : 2048);
        p[i] = kmalloc(sz[i]);
        CHECK(p[i] != NULL);
        CHECK_EQ((uintptr_t)p[i] % 16, 0);
        memset(p[i], i & 0xff, sz[i]);
    }
    for (int i = 0; i < 4096; i++)
        for (size_t b = 0; b < sz[i]; b += 7)
            if (p[i][b] != (u8)(i & 0xff)) {
                host_fail(__FILE__, __LINE__, "object %d (%zu bytes) was overwritten", i, sz[i]);
                return;
            }
    for (int i = 0; i < 4096; i += 2)
        kfree(p[i]);
    for (int i = 1; i < 4096; i += 2)
        kfree(p[i]);
    check_every_page_is_back("after 4096 objects");
}

/*
 * Random kmalloc and kfree; every live object holds a pattern of its own,
 * checked whole before it is freed, so an object handed out twice, or
 * written by a neighbour, shows.
 */
static void random_churn_keeps_every_object_intact(void)
{
    enum { LIVE = 2048, OPS = 200000 };
    static struct {
        u8 *p;
        size_t size;
        u8 pattern;
    } live[LIVE];
    unsigned long long seed = 0xc0ffee;
    int n = 0;

    boot();
    for (int op = 0; op < OPS; op++) {
        seed = seed * 6364136223846793005ULL + 1442695040888963407ULL;
        if (n == 0 || (n < LIVE && (seed >> 60) < 9)) {
            size_t size = 1 + (seed >> 20) % ((seed >> 40) % 16 ? 2048 : 9000);
            u8 *p = kmalloc(size);
            if (!p) {
                host_fail(__FILE__, __LINE__, "op %d: kmalloc(%zu) failed", op, size);
                return;
            }
            live[n].p = p;
            live[n].size = size;
            live[n].pattern = (u8)(op * 13 + 1);
            memset(p, live[n].pattern, size);
            n++;
        } else {
            int k = (int)((seed >> 24) % (unsigned)n);
            for (size_t b = 0; b < live[k].size; b++)
                if (live[k].p[b] != live[k].pattern) {
                    host_fail(__FILE__, __LINE__,
                              "op %d: a %zu-byte object was overwritten at +%zu (0x%x, not 0x%x)",
                              op, live[k].size, b, live[k].p[b], live[k].pattern);
                    return;
                }
            kfree(live[k].p);
            live[k] = live[--n];
        }
    }
    while (n)
        kfree(live[--n].p);
    check_every_page_is_back("after the churn");
}

static void zero_and_null(void)
{
    boot();
    CHECK(kmalloc(0) == NULL);
    kfree(NULL);
    u8 *p = kmalloc(100);
    memset(p, 0xff, 100);
    kfree(p);
    u8 *z = kzalloc(100);
    for (int i = 0; i < 100; i++)
        CHECK_EQ(z[i], 0);
    kfree(z);
    CHECK(kmalloc((size_t)PAGE_SIZE << (BUDDY_MAX_ORDER + 1)) == NULL);
    check_every_page_is_back("after zero and null");
}

static void misuse_panics(void)
{
    boot();
    u8 *a = kmalloc(64), *b = kmalloc(64), *big = kmalloc(10000);
    u64 bytes;
    u8 *slab = block_of(b, &bytes);
    kfree(a);
    EXPECT_PANIC("double free of", kfree(a));
    EXPECT_PANIC("not the start of a 64-byte object", kfree(b + 16));
    EXPECT_PANIC("not the start of a 64-byte object", kfree(slab + 16)); /* the header */
    kfree(big);
    EXPECT_PANIC("not allocated memory", kfree(big));
    kfree(b);
    check_every_page_is_back("after the misuse");
}

HOST_TESTS(a_slab_holds_the_objects_that_fit, a_pointer_past_the_last_object_is_refused,
           a_stale_pointer_into_a_returned_slab_is_refused,
           a_freed_object_goes_back_to_its_own_class, sizes_alignment_and_distinct_objects,
           random_churn_keeps_every_object_intact, zero_and_null, misuse_panics)
