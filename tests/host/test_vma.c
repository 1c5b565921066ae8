/*
 * Host tests of mm/vma.c, the regions mmap(2) makes: every operation is
 * checked against a model that keeps the protection of each page, over a
 * window of 64 pages, for thousands of random operations; and an
 * allocation that fails leaves the list exactly as it was.
 */
#include <stdlib.h>

#include "host.h"
#include "../../mm/vma.c"

/* kmalloc for the list's nodes: malloc, told to fail after n more calls. */
static long fail_after = -1;

void *kmalloc(size_t size)
{
    if (fail_after == 0)
        return NULL;
    if (fail_after > 0)
        fail_after--;
    return malloc(size);
}

void kfree(void *p)
{
    free(p);
}

#define PAGES 64
#define BASE  0x10000000ul
#define PAGE  4096ul
#define VA(i) (BASE + (vaddr_t)(i)*PAGE)

static unsigned model[PAGES]; /* 0: no region; else prot | 0x100 */

/* The list is sorted, disjoint, page-aligned, never empty, and says what the model says. */
static void check_list(const struct vma_list *l, const char *what)
{
    unsigned seen[PAGES] = { 0 };
    vaddr_t last_end = 0;

    for (const struct vma *v = l->head; v; v = v->next) {
        CHECK_MSG(v->start < v->end, "%s: empty region at 0x%lx", what, (unsigned long)v->start);
        CHECK_MSG(v->start >= last_end, "%s: 0x%lx overlaps or is out of order", what,
                  (unsigned long)v->start);
        CHECK_MSG(v->start % PAGE == 0 && v->end % PAGE == 0, "%s: unaligned region", what);
        last_end = v->end;
        for (vaddr_t va = v->start; va < v->end; va += PAGE)
            if (va >= BASE && va < VA(PAGES))
                seen[(va - BASE) / PAGE] = v->prot | 0x100;
    }
    for (int i = 0; i < PAGES; i++)
        CHECK_MSG(seen[i] == model[i], "%s: page %d is 0x%x, the model says 0x%x", what, i, seen[i],
                  model[i]);
}

static void model_set(int a, int b, unsigned value)
{
    for (int i = a; i < b; i++)
        model[i] = value;
}

static bool model_free(int a, int b)
{
    for (int i = a; i < b; i++)
        if (model[i])
            return false;
    return true;
}

static bool model_covered(int a, int b)
{
    for (int i = a; i < b; i++)
        if (!model[i])
            return false;
    return true;
}

static void random_operations_match_the_model(void)
{
    struct vma_list l = { NULL };
    char what[96];

    srand(1);
    memset(model, 0, sizeof(model));
    for (int n = 0; n < 20000; n++) {
        int a = rand() % PAGES, b = a + 1 + rand() % (PAGES - a);
        unsigned prot = 1u + (unsigned)(rand() % 7);
        int op = rand() % 3, err;

        snprintf(what, sizeof(what), "op %d (%d on pages %d..%d)", n, op, a, b);
        if (op == 0) {
            err = vma_insert(&l, VA(a), VA(b), prot);
            CHECK_MSG(err == (model_free(a, b) ? 0 : -EEXIST), "%s: insert gave %d", what, err);
            if (!err)
                model_set(a, b, prot | 0x100);
        } else if (op == 1) {
            err = vma_remove(&l, VA(a), VA(b));
            CHECK_MSG(err == 0, "%s: remove gave %d", what, err);
            model_set(a, b, 0);
        } else {
            err = vma_protect(&l, VA(a), VA(b), prot);
            CHECK_MSG(err == (model_covered(a, b) ? 0 : -ENOMEM), "%s: protect gave %d", what, err);
            if (!err)
                model_set(a, b, prot | 0x100);
        }
        check_list(&l, what);
        CHECK(vma_range_free(&l, VA(a), VA(b)) == model_free(a, b));
        CHECK((vma_find(&l, VA(a)) != NULL) == (model[a] != 0));
    }
    vma_free_all(&l);
    CHECK(l.head == NULL);
}

static void a_failed_allocation_changes_nothing(void)
{
    struct vma_list l = { NULL };

    memset(model, 0, sizeof(model));
    CHECK_EQ(vma_insert(&l, VA(10), VA(30), 3), 0);
    model_set(10, 30, 3 | 0x100);
    fail_after = 0;
    CHECK_EQ(vma_insert(&l, VA(40), VA(41), 1), -ENOMEM);
    CHECK_EQ(vma_remove(&l, VA(15), VA(20)), -ENOMEM); /* a hole needs a node */
    CHECK_EQ(vma_protect(&l, VA(15), VA(20), 1), -ENOMEM);
    CHECK_EQ(vma_remove(&l, VA(5), VA(15)), 0); /* cutting an end needs none */
    model_set(10, 15, 0);
    fail_after = -1;
    check_list(&l, "after the failures");
    vma_free_all(&l);
}

static void gaps_are_found_top_down(void)
{
    struct vma_list l = { NULL };

    CHECK_EQ(vma_find_gap(&l, 4 * PAGE, VA(0), VA(64)), VA(60));
    CHECK_EQ(vma_insert(&l, VA(60), VA(64), 3), 0);
    CHECK_EQ(vma_find_gap(&l, 4 * PAGE, VA(0), VA(64)), VA(56));
    CHECK_EQ(vma_insert(&l, VA(50), VA(58), 3), 0);
    /* [58, 60) is too small for 4 pages; below 50 is free. */
    CHECK_EQ(vma_find_gap(&l, 4 * PAGE, VA(0), VA(64)), VA(46));
    CHECK_EQ(vma_find_gap(&l, 2 * PAGE, VA(0), VA(64)), VA(58));
    CHECK_EQ(vma_find_gap(&l, 65 * PAGE, VA(0), VA(64)), 0);
    CHECK_EQ(vma_insert(&l, VA(0), VA(50), 1), 0);
    CHECK_EQ(vma_find_gap(&l, 4 * PAGE, VA(0), VA(64)), 0);
    CHECK_EQ(vma_find_gap(&l, PAGE, VA(0), VA(64)), VA(59));
    vma_free_all(&l);
}

static void a_copy_is_equal_and_apart(void)
{
    struct vma_list l = { NULL }, copy = { NULL };

    memset(model, 0, sizeof(model));
    CHECK_EQ(vma_insert(&l, VA(10), VA(20), 3), 0);
    CHECK_EQ(vma_insert(&l, VA(30), VA(31), 1 | VMA_SHARED), 0);
    CHECK_EQ(vma_insert(&l, VA(40), VA(50), 4), 0);
    CHECK_EQ(vma_copy(&copy, &l), 0);
    model_set(10, 20, 3 | 0x100);
    model_set(30, 31, 1 | VMA_SHARED | 0x100);
    model_set(40, 50, 4 | 0x100);
    check_list(&copy, "the copy");
    /* Changing one leaves the other as it was. */
    CHECK_EQ(vma_remove(&l, VA(10), VA(50)), 0);
    check_list(&copy, "the copy after the original went");
    vma_free_all(&copy);
    /* Out of memory halfway: the copy is left empty, nothing leaks. */
    CHECK_EQ(vma_insert(&l, VA(1), VA(2), 1), 0);
    CHECK_EQ(vma_insert(&l, VA(3), VA(4), 1), 0);
    fail_after = 1;
    CHECK_EQ(vma_copy(&copy, &l), -ENOMEM);
    fail_after = -1;
    CHECK(copy.head == NULL);
    vma_free_all(&l);
}

static void protect_keeps_the_shared_mark(void)
{
    struct vma_list l = { NULL };

    memset(model, 0, sizeof(model));
    CHECK_EQ(vma_insert(&l, VA(10), VA(20), 3 | VMA_SHARED), 0);
    CHECK_EQ(vma_insert(&l, VA(20), VA(30), 3), 0);
    CHECK_EQ(vma_protect(&l, VA(15), VA(25), 1), 0);
    model_set(10, 15, 3 | VMA_SHARED | 0x100);
    model_set(15, 20, 1 | VMA_SHARED | 0x100);
    model_set(20, 25, 1 | 0x100);
    model_set(25, 30, 3 | 0x100);
    check_list(&l, "after protect");
    /* The same permissions, shared or not, need no split. */
    CHECK_EQ(vma_protect(&l, VA(10), VA(12), 3), 0);
    check_list(&l, "after protect to the same permissions");
    vma_free_all(&l);
}

HOST_TESTS(random_operations_match_the_model, a_failed_allocation_changes_nothing,
           gaps_are_found_top_down, a_copy_is_equal_and_apart, protect_keeps_the_shared_mark)
