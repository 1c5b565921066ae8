/*
 * Deliberate faults, chosen with `crash=<name>` on the command line, so the
 * tests can prove that each kind of fault produces its report and a failure
 * status instead of a hang or a silent reset.
 */
#include <duet/arch.h>
#include <duet/kernel.h>
#include <duet/panic.h>
#include <duet/printk.h>
#include <duet/string.h>

static void crash_null(void)
{
    volatile int *null = NULL;

    printf("crash: reading address 0\n");
    (void)*null;
}

/*
 * Each call keeps a frame alive; the volatile buffer defeats tail calls and
 * the volatile flag keeps the compiler from proving the recursion endless.
 */
static volatile bool keep_recursing = true;

static __noinline int recurse_forever(int depth)
{
    volatile char frame[256];

    frame[0] = (char)depth;
    if (!keep_recursing)
        return 0;
    return recurse_forever(depth + 1) + frame[0];
}

static void crash_stack_overflow(void)
{
    printf("crash: recursing until the kernel stack overflows\n");
    recurse_forever(0);
}

static void crash_undefined(void)
{
    printf("crash: executing an undefined instruction\n");
    arch_execute_undefined();
}

static void crash_panic(void)
{
    panic("crash=panic was asked for");
}

static const struct {
    const char *name;
    void (*run)(void);
} crashes[] = {
    { "null", crash_null },
    { "stack-overflow", crash_stack_overflow },
    { "undefined", crash_undefined },
    { "panic", crash_panic },
};

void crash_run(const char *what)
{
    for (size_t i = 0; i < ARRAY_SIZE(crashes); i++) {
        if (strcmp(crashes[i].name, what) == 0) {
            crashes[i].run();
            panic("crash=%s: the fault did not happen", what);
        }
    }
    printf("crash: unknown crash '%s'; known:", what);
    for (size_t i = 0; i < ARRAY_SIZE(crashes); i++)
        printf(" %s", crashes[i].name);
    printf("\n");
    panic("crash=%s is not a known crash", what);
}
