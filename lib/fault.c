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
#include <duet/string.h>
#include <duet/thread.h>

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

bool fault_find_stack(uintptr_t addr, struct fault_stack *out)
{
    uintptr_t boot = (uintptr_t)__boot_stack_bottom;
    const struct thread *t;

    if (addr >= boot - STACK_GUARD_SIZE && addr < (uintptr_t)__boot_stack_top) {
        *out = (struct fault_stack){ .bottom = boot, .top = (uintptr_t)__boot_stack_top };
        strlcpy(out->name, "the boot stack", sizeof(out->name));
    } else if ((t = thread_of_stack(addr)) != NULL) {
        *out = (struct fault_stack){ .bottom = t->stack_bottom, .top = t->stack_top };
        snprintf(out->name, sizeof(out->name), "thread %d (%s)'s stack", t->id, t->name);
    } else {
        return false;
    }
    out->in_guard = addr < out->bottom;
    return true;
}

void fault_report_end(const struct fault_info *info, uintptr_t fp, uintptr_t sp)
{
    struct fault_stack s;

    /* At the very bottom counts: the push that faulted was into the guard
     * (x86_64's double fault reports the SP from before that push). */
    if (fault_find_stack(sp, &s) && sp <= s.bottom)
        printf("  kernel stack overflow: sp 0x%lx has reached the guard below %s [0x%lx, 0x%lx)\n",
               (unsigned long)sp, s.name, (unsigned long)s.bottom, (unsigned long)s.top);
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
