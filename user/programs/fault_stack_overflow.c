/* Recurses without end: the stack grows a page at a time to its limit
 * (USER_STACK_MAX), then runs into the unmapped guard page below it, so
 * the kernel must end the program with a report; "survived" means it did
 * not. */
#include <ulib.h>

/* Never true, but the compiler cannot know: it keeps the recursion from
 * being "infinite" (a warning) and from being removed. */
static volatile unsigned long stop_at = ~0UL;

/*
 * Each frame holds a buffer whose address escapes (into an empty asm), so
 * the compiler must keep all 512 bytes in the frame and must read frame[0]
 * again after the recursive call: the call is not a tail call, no frame
 * can be reused, and the recursion cannot become a loop.
 */
static __noinline unsigned long descend(unsigned long depth)
{
    char frame[512];

    frame[0] = (char)depth;
    __asm__ volatile("" : : "r"(frame) : "memory");
    if (depth == stop_at)
        return depth;
    return descend(depth + 1) + (unsigned char)frame[0];
}

int main(int argc, char **argv)
{
    printf("fault_stack_overflow: recursing until the stack runs out (%lu KiB)\n",
           (unsigned long)(USER_STACK_MAX / 1024));
    printf("returned %lu\n", descend(0));
    printf("survived\n");
    return 0;
}
