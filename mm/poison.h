/*
 * What freed memory is filled with.
 *
 * 0x6b in every byte (Linux's POISON_FREE): a pointer read from freed
 * memory is 0x6b6b6b6b6b6b6b6b, non-canonical on x86_64 and outside every
 * mapping on AArch64, so a use after free faults at once; a page-table entry
 * read from a freed table is valid with an address far outside RAM.
 * Without it, memory freed a moment ago still holds what it held and a use
 * after free goes unseen on one CPU.
 */
#ifndef MM_POISON_H
#define MM_POISON_H

#define POISON_FREE 0x6b

#endif
