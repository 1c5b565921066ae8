/*
 * The peer of bench_buddy.c: a single-header C buddy allocator that the user
 * points at (`make bench BUDDY_PEER=/path/to/buddy_alloc.h`; written against
 * spaskalev/buddy_alloc's API). Nothing of it is in this tree: this file
 * only maps the benchmark's alloc(order)/free(block, order) onto its
 * malloc/free-style API, over an arena the benchmark owns, with a 4 KiB
 * minimum block so that both allocators hand out pages of the same orders.
 *
 * Built as a file of its own, and every global symbol but the peer_* ones
 * made local afterwards (mk/host.mk): the peer's buddy_init would clash
 * with Duet's. Its header is found through -isystem, so its warnings are
 * its own.
 */
#include <stdlib.h>

#define BUDDY_ALLOC_IMPLEMENTATION
#include PEER_HEADER

#include "buddy_peer.h"

#define PEER_PAGE 4096UL

static struct buddy *peer;
static unsigned char *peer_arena;
static unsigned char *peer_meta;
static size_t peer_meta_size;

/* A fresh allocator over [arena, arena + size). Its metadata lives outside
 * the arena, in memory kept from one boot to the next (as Duet's bitmap
 * stays mapped in the arena), so a boot's time is not the host's page
 * faults. */
void peer_boot(void *arena, unsigned long size)
{
    size_t bytes = buddy_sizeof_alignment(size, PEER_PAGE);

    if (bytes > peer_meta_size) {
        free(peer_meta);
        peer_meta_size = (bytes + 63) / 64 * 64;
        peer_meta = aligned_alloc(64, peer_meta_size);
    }
    peer_arena = arena;
    peer = buddy_init_alignment(peer_meta, peer_arena, size, PEER_PAGE);
    if (!peer)
        abort();
}

unsigned long peer_metadata_bytes(unsigned long size)
{
    return buddy_sizeof_alignment(size, PEER_PAGE);
}

/* Offsets into the arena, PEER_NONE when nothing fits. */
unsigned long peer_alloc(unsigned order)
{
    unsigned char *p = buddy_malloc(peer, PEER_PAGE << order);

    return p ? (unsigned long)(p - peer_arena) : PEER_NONE;
}

/* buddy_free, as free(): it finds the block's size itself. (buddy_safe_free
 * also takes the size and reports a mismatch or a double free.) */
void peer_free(unsigned long offset, unsigned order)
{
    buddy_free(peer, peer_arena + offset);
}
