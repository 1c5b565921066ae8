/* bench_buddy.c's view of the peer allocator (buddy_peer.c). */
#ifndef BENCH_BUDDY_PEER_H
#define BENCH_BUDDY_PEER_H

#define PEER_NONE (~0UL)

void peer_boot(void *arena, unsigned long size);
unsigned long peer_metadata_bytes(unsigned long size);
unsigned long peer_alloc(unsigned order);
void peer_free(unsigned long offset, unsigned order);

#endif
