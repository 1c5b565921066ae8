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
#include <duet/sections.h>
#include <duet/thread.h>
#include <mm/buddy.h>
#include <mm/kmalloc.h>
#include <mm/pmo.h>

static void crash_null(void)
{
    volatile int *null = NULL;

    printf("crash: reading address 0\n");
    (void)*null; /* cppcheck-suppress nullPointer ; NOLINT: the crash this test asks for */
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

static int overflow_thread(void *arg)
{
    return recurse_forever(0);
}

/* The same in a kernel thread: its stack's guard page, not the boot stack's, is hit. */
static void crash_thread_stack_overflow(void)
{
    struct thread *t = thread_create("overflow", overflow_thread, NULL);

    if (!t)
        panic("crash: no memory for a thread");
    printf("crash: thread %d (%s) recursing until its stack [0x%lx, 0x%lx) overflows\n", t->id,
           t->name, (unsigned long)t->stack_bottom, (unsigned long)t->stack_top);
    thread_join(t);
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

/* Allocator misuse: each must end in a panic that names the address. */
static void crash_double_free(void)
{
    paddr_t pa = buddy_alloc_pages(0);

    printf("crash: freeing page 0x%llx twice\n", (unsigned long long)pa);
    buddy_free_pages(pa, 0);
    buddy_free_pages(pa, 0);
}

static void crash_free_wrong_order(void)
{
    paddr_t pa = buddy_alloc_pages(2);

    /* An order-2 block that is also aligned to order 3, so that the order
     * check (not the alignment check) is what catches the mistake. */
    while (pa % (PAGE_SIZE << 3))
        pa = buddy_alloc_pages(2);

    printf("crash: freeing an order-2 block at 0x%llx as order 3\n", (unsigned long long)pa);
    buddy_free_pages(pa, 3);
}

static void crash_free_unaligned(void)
{
    paddr_t pa = buddy_alloc_pages(1);

    printf("crash: freeing 0x%llx, inside an order-1 block, as order 1\n",
           (unsigned long long)pa + PAGE_SIZE);
    buddy_free_pages(pa + PAGE_SIZE, 1);
}

static void crash_free_kernel(void)
{
    paddr_t pa = virt_to_phys(__text_start);

    printf("crash: freeing the kernel's own page 0x%llx\n", (unsigned long long)pa);
    buddy_free_pages(pa, 0);
}

static void crash_kfree_twice(void)
{
    void *keep = kmalloc(64); /* keeps the slab, so its own check runs */
    void *p = kmalloc(64);

    (void)keep;
    printf("crash: kfree(%p) twice\n", p);
    kfree(p);
    kfree(p); /* NOLINT(clang-analyzer-unix.Malloc): the double free this test asks for */
}

static const struct {
    const char *name;
    void (*run)(void);
} crashes[] = {
    { "null", crash_null },
    { "stack-overflow", crash_stack_overflow },
    { "undefined", crash_undefined },
    { "panic", crash_panic },
    { "double-free", crash_double_free },
    { "free-wrong-order", crash_free_wrong_order },
    { "free-unaligned", crash_free_unaligned },
    { "free-kernel", crash_free_kernel },
    { "kfree-twice", crash_kfree_twice },
    { "thread-stack-overflow", crash_thread_stack_overflow },
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
