/*
 * The shape every kernel fault report shares on both arches:
 *
 *   *** KERNEL FAULT: <what> ***
 *     <arch lines: cause, addresses, registers>
 *   Backtrace:
 *     #0 ...
 *   *** fault: powering off (status 3) ***
 *
 * The arch's trap handler prints the first two parts with fault_report_begin()
 * and printf, then calls fault_report_end().
 */
#ifndef DUET_FAULT_H
#define DUET_FAULT_H

#include <duet/compiler.h>
#include <duet/types.h>

void fault_report_begin(const char *fmt, ...) __printf(1, 2);
/* True when sp lies in the unmapped guard below the boot stack. */
bool fault_sp_in_stack_guard(uintptr_t sp);
/* Stack diagnosis, backtrace from (pc, fp), then poweroff. */
__noreturn void fault_report_end(uintptr_t pc, uintptr_t fp, uintptr_t sp);

#endif
