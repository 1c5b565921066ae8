/*
 * Faults: the report every fault prints on both arches, and the two ways
 * a fault does not end the kernel.
 *
 *   *** KERNEL FAULT: <what> ***
 *     <arch lines: cause, addresses, registers>
 *   Backtrace:
 *     #0 ...
 *   *** fault: powering off (status 3) ***
 *
 * The arch's trap handler decodes the exception into a struct fault_info,
 * prints the first two parts with fault_report_begin() and printf, then
 * calls fault_report_end(), which powers off, unless a test expected the
 * fault (fault_expect()): then the report ends with
 *
 *   *** fault expected by the test: it goes on ***
 *
 * and the test resumes where it called fault_expect(). (User faults end
 * only the user program: kernel/proc.c.)
 */
#ifndef DUET_FAULT_H
#define DUET_FAULT_H

#include <duet/compiler.h>
#include <duet/types.h>

enum fault_access {
    FAULT_READ,
    FAULT_WRITE,
    FAULT_EXEC, /* an instruction fetch */
};

/* What the arch decoded from one exception, in generic terms. */
struct fault_info {
    const char *what; /* "page fault", "undefined instruction", ... */
    uintptr_t pc;     /* where it was taken */
    uintptr_t sp;     /* the stack pointer then */
    bool memory;      /* a page fault or abort: addr and access mean something */
    uintptr_t addr;   /* the address accessed */
    enum fault_access access;
    bool protection; /* a mapped page refused the access (else: not mapped) */
    bool user;       /* taken from user mode */
};

const char *fault_access_name(enum fault_access access);

void fault_report_begin(const char *fmt, ...) __printf(1, 2);
/*
 * The kernel stack that holds addr, or whose unmapped guard does: the boot
 * stack (its 2 MiB guard) or a kernel thread's (kernel/kstack.c). name is
 * "the boot stack" or "thread 3 (worker)'s stack".
 */
struct fault_stack {
    uintptr_t bottom, top; /* the stack itself */
    bool in_guard;         /* addr is below bottom, in the guard */
    char name[48];
};
bool fault_find_stack(uintptr_t addr, struct fault_stack *out);
/*
 * Stack diagnosis and backtrace from (pc, fp); then back into the test
 * that expected this fault, or power off.
 */
__noreturn void fault_report_end(const struct fault_info *info, uintptr_t fp, uintptr_t sp);

/*
 * For tests: run fn(arg), expecting it to fault. Returns true when it
 * did (the fault is reported as usual, recorded in *info, and fn is
 * abandoned where it faulted), false when fn returned normally. fn must
 * not hold anything that needs undoing (locks, allocations) when it faults.
 */
bool fault_expect(void (*fn)(void *arg), void *arg, struct fault_info *info);

#endif
