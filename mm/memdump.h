/*
 * The memory dump (docs/memdump.md): everything the viewer draws, as JSON
 * lines between two marker lines on the console, so a host tool can take
 * it out of any boot or grading log (tools/memdump.py).
 */
#ifndef MM_MEMDUMP_H
#define MM_MEMDUMP_H

#include <mm/vm.h>

#define MEMDUMP_VERSION 1

/* Dump the kernel's memory and, when `user` is not NULL, that user space
 * too, named `user_name`. */
void memdump(struct vm_space *user, const char *user_name);

#endif
