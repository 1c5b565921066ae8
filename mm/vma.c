/*
 * The region list (mm/vma.h). A sorted singly linked list: a program has a
 * handful of mappings, and each operation walks it once. Splits allocate
 * before anything changes, so a failure leaves the list as it was.
 */
#include <duet/errno.h>
#include <mm/kmalloc.h>
#include <mm/vma.h>

struct vma *vma_find(const struct vma_list *l, vaddr_t va)
{
    for (struct vma *v = l->head; v && v->start <= va; v = v->next)
        if (va < v->end)
            return v;
    return NULL;
}

bool vma_range_free(const struct vma_list *l, vaddr_t start, vaddr_t end)
{
    for (const struct vma *v = l->head; v && v->start < end; v = v->next)
        if (v->end > start)
            return false;
    return true;
}

vaddr_t vma_find_gap(const struct vma_list *l, u64 size, vaddr_t lo, vaddr_t hi)
{
    /* LAB 7 BEGIN: vma_find_gap */
    /* LAB 7 STUB: return 0; */
    vaddr_t best = 0;
    vaddr_t gap_start = lo;

    if (size == 0 || hi <= lo || size > hi - lo)
        return 0;
    /* The gaps, in order: below each region, and above the last. The
     * highest one that holds `size` wins. */
    for (const struct vma *v = l->head;; v = v->next) {
        vaddr_t gap_end = v ? v->start : hi;
        if (gap_end > hi)
            gap_end = hi;
        if (gap_end > gap_start && gap_end - gap_start >= size)
            best = gap_end - size;
        if (!v || v->end >= hi)
            break;
        if (v->end > gap_start)
            gap_start = v->end;
    }
    return best;
    /* LAB 7 END */
}

static struct vma *vma_new(vaddr_t start, vaddr_t end, unsigned prot, struct vma *next)
{
    struct vma *v = kmalloc(sizeof(*v));

    if (v)
        *v = (struct vma){ start, end, prot, next };
    return v;
}

int vma_insert(struct vma_list *l, vaddr_t start, vaddr_t end, unsigned prot)
{
    struct vma **at = &l->head;

    if (!vma_range_free(l, start, end))
        return -EEXIST;
    while (*at && (*at)->start < start)
        at = &(*at)->next;
    struct vma *v = vma_new(start, end, prot, *at);
    if (!v)
        return -ENOMEM;
    *at = v;
    return 0;
}

/* Regions that [start, end) cuts in two need one node more each; only
 * one can be cut so (the one holding both ends). */
static bool needs_split_node(const struct vma_list *l, vaddr_t start, vaddr_t end)
{
    const struct vma *v = vma_find(l, start);

    return v && v->start < start && end < v->end;
}

int vma_remove(struct vma_list *l, vaddr_t start, vaddr_t end)
{
    struct vma *spare = NULL;

    if (needs_split_node(l, start, end) && !(spare = kmalloc(sizeof(*spare))))
        return -ENOMEM;
    for (struct vma **at = &l->head; *at;) {
        struct vma *v = *at;
        if (v->end <= start) {
            at = &v->next;
            continue;
        }
        if (v->start >= end)
            break;
        if (v->start < start && end < v->end) { /* a hole in the middle */
            /* The first region the range meets, so nothing changed yet;
             * needs_split_node() saw this region and allocated spare. */
            if (!spare)
                return -ENOMEM;
            *spare = (struct vma){ end, v->end, v->prot, v->next };
            v->end = start;
            v->next = spare;
            spare = NULL;
            break;
        }
        if (v->start < start) { /* the tail goes */
            v->end = start;
            at = &v->next;
        } else if (end < v->end) { /* the head goes */
            v->start = end;
            break;
        } else { /* all of it */
            *at = v->next;
            kfree(v);
        }
    }
    kfree(spare);
    return 0;
}

int vma_protect(struct vma_list *l, vaddr_t start, vaddr_t end, unsigned prot)
{
    struct vma *first = vma_find(l, start), *extra[2] = { NULL, NULL };

    /* Wholly covered, with no gap between regions? */
    vaddr_t covered = start;
    for (const struct vma *v = first; v && covered < end && v->start <= covered; v = v->next)
        covered = v->end;
    if (!first || covered < end)
        return -ENOMEM;
    /* Nodes for the splits at the two ends, before anything changes. */
    for (int i = 0; i < 2; i++) {
        extra[i] = kmalloc(sizeof(struct vma));
        if (!extra[i]) {
            kfree(extra[0]);
            return -ENOMEM;
        }
    }
    /* Split where the range cuts a region, keeping the part outside as it was. */
    if (first->start < start && (first->prot & ~VMA_SHARED) != prot) {
        *extra[0] = (struct vma){ start, first->end, first->prot, first->next };
        first->end = start;
        first->next = extra[0];
        first = extra[0];
        extra[0] = NULL;
    }
    struct vma *last = vma_find(l, end - 1);
    if (last && end < last->end && (last->prot & ~VMA_SHARED) != prot) {
        *extra[1] = (struct vma){ end, last->end, last->prot, last->next };
        last->end = end;
        last->next = extra[1];
        extra[1] = NULL;
    }
    for (struct vma *v = first; v && v->start < end; v = v->next)
        if (v->start >= start)
            v->prot = prot | (v->prot & VMA_SHARED);
    kfree(extra[0]);
    kfree(extra[1]);
    return 0;
}

void vma_free_all(struct vma_list *l)
{
    while (l->head) {
        struct vma *v = l->head;
        l->head = v->next;
        kfree(v);
    }
}

int vma_copy(struct vma_list *to, const struct vma_list *from)
{
    struct vma **tail = &to->head;

    for (const struct vma *v = from->head; v; v = v->next) {
        *tail = vma_new(v->start, v->end, v->prot, NULL);
        if (!*tail) {
            vma_free_all(to);
            return -ENOMEM;
        }
        tail = &(*tail)->next;
    }
    return 0;
}
