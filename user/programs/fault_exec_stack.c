/* Copies a function that only returns onto its stack and calls it there.
 * The stack is mapped without execute permission, so the kernel must end
 * the program with a report; "survived" means it did not. */
#include <ulib.h>

int main(int argc, char **argv)
{
    unsigned char code[16] __aligned(16);
    size_t size = (size_t)(arch_return_only_end - (const char *)(uintptr_t)arch_return_only);
    void (*volatile on_stack)(void) = (void (*)(void))(uintptr_t)code;

    /* No instruction-cache maintenance: the fetch must fault before any
     * cached bytes matter (and under QEMU's TCG they never would). */
    memcpy(code, (const void *)(uintptr_t)arch_return_only, MIN(size, sizeof(code)));
    printf("fault_exec_stack: calling code on the stack at %p\n", (void *)code);
    on_stack();
    printf("survived\n");
    return 0;
}
