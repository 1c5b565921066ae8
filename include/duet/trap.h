/*
 * What the arch's trap code calls in generic code for traps from user
 * mode (kernel/syscall.c, kernel/proc.c).
 */
#ifndef DUET_TRAP_H
#define DUET_TRAP_H

#include <duet/fault.h>
#include <duet/types.h>

/* System call `nr` with its six argument registers; the result register's value. */
long syscall_dispatch(u64 nr, const u64 args[6]);

/*
 * A user program faulted. Returns when the access may simply be retried
 * (a heap page mapped on first touch); otherwise reports the fault and
 * ends the program, never returning.
 */
void user_fault(const struct fault_info *info);

#endif
