/*
 * kmalloc (mm/kmalloc.h).
 *
 * A slab is a buddy block whose first bytes are a struct slab and whose
 * rest is an array of objects of one size class; a bitmap in the header
 * says which objects are free. Each class keeps a list of its slabs that
 * have room. A slab that becomes empty goes back to the buddy allocator.
 *
 *   slab block:  [ struct slab | obj 0 | obj 1 | ... | obj n-1 | slack ]
 *
 * kfree() needs no header before the object: the buddy allocator knows the
 * allocated block that contains any address (buddy_block_containing). If
 * the pointer is the block's start, the block came straight from the buddy
 * allocator (a large kmalloc); otherwise it is a slab, and the header says
 * which object.
 */
#include <duet/compiler.h>
#include <duet/monitor.h>
#include <duet/panic.h>
#include <duet/printk.h>
#include <duet/string.h>
#include <mm/buddy.h>
#include <mm/kmalloc.h>
#include <mm/pmo.h>
#include <mm/poison.h>

#define SLAB_MAGIC       0x51ab51abu
#define SLAB_MAX_OBJECTS 256
#define SLAB_HEADER_SIZE 64 /* objects start here: 16-byte aligned */

struct slab {
    u32 magic;
    u16 object_size;
    u16 capacity;
    u16 free_count;
    u8 order; /* the slab is 2^order pages */
    u8 class_index;
    struct slab *next, *prev;            /* the class's list of slabs with room */
    u64 free_map[SLAB_MAX_OBJECTS / 64]; /* bit set: object free */
};
static_assert(sizeof(struct slab) <= SLAB_HEADER_SIZE, "struct slab outgrew its header");

/* Size classes and the slab size for each: at least 7 objects a slab. */
static const struct {
    u16 size;
    u8 order;
} classes[] = {
    { 16, 0 }, { 32, 0 }, { 64, 0 }, { 128, 0 }, { 256, 0 }, { 512, 0 }, { 1024, 1 }, { 2048, 2 },
};
#define NCLASSES ARRAY_SIZE(classes)

/* __unused below: a lab-2 handout stubs their callers. */
static struct slab partial[NCLASSES]; /* list heads: slabs with a free object */
static u64 slabs_in_use;

static unsigned class_for(size_t size)
{
    unsigned c = 0;

    while (classes[c].size < size)
        c++;
    return c;
}

/* The order of the smallest block that holds size bytes; BUDDY_MAX_ORDER + 1
 * when none does (PAGE_SIZE << order would wrap to 0 past 2^63 and never
 * reach a larger size). */
static unsigned order_for(size_t size)
{
    unsigned order = 0;

    while (order <= BUDDY_MAX_ORDER && (PAGE_SIZE << order) < size)
        order++;
    return order;
}

static __unused bool list_empty(const struct slab *head)
{
    return head->next == head;
}

static __unused void list_add(struct slab *head, struct slab *s)
{
    if (!head->next) /* first use: an empty circular list */
        head->next = head->prev = head;
    s->next = head->next;
    s->prev = head;
    head->next->prev = s;
    head->next = s;
}

static __unused void list_del(struct slab *s)
{
    s->prev->next = s->next;
    s->next->prev = s->prev;
    s->next = s->prev = NULL;
}

/*
 * A new slab of class c, or NULL when the buddy allocator has no block: a
 * block of classes[c].order pages whose first SLAB_HEADER_SIZE bytes are
 * its header, holding as many whole objects of classes[c].size bytes as
 * fit after the header (never more than SLAB_MAX_OBJECTS), all of them
 * free; counted in slabs_in_use, on no list yet. The block comes with
 * whatever its last owner left in it.
 */
static __unused struct slab *slab_create(unsigned c)
{
    /* LAB 2 BEGIN: slab_create */
    /* LAB 2 STUB: return NULL; */
    paddr_t pa = buddy_alloc_pages(classes[c].order);

    if (pa == PADDR_NONE)
        return NULL;
    struct slab *s = phys_to_virt(pa);
    u64 bytes = PAGE_SIZE << classes[c].order;
    *s = (struct slab){
        .magic = SLAB_MAGIC,
        .object_size = classes[c].size,
        .capacity = (u16)MIN((bytes - SLAB_HEADER_SIZE) / classes[c].size, SLAB_MAX_OBJECTS),
        .order = classes[c].order,
        .class_index = (u8)c,
    };
    s->free_count = s->capacity;
    for (unsigned i = 0; i < s->capacity; i++)
        s->free_map[i / 64] |= 1ULL << (i % 64);
    slabs_in_use++;
    return s;
    /* LAB 2 END */
}

static __unused void *object_at(struct slab *s, unsigned i)
{
    return (u8 *)s + SLAB_HEADER_SIZE + (size_t)i * s->object_size;
}

static void *slab_alloc(unsigned c)
{
    /* LAB 2 BEGIN: slab_alloc */
    /* LAB 2 STUB: return NULL; */
    struct slab *head = &partial[c], *s;

    if (!head->next || list_empty(head)) {
        s = slab_create(c);
        if (!s)
            return NULL;
        list_add(head, s);
    }
    s = head->next;
    for (unsigned w = 0; w < SLAB_MAX_OBJECTS / 64; w++) {
        if (!s->free_map[w])
            continue;
        unsigned i = w * 64 + (unsigned)__builtin_ctzll(s->free_map[w]);
        s->free_map[w] &= ~(1ULL << (i % 64));
        if (--s->free_count == 0)
            list_del(s); /* full: off the list until a free */
        return object_at(s, i);
    }
    panic("kmalloc: slab %p of class %u is on the free list but full", (void *)s, s->object_size);
    /* LAB 2 END */
}

void *kmalloc(size_t size)
{
    if (size == 0)
        return NULL;
    if (size <= KMALLOC_MAX_SMALL)
        return slab_alloc(class_for(size));

    unsigned order = order_for(size);
    if (order > BUDDY_MAX_ORDER)
        return NULL;
    paddr_t pa = buddy_alloc_pages(order);
    return pa == PADDR_NONE ? NULL : phys_to_virt(pa);
}

void *kzalloc(size_t size)
{
    void *p = kmalloc(size);

    if (p)
        memset(p, 0, size);
    return p;
}

static void slab_free(struct slab *s, void *p)
{
    /* LAB 2 BEGIN: slab_free */
    size_t offset = (size_t)((u8 *)p - (u8 *)s);

    if (offset < SLAB_HEADER_SIZE || (offset - SLAB_HEADER_SIZE) % s->object_size)
        panic("kfree: %p is not the start of a %u-byte object", p, s->object_size);
    unsigned i = (unsigned)((offset - SLAB_HEADER_SIZE) / s->object_size);
    if (i >= s->capacity)
        panic("kfree: %p lies past the last object of its slab", p);
    if (s->free_map[i / 64] & (1ULL << (i % 64)))
        panic("kfree: double free of %p (a %u-byte object)", p, s->object_size);

    s->free_map[i / 64] |= 1ULL << (i % 64);
    if (s->free_count++ == 0)
        list_add(&partial[s->class_index], s); /* it has room again */
    if (s->free_count == s->capacity) {
        list_del(s);
        s->magic = 0;
        slabs_in_use--;
        buddy_free_pages(pmo_virt_to_phys(s), s->order);
    }
    /* LAB 2 END */
}

/* Fill a freed object with POISON_FREE, so that code which still reads it
 * (a struct freed before its last use) finds poison, not its old values.
 * Only a whole object inside the slab's block: a pointer into the middle
 * of one is left for slab_free to refuse. Large allocations are not poisoned (a
 * memset of up to 4 MiB a free); pt_free_page poisons table pages. */
static void poison_object(const struct slab *s, void *p)
{
    size_t offset = (size_t)((u8 *)p - (const u8 *)s);

    if (offset >= SLAB_HEADER_SIZE && (offset - SLAB_HEADER_SIZE) % s->object_size == 0 &&
        offset + s->object_size <= (PAGE_SIZE << s->order))
        memset(p, POISON_FREE, s->object_size);
}

void kfree(void *p)
{
    unsigned order;

    if (!p)
        return;
    if (!pmo_contains(p) || (uintptr_t)p % KMALLOC_MIN_SIZE)
        panic("kfree: %p was not returned by kmalloc", p);
    paddr_t head = buddy_block_containing(pmo_virt_to_phys(p), &order);
    if (head == PADDR_NONE)
        panic("kfree: %p is not allocated memory (a double free, or not from kmalloc)", p);

    void *block = phys_to_virt(head);
    if (block == p) { /* a large allocation */
        buddy_free_pages(head, order);
        return;
    }
    struct slab *s = block;
    if (s->magic != SLAB_MAGIC || s->order != order)
        panic("kfree: %p lies in a block kmalloc did not make", p);
    poison_object(s, p);
    slab_free(s, p);
}

u64 kmalloc_slab_count(void)
{
    return slabs_in_use;
}

struct slab_walk {
    kmalloc_slab_fn fn;
    void *arg;
};

/* An allocated block is a slab when its header says so with its own order,
 * as kfree() decides. */
static void visit_if_slab(paddr_t pa, unsigned order, enum buddy_block_kind kind, void *arg)
{
    const struct slab *s = phys_to_virt(pa);
    struct slab_walk *w = arg;

    if (s->magic == SLAB_MAGIC && s->order == order)
        w->fn(pa, order, s->object_size, s->capacity, s->free_count, w->arg);
}

void kmalloc_for_each_slab(kmalloc_slab_fn fn, void *arg)
{
    struct slab_walk w = { fn, arg };

    buddy_for_each_allocated(visit_if_slab, &w);
}

static int cmd_slabinfo(int argc, char **argv)
{
    printf("kmalloc: %llu slab%s in use\n", (unsigned long long)slabs_in_use,
           slabs_in_use == 1 ? "" : "s");
    for (unsigned c = 0; c < NCLASSES; c++) {
        unsigned n = 0, free = 0;
        for (struct slab *s = partial[c].next; s && s != &partial[c]; s = s->next, n++)
            free += s->free_count;
        printf("  %5u bytes: %u slab%s with room, %u free objects\n", classes[c].size, n,
               n == 1 ? "" : "s", free);
    }
    return 0;
}
MONITOR_COMMAND(slabinfo, "kmalloc's size classes and their slabs", cmd_slabinfo);
