/*
 * Frame-pointer backtraces. The kernel is built with frame pointers, so
 * each frame begins with the record {caller's frame pointer, return
 * address}; following the chain walks the stack. The walk stops at a
 * NULL, misaligned or non-kernel frame pointer, or one that does not move
 * up the stack, so a corrupt stack cannot make it loop or fault.
 */
#include <duet/backtrace.h>
#include <duet/layout.h>
#include <duet/printk.h>

#define BACKTRACE_MAX_FRAMES 32

/*
 * A return address is one instruction past its call and may already be
 * past the end of the calling function, so the caller's name is looked up
 * at pc - 1 (`is_return`); the offset printed is from the real address.
 */
static void print_frame(int n, uintptr_t pc, bool is_return)
{
    uintptr_t off;
    const char *name = ksym_lookup(pc - is_return, &off);

    if (name)
        printf("  #%-2d 0x%016lx %s+0x%lx\n", n, (unsigned long)pc, name,
               (unsigned long)(off + is_return));
    else
        printf("  #%-2d 0x%016lx ?\n", n, (unsigned long)pc);
}

static bool frame_pointer_ok(uintptr_t fp, uintptr_t prev)
{
    return fp && (fp & 7) == 0 && fp >= PHYS_OFFSET && fp > prev;
}

void backtrace_print(uintptr_t pc, uintptr_t fp)
{
    int n = 0;
    uintptr_t last = 0;
    unsigned repeats = 0; /* frames equal to the one above, not printed */

    printf("Backtrace:\n");
    if (pc)
        print_frame(n++, pc, false);
    for (uintptr_t prev = 0; n < BACKTRACE_MAX_FRAMES && frame_pointer_ok(fp, prev);) {
        const uintptr_t *record = (const uintptr_t *)fp;
        uintptr_t ret = record[1];

        if (!ret)
            break;
        prev = fp;
        fp = record[0];
        /* Deep recursion (a stack overflow) would fill the report with one line. */
        if (ret == last) {
            repeats++;
            continue;
        }
        if (repeats)
            printf("  ... the frame above %u more time%s\n", repeats, repeats == 1 ? "" : "s");
        repeats = 0;
        last = ret;
        print_frame(n++, ret, true);
    }
    if (repeats)
        printf("  ... the frame above %u more time%s\n", repeats, repeats == 1 ? "" : "s");
}

__noinline void backtrace_here(void)
{
    backtrace_print(0, (uintptr_t)__builtin_frame_address(0));
}
