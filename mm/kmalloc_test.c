/*
 * ktest suite `kmalloc`: sizes across every class and beyond, alignment,
 * objects that do not overlap, and every page back afterwards.
 */
#include <duet/ktest.h>
#include <duet/string.h>
#include <mm/buddy.h>
#include <mm/kmalloc.h>

#define OBJECTS 512

static size_t size_of(int i)
{
    static const size_t sizes[] = { 1,   8,   16,   17,   31,   64,   100,  128,  255,  256,
                                    500, 512, 1000, 1024, 2047, 2048, 2049, 4096, 9000, 70000 };
    return sizes[i % ARRAY_SIZE(sizes)];
}

static void objects_are_aligned_and_disjoint(struct ktest *t)
{
    static u8 *p[OBJECTS];
    u64 free0 = buddy_free_pages_count(), slabs0 = kmalloc_slab_count();

    for (int i = 0; i < OBJECTS; i++) {
        p[i] = kmalloc(size_of(i));
        KASSERT_TRUE(t, p[i] != NULL);
        KEXPECT_EQ(t, (uintptr_t)p[i] % 16, 0UL);
        memset(p[i], i & 0xff, size_of(i));
    }
    int damaged = 0;
    for (int i = 0; i < OBJECTS; i++)
        for (size_t b = 0; b < size_of(i); b++)
            if (p[i][b] != (u8)(i & 0xff)) {
                damaged++;
                break;
            }
    KEXPECT_EQ(t, damaged, 0);
    for (int i = 0; i < OBJECTS; i += 2)
        kfree(p[i]);
    for (int i = 1; i < OBJECTS; i += 2)
        kfree(p[i]);
    KEXPECT_EQ(t, kmalloc_slab_count(), slabs0);
    KEXPECT_EQ(t, buddy_free_pages_count(), free0);
}

static void freed_objects_are_reused(struct ktest *t)
{
    void *a = kmalloc(48);
    void *keep = kmalloc(48); /* keeps the slab alive */
    kfree(a);
    void *b = kmalloc(48);
    KEXPECT_TRUE(t, a == b);
    kfree(b);
    kfree(keep);
}

static void zero_null_and_too_large(struct ktest *t)
{
    KEXPECT_TRUE(t, kmalloc(0) == NULL);
    kfree(NULL);
    u8 *z = kzalloc(300);
    KASSERT_TRUE(t, z != NULL);
    int nonzero = 0;
    for (int i = 0; i < 300; i++)
        nonzero += z[i] != 0;
    KEXPECT_EQ(t, nonzero, 0);
    kfree(z);
    KEXPECT_TRUE(t, kmalloc((size_t)PAGE_SIZE << (BUDDY_MAX_ORDER + 1)) == NULL);
}

static const struct ktest_case kmalloc_cases[] = {
    KTEST_CASE(objects_are_aligned_and_disjoint),
    KTEST_CASE(freed_objects_are_reused),
    KTEST_CASE(zero_null_and_too_large),
    { 0 },
};
KTEST_SUITE(kmalloc, kmalloc_cases);
