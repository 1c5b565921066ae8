/*
 * Host tests of mm/kmalloc.c over the simulated machine of arena.h.
 */
#include <stdlib.h>

#include "host.h"
#include "../../mm/memmap.c"
#include "../../mm/early.c"
#include "../../mm/buddy.c"
#include "../../mm/kmalloc.c"
#include "arena.h"

static void sizes_alignment_and_distinct_objects(void)
{
    static u8 *p[4096];
    static size_t sz[4096];
    arena_boot();
    u64 free0 = buddy_free_pages_count();
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
    CHECK_EQ(kmalloc_slab_count(), 0);
    CHECK_EQ(buddy_free_pages_count(), free0);
}

static void zero_and_null(void)
{
    arena_boot();
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
}

static void misuse_panics(void)
{
    arena_boot();
    u8 *a = kmalloc(64), *b = kmalloc(64), *big = kmalloc(10000);
    kfree(a);
    EXPECT_PANIC("double free of", kfree(a));
    EXPECT_PANIC("not the start of a 64-byte object", kfree(b + 16));
    kfree(big);
    EXPECT_PANIC("not allocated memory", kfree(big));
    kfree(b);
}

HOST_TESTS(sizes_alignment_and_distinct_objects, zero_and_null, misuse_panics)
