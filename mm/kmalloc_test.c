/*
 * ktest suite `kmalloc`: sizes across every class and beyond, alignment,
 * objects that do not overlap and keep what is written into them, slabs
 * that hold objects of one class only, and every page back afterwards.
 *
 * Every object a case holds is in `held`; the suite's exit frees what a
 * case that stopped early left there, so the next case starts with the
 * allocator as it was.
 */
#include <duet/ktest.h>
#include <duet/string.h>
#include <mm/buddy.h>
#include <mm/kmalloc.h>
#include <mm/pmo.h>
#include <mm/poison.h>

#define OBJECTS          512
#define NCLASSES         8
/* The most objects a slab holds (mm/kmalloc.c: 256), and one more. */
#define SLAB_OBJECTS_MAX 257

static const size_t class_sizes[NCLASSES] = { 16, 32, 64, 128, 256, 512, 1024, 2048 };

static u8 *held[NCLASSES * SLAB_OBJECTS_MAX];

/* The objects of class c that a case holds: SLAB_OBJECTS_MAX slots of held. */
static u8 **class_objects(int c)
{
    return &held[(size_t)c * SLAB_OBJECTS_MAX];
}

static void free_held(void)
{
    for (size_t i = 0; i < ARRAY_SIZE(held); i++)
        if (held[i]) {
            kfree(held[i]);
            held[i] = NULL;
        }
}

static size_t size_of(int i)
{
    static const size_t sizes[] = { 1,   8,   16,   17,   31,   64,   100,  128,  255,  256,
                                    500, 512, 1000, 1024, 2047, 2048, 2049, 4096, 9000, 70000 };
    return sizes[i % ARRAY_SIZE(sizes)];
}

static void objects_are_aligned_and_disjoint(struct ktest *t)
{
    u8 **p = held;
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
    for (int i = 0; i < OBJECTS; i += 2) {
        kfree(p[i]);
        p[i] = NULL;
    }
    for (int i = 1; i < OBJECTS; i += 2) {
        kfree(p[i]);
        p[i] = NULL;
    }
    KEXPECT_EQ(t, kmalloc_slab_count(), slabs0);
    KEXPECT_EQ(t, buddy_free_pages_count(), free0);
}

/* The buddy block that holds p (its start, its size in *bytes), or PADDR_NONE. */
static paddr_t block_of(const void *p, u64 *bytes)
{
    unsigned order;
    paddr_t head = buddy_block_containing(pmo_virt_to_phys(p), &order);

    *bytes = (u64)PAGE_SIZE << order;
    return head;
}

/*
 * Objects of class c into class_objects(c) until one lands
 * in a second block; the number in the first block, 0 on a failure.
 */
static size_t fill_a_slab(struct ktest *t, int c, paddr_t *block, u64 *bytes)
{
    u8 **objs = class_objects(c);
    u64 b;

    for (size_t n = 0; n < SLAB_OBJECTS_MAX; n++) {
        objs[n] = kmalloc(class_sizes[c]);
        if (!objs[n]) {
            ktest_fail(t, __FILE__, __LINE__, "kmalloc(%zu) #%zu returned NULL", class_sizes[c], n);
            return 0;
        }
        paddr_t head = block_of(objs[n], &b);
        if (n == 0) {
            *block = head;
            *bytes = b;
        } else if (head != *block) {
            return n;
        }
    }
    ktest_fail(t, __FILE__, __LINE__, "kmalloc(%zu): %d objects in one block", class_sizes[c],
               SLAB_OBJECTS_MAX);
    return 0;
}

/*
 * Every class: the objects of one slab lie inside its block, a whole object
 * apart, and each keeps all of what was written into it.
 */
static void a_slab_holds_whole_objects(struct ktest *t)
{
    for (int c = 0; c < NCLASSES; c++) {
        size_t size = class_sizes[c];
        paddr_t block;
        u64 bytes;
        size_t n = fill_a_slab(t, c, &block, &bytes);
        u8 **objs = class_objects(c);

        KASSERT_GT(t, n, 1UL);
        /* At least 7 objects a slab (mm/kmalloc.c's classes), no more than the block holds. */
        KEXPECT_GE(t, n, 7UL);
        KEXPECT_LE(t, n * size, bytes);
        for (size_t i = 0; i < n; i++) {
            paddr_t pa = pmo_virt_to_phys(objs[i]);
            KEXPECT_TRUE(t, pa >= block && pa + size <= block + bytes);
            for (size_t j = 0; j < i; j++) {
                paddr_t other = pmo_virt_to_phys(objs[j]);
                KASSERT_TRUE(t, pa >= other + size || other >= pa + size);
            }
            memset(objs[i], (int)(i + c), size);
        }
        size_t damaged = 0;
        for (size_t i = 0; i < n; i++)
            for (size_t b = 0; b < size; b++)
                if (objs[i][b] != (u8)(i + c)) {
                    damaged++;
                    break;
                }
        KEXPECT_EQ(t, damaged, 0UL);
        free_held();
    }
}

/*
 * A full slab of each class gets an object back and goes back on its own
 * class's list: the next object of each class comes from one of that
 * class's blocks, never from a block of other objects.
 */
static void a_freed_object_goes_back_to_its_own_class(struct ktest *t)
{
    paddr_t first[NCLASSES];
    u64 bytes;

    for (int c = 0; c < NCLASSES; c++)
        KASSERT_GT(t, fill_a_slab(t, c, &first[c], &bytes), 1UL);
    for (int c = 0; c < NCLASSES; c++) {
        kfree(class_objects(c)[0]);
        class_objects(c)[0] = NULL;
    }
    for (int c = 0; c < NCLASSES; c++) {
        u8 *p = kmalloc(class_sizes[c]);
        KASSERT_TRUE(t, p != NULL);
        class_objects(c)[0] = p;
        paddr_t block = block_of(p, &bytes);
        /* Its block holds objects of class c, and of no other class. */
        bool own = false, foreign = false;
        for (int k = 0; k < NCLASSES; k++)
            for (size_t i = 0; i < SLAB_OBJECTS_MAX; i++) {
                u8 *q = class_objects(k)[i];
                if (q && q != p && block_of(q, &bytes) == block) {
                    own |= k == c;
                    foreign |= k != c;
                }
            }
        if (foreign || !own)
            ktest_fail(t, __FILE__, __LINE__,
                       "kmalloc(%zu) = %p lies in block 0x%llx, which holds %s", class_sizes[c],
                       (void *)p, (unsigned long long)block,
                       foreign ? "objects of another size class" : "no other object of its class");
    }
}

/* Freeing makes room that is used again: the next object of the class is the one freed. */
static void freed_objects_are_reused(struct ktest *t)
{
    held[0] = kmalloc(48);
    held[1] = kmalloc(48); /* keeps the slab alive */
    void *a = held[0];
    kfree(held[0]);
    held[0] = kmalloc(48);
    KEXPECT_TRUE(t, held[0] == a);
}

static void zero_null_and_too_large(struct ktest *t)
{
    KEXPECT_TRUE(t, kmalloc(0) == NULL);
    kfree(NULL);
    u8 *z = held[0] = kzalloc(300);
    KASSERT_TRUE(t, z != NULL);
    int nonzero = 0;
    for (int i = 0; i < 300; i++)
        nonzero += z[i] != 0;
    KEXPECT_EQ(t, nonzero, 0);
    KEXPECT_TRUE(t, kmalloc((size_t)PAGE_SIZE << (BUDDY_MAX_ORDER + 1)) == NULL);
}

/* kfree fills the object with POISON_FREE and nothing else: its neighbour
 * in the slab (held, so the slab stays) keeps what was written into it. */
static void a_freed_object_is_poisoned(struct ktest *t)
{
    u8 *a = kmalloc(64), *b = held[1] = kmalloc(64);

    KASSERT_TRUE(t, a != NULL && b != NULL);
    memset(a, 0xa5, 64);
    memset(b, 0x5a, 64);
    kfree(a);
    int poisoned = 0, intact = 0;
    for (int i = 0; i < 64; i++) {
        /* The read after free this test is about: */
        /* NOLINTNEXTLINE(clang-analyzer-unix.Malloc) */
        poisoned += a[i] == POISON_FREE;
        intact += b[i] == 0x5a;
    }
    KEXPECT_EQ(t, poisoned, 64);
    KEXPECT_EQ(t, intact, 64);
}

static const struct ktest_case kmalloc_cases[] = {
    KTEST_CASE(objects_are_aligned_and_disjoint),
    KTEST_CASE(a_slab_holds_whole_objects),
    KTEST_CASE(a_freed_object_goes_back_to_its_own_class),
    KTEST_CASE(freed_objects_are_reused),
    KTEST_CASE(zero_null_and_too_large),
    KTEST_CASE(a_freed_object_is_poisoned),
    { 0 },
};
KTEST_SUITE_EXIT(kmalloc, kmalloc_cases, free_held);
