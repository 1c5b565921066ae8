/*
 * Stopping on a broken invariant. panic() prints the message with the
 * caller's file:line and a backtrace, then powers the machine off with a
 * failure status. assert() panics naming the expression that was false.
 */
#ifndef DUET_PANIC_H
#define DUET_PANIC_H

/* The exit status of a run that ended in panic or an unexpected fault. */
#define PANIC_EXIT_STATUS 3

#ifndef __ASSEMBLER__

#include <duet/compiler.h>

__noreturn void panic_at(const char *file, int line, const char *fmt, ...) __printf(3, 4);

#define panic(...) panic_at(__FILE__, __LINE__, __VA_ARGS__)

#define assert(expr)                                                     \
    do {                                                                 \
        if (unlikely(!(expr)))                                           \
            panic_at(__FILE__, __LINE__, "assertion failed: %s", #expr); \
    } while (0)

#define static_assert _Static_assert

#endif /* !__ASSEMBLER__ */
#endif
