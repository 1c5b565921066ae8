/*
 * Exercises brk: asks for the break, grows the heap by several pages and
 * touches every byte of each, shrinks it back, and checks that the kernel
 * refuses a break below the program's end or beyond USER_HEAP_MAX by
 * returning the old break unchanged. Prints "brk: ok" and exits 0, or
 * names the first thing that went wrong and exits 1.
 */
#include <ulib.h>

#define GROW_PAGES 8

extern char _end[]; /* the end of .bss, from user/user.lds.S */

static int failures;

static void expect(const char *what, void *got, void *want)
{
    if (got != want) {
        printf("brk: %s returned %p, expected %p\n", what, got, want);
        failures++;
    }
}

int main(int argc, char **argv)
{
    char *start = brk(NULL);

    printf("brk: the break is at %p, the program ends at %p\n", (void *)start, (void *)_end);
    if (start < _end || (uintptr_t)start % PAGE_SIZE) {
        printf("brk: the first break is not the page after the program\n");
        return 1;
    }

    char *top = start + GROW_PAGES * PAGE_SIZE;
    expect("brk(start + 8 pages)", brk(top), top);
    expect("brk(NULL) after growing", brk(NULL), top);
    if (failures)
        return 1;
    /* A pattern that differs per page and per byte catches pages mapped twice. */
    for (char *p = start; p < top; p++)
        *p = (char)(((uintptr_t)p >> 12) ^ (uintptr_t)p);
    for (char *p = start; p < top; p++) {
        if (*p != (char)(((uintptr_t)p >> 12) ^ (uintptr_t)p)) {
            printf("brk: byte at %p changed after it was written\n", (void *)p);
            return 1;
        }
    }

    char *half = start + GROW_PAGES / 2 * PAGE_SIZE;
    expect("brk(start + 4 pages) to shrink", brk(half), half);
    expect("brk(NULL) after shrinking", brk(NULL), half);

    /* Refusals leave the break where it was. */
    expect("brk(below the program)", brk((void *)USER_BASE), half);
    expect("brk(start + USER_HEAP_MAX + 1 page)", brk(start + USER_HEAP_MAX + PAGE_SIZE), half);
    expect("brk(USER_END)", brk((void *)USER_END), half);

    /* sbrk is brk underneath: the old break back, the new one in place. */
    expect("sbrk(1 page)", sbrk(PAGE_SIZE), half);
    expect("brk(NULL) after sbrk", brk(NULL), half + PAGE_SIZE);
    half[PAGE_SIZE - 1] = 1;
    expect("brk(start) to give everything back", brk(start), start);

    if (failures) {
        printf("brk: %d check(s) failed\n", failures);
        return 1;
    }
    printf("brk: ok\n");
    return 0;
}
