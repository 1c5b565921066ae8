/*
 * Frame-pointer backtraces. Both arches keep a frame record of
 * {previous frame pointer, return address} at the frame pointer (x86_64 rbp,
 * AArch64 x29), so one walker serves both.
 */
#ifndef DUET_BACKTRACE_H
#define DUET_BACKTRACE_H

#include <duet/types.h>

/* Print "  #n 0x... function+0xoff" lines, starting with `pc` when nonzero. */
void backtrace_print(uintptr_t pc, uintptr_t fp);
/* Backtrace of the caller. */
void backtrace_here(void);

/* Name the function containing addr; NULL when outside the kernel's code. */
const char *ksym_lookup(uintptr_t addr, uintptr_t *offset);

#endif
