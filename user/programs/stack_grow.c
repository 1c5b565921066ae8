/*
 * Uses 1 MiB of stack, sixteen times what is mapped when it starts: each
 * page below that appears on first touch (the stack grows, to at most
 * USER_STACK_MAX). Checks that every frame kept what it wrote, and that
 * the pages it grew into are in memory afterwards (mincore). Prints
 * "stack_grow: ok" and exits 0, or names what went wrong and exits 1.
 */
#include <ulib.h>

#define DEPTH 1024 /* frames of 1 KiB */

static int bad;

static __noinline void descend(unsigned depth, uintptr_t *deepest)
{
    char frame[1024];

    memset(frame, (int)(depth & 0xff), sizeof(frame));
    __asm__ volatile("" : : "r"(frame) : "memory");
    if (depth + 1 < DEPTH)
        descend(depth + 1, deepest);
    else
        *deepest = (uintptr_t)frame; /* where, not a pointer to keep */
    for (size_t i = 0; i < sizeof(frame); i++)
        if (frame[i] != (char)(depth & 0xff))
            bad++;
}

int main(int argc, char **argv)
{
    uintptr_t deepest = 0;
    unsigned char in_memory = 0;

    descend(0, &deepest);
    if (bad) {
        printf("stack_grow: %d bytes changed under their frames\n", bad);
        return 1;
    }
    if (deepest > USER_STACK_BOTTOM - 512 * 1024 || deepest < USER_STACK_LIMIT) {
        printf("stack_grow: the deepest frame at 0x%lx is not 1 MiB down\n", deepest);
        return 1;
    }
    if (mincore((void *)(deepest & ~(uintptr_t)(PAGE_SIZE - 1)), PAGE_SIZE, &in_memory) ||
        !in_memory) {
        printf("stack_grow: the page the stack grew into is not in memory\n");
        return 1;
    }
    printf("stack_grow: ok\n");
    return 0;
}
