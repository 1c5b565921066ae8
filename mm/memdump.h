/*
 * The memory dump (docs/memdump.md): everything the viewer draws, as JSON
 * lines between two marker lines on the console, so a host tool can take
 * it out of any boot or grading log (tools/memdump.py).
 */
#ifndef MM_MEMDUMP_H
#define MM_MEMDUMP_H

#include <mm/vm.h>

/* 2: the pmo records (docs/memdump.md). */
#define MEMDUMP_VERSION 2

/* A user address space to dump, under a name unique in the dump. */
struct memdump_space {
    struct vm_space *vm;
    const char *name;
};

/* Dump the kernel's memory and the n user spaces in `user` (n may be 0). */
void memdump(const struct memdump_space *user, unsigned n);

#endif
