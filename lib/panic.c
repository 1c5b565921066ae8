/*
 * panic(): report a broken invariant and stop the machine with a failure
 * status, so a test run ends at once instead of at a timeout. A panic
 * during the panic (say, a fault while printing) goes straight to poweroff.
 */
#include <duet/arch.h>
#include <duet/backtrace.h>
#include <duet/panic.h>
#include <duet/printk.h>

static bool panicking;

void panic_at(const char *file, int line, const char *fmt, ...)
{
    va_list ap;

    if (panicking)
        arch_poweroff(PANIC_EXIT_STATUS);
    panicking = true;

    printf("\n*** KERNEL PANIC at %s:%d: ", file, line);
    va_start(ap, fmt);
    vprintf(fmt, ap);
    va_end(ap);
    printf(" ***\n");
    backtrace_here();
    printf("*** panic: powering off (status %d) ***\n", PANIC_EXIT_STATUS);
    arch_poweroff(PANIC_EXIT_STATUS);
}
