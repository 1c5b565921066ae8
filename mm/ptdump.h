/* Inspecting page tables: ptdump and the W^X audit (mm/ptdump.c). */
#ifndef MM_PTDUMP_H
#define MM_PTDUMP_H

#include <mm/vm.h>

/* Print every mapping of s as merged ranges. */
void ptdump(struct vm_space *s);
/* Pages both writable and executable in s; with verbose, each is printed. */
u64 wx_audit(struct vm_space *s, bool verbose);

#endif
