/*
 * Reference counts of shared user pages (mm/pageref.h): a hash table of
 * PAGE_REF_BUCKETS chains, keyed by the block's physical address, one
 * kmalloc'd node per shared block. A node holds a count of 2 or more; when
 * the count falls back to 1 the node goes, since "absent" already means 1.
 *
 * The buckets are a fixed array (8 KiB): the table never grows, so a
 * lookup walks a chain of shared blocks / PAGE_REF_BUCKETS nodes on
 * average (a fork of a 64 MiB heap: 16 per chain).
 */
#include <duet/errno.h>
#include <duet/spinlock.h>
#include <mm/kmalloc.h>
#include <mm/pageref.h>

#define PAGE_REF_BUCKETS 1024

struct page_ref {
    paddr_t pa;
    unsigned count; /* >= 2 while the node exists */
    struct page_ref *next;
};

static struct page_ref *buckets[PAGE_REF_BUCKETS];
static __unused struct spinlock page_ref_lock = SPINLOCK_INIT("page refs");
static u64 shared_blocks;

/* Fibonacci hashing of the page number: consecutive pages spread out. */
static struct page_ref **bucket_of(paddr_t pa)
{
    return &buckets[((pa >> 12) * 0x9e3779b97f4a7c15ULL) >> 54];
}

/* The link that points at pa's node, or at the NULL ending its chain. */
static __unused struct page_ref **find_ref(paddr_t pa)
{
    struct page_ref **at = bucket_of(pa);

    while (*at && (*at)->pa != pa)
        at = &(*at)->next;
    return at;
}

int page_ref_share(paddr_t pa)
{
    /* LAB 6 BEGIN: page_ref_share */
    /* LAB 6 STUB: return -ENOSYS; */
    unsigned long flags = spin_lock_irqsave(&page_ref_lock);
    struct page_ref **at = find_ref(pa);
    int err = 0;

    if (*at) {
        (*at)->count++;
    } else {
        /* kmalloc under the lock: the allocators take no lock of ours. */
        struct page_ref *r = kmalloc(sizeof(*r));
        if (r) {
            *r = (struct page_ref){ .pa = pa, .count = 2, .next = NULL };
            *at = r;
            shared_blocks++;
        } else {
            err = -ENOMEM;
        }
    }
    spin_unlock_irqrestore(&page_ref_lock, flags);
    return err;
    /* LAB 6 END */
}

unsigned page_ref_put(paddr_t pa)
{
    /* LAB 6 BEGIN: page_ref_put */
    /* LAB 6 STUB: return 0; */
    unsigned long flags = spin_lock_irqsave(&page_ref_lock);
    struct page_ref **at = find_ref(pa);
    unsigned left = 0; /* absent: the caller held the only reference */

    if (*at) {
        struct page_ref *r = *at;
        left = --r->count;
        if (left == 1) { /* one owner again: absent says so */
            *at = r->next;
            kfree(r);
            shared_blocks--;
        }
    }
    spin_unlock_irqrestore(&page_ref_lock, flags);
    return left;
    /* LAB 6 END */
}

unsigned page_ref_count(paddr_t pa)
{
    /* LAB 6 BEGIN: page_ref_count */
    /* LAB 6 STUB: return 1; */
    unsigned long flags = spin_lock_irqsave(&page_ref_lock);
    struct page_ref *r = *find_ref(pa);
    unsigned count = r ? r->count : 1;

    spin_unlock_irqrestore(&page_ref_lock, flags);
    return count;
    /* LAB 6 END */
}

u64 page_ref_shared_blocks(void)
{
    return shared_blocks;
}
