/*
 * The arch-independent parts of a fault report and the catching of faults
 * a test expects (include/duet/fault.h).
 *
 * Catching uses the kernel's setjmp/longjmp (arch_setjmp in arch.h): the
 * trap handler runs on the same stack as the code that faulted, below the
 * frame of fault_expect(), so jumping back to that frame discards the
 * handler and the faulting code at once. Interrupts stay as they were:
 * masked, as the kernel always runs today.
 */
#include <duet/arch.h>
#include <duet/backtrace.h>
#include <duet/fault.h>
#include <duet/layout.h>
#include <duet/panic.h>
#include <duet/printk.h>
#include <duet/sections.h>

/* The boot stack sits at the bottom of a 2 MiB page; the page below is unmapped. */
#define STACK_GUARD_SIZE (2 * MiB)

static bool reporting;

/* The test waiting for a fault, if any. */
static struct fault_catcher {
    struct arch_jmp_buf resume;
    struct fault_info info;
} * catcher;

const char *fault_access_name(enum fault_access access)
{
    switch (access) {
    case FAULT_READ: return "read";
    case FAULT_WRITE: return "write";
    case FAULT_EXEC: return "execute";
    }
    return "?";
}

void fault_report_begin(const char *fmt, ...)
{
    va_list ap;

    /* A fault while reporting a fault: say so and stop, do not recurse. */
    if (reporting) {
        printf("\n*** fault while reporting a fault: powering off ***\n");
        arch_poweroff(PANIC_EXIT_STATUS);
    }
    reporting = true;
    printf("\n*** KERNEL FAULT: ");
    va_start(ap, fmt);
    vprintf(fmt, ap);
    va_end(ap);
    printf(" ***\n");
}

bool fault_sp_in_stack_guard(uintptr_t sp)
{
    uintptr_t bottom = (uintptr_t)__boot_stack_bottom;

    return sp < bottom && sp >= bottom - STACK_GUARD_SIZE;
}

void fault_report_end(const struct fault_info *info, uintptr_t fp, uintptr_t sp)
{
    if (fault_sp_in_stack_guard(sp))
        printf("  kernel stack overflow: sp 0x%lx is below the boot stack [0x%lx, 0x%lx)\n",
               (unsigned long)sp, (unsigned long)__boot_stack_bottom,
               (unsigned long)__boot_stack_top);
    backtrace_print(info->pc, fp);

    if (catcher) {
        struct fault_catcher *c = catcher;

        printf("*** fault expected by the test: it goes on ***\n");
        catcher = NULL;
        c->info = *info;
        reporting = false;
        arch_longjmp(&c->resume, 1);
    }
    printf("*** fault: powering off (status %d) ***\n", PANIC_EXIT_STATUS);
    arch_poweroff(PANIC_EXIT_STATUS);
}

bool fault_expect(void (*fn)(void *arg), void *arg, struct fault_info *info)
{
    struct fault_catcher c;

    if (catcher)
        panic("fault_expect: already waiting for a fault (nested fault_expect)");
    catcher = &c;
    if (arch_setjmp(&c.resume) == 0) {
        fn(arg);
        catcher = NULL;
        return false;
    }
    *info = c.info;
    return true;
}
