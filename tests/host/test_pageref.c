/*
 * Host tests of mm/pageref.c, the reference counts of shared user pages:
 * thousands of random shares and puts over a few hundred pages, checked
 * against a model that keeps each page's count; a failed allocation
 * changes nothing; and only shared pages hold memory (every node is freed
 * once the counts fall back to 1, as the sanitizer's leak check and the
 * malloc count both see).
 */
#include <stdlib.h>

#include "host.h"

/* One CPU, no interrupts: the lock is all the spinlock header needs. */
unsigned long arch_irq_save(void)
{
    return 0;
}

void arch_irq_restore(unsigned long flags)
{
}

void arch_cpu_relax(void)
{
}

#include "../../mm/pageref.c"

/* kmalloc for the nodes: malloc, counted, told to fail after n more calls. */
static long fail_after = -1;
static long live_nodes;

void *kmalloc(size_t size)
{
    if (fail_after == 0)
        return NULL;
    if (fail_after > 0)
        fail_after--;
    live_nodes++;
    return malloc(size);
}

void kfree(void *p)
{
    if (p)
        live_nodes--;
    free(p);
}

#define PAGES 300
/* Pages 2 MiB apart and 4 KiB apart, so that both strides share buckets. */
#define PA(i) ((paddr_t)((i) % 2 ? 0x40000000ul + (i)*0x200000ul : 0x1000ul * (i)))

static unsigned model[PAGES]; /* the leaves mapping each page: 1 when nobody shares it */

static void check_all(const char *what)
{
    unsigned shared = 0;

    for (int i = 0; i < PAGES; i++) {
        CHECK_MSG(page_ref_count(PA(i)) == model[i], "%s: page %d counts %u, the model says %u",
                  what, i, page_ref_count(PA(i)), model[i]);
        shared += model[i] > 1;
    }
    /* Exactly one node per shared page: nothing for the others. */
    CHECK_MSG(live_nodes == (long)shared, "%s: %ld nodes for %u shared pages", what, live_nodes,
              shared);
    CHECK_EQ(page_ref_shared_blocks(), shared);
}

static void random_shares_and_puts_match_the_model(void)
{
    srand(14);
    for (int i = 0; i < PAGES; i++)
        model[i] = 1;
    for (int step = 0; step < 20000; step++) {
        int i = rand() % PAGES;

        /* Shares win slightly more often, so counts climb and fall. */
        if (rand() % 100 < 52) {
            CHECK_EQ(page_ref_share(PA(i)), 0);
            model[i]++;
        } else if (model[i] > 0) {
            unsigned left = page_ref_put(PA(i));
            model[i]--;
            CHECK_MSG(left == model[i], "put of page %d left %u, the model says %u", i, left,
                      model[i]);
            if (model[i] == 0)
                model[i] = 1; /* the caller freed it; a new block there starts alone */
        }
        if (step % 1000 == 0)
            check_all("random");
    }
    check_all("random, at the end");
    /* Drop every count back to 1: no node may stay. */
    for (int i = 0; i < PAGES; i++)
        while (model[i] > 1) {
            CHECK_EQ(page_ref_put(PA(i)), model[i] - 1);
            model[i]--;
        }
    check_all("all alone again");
    CHECK_EQ(live_nodes, 0);
}

static void an_unshared_page_counts_one_and_its_put_says_free(void)
{
    CHECK_EQ(page_ref_count(0x123000), 1);
    CHECK_EQ(page_ref_put(0x123000), 0);
    CHECK_EQ(live_nodes, 0);
}

static void a_failed_share_changes_nothing(void)
{
    fail_after = 0;
    CHECK_EQ(page_ref_share(0x5000), -ENOMEM);
    fail_after = -1;
    CHECK_EQ(page_ref_count(0x5000), 1);
    CHECK_EQ(live_nodes, 0);
    /* A page shared already needs no node for one more sharer. */
    CHECK_EQ(page_ref_share(0x6000), 0);
    fail_after = 0;
    CHECK_EQ(page_ref_share(0x6000), 0);
    fail_after = -1;
    CHECK_EQ(page_ref_count(0x6000), 3);
    CHECK_EQ(page_ref_put(0x6000), 2);
    CHECK_EQ(page_ref_put(0x6000), 1);
    CHECK_EQ(live_nodes, 0);
}

static void a_huge_block_is_counted_on_its_first_page(void)
{
    /* Its next 4 KiB page is another key: callers pass the block's start. */
    CHECK_EQ(page_ref_share(0x40000000), 0);
    CHECK_EQ(page_ref_count(0x40000000), 2);
    CHECK_EQ(page_ref_count(0x40001000), 1);
    CHECK_EQ(page_ref_put(0x40000000), 1);
    CHECK_EQ(live_nodes, 0);
}

HOST_TESTS(random_shares_and_puts_match_the_model,
           an_unshared_page_counts_one_and_its_put_says_free, a_failed_share_changes_nothing,
           a_huge_block_is_counted_on_its_first_page)
