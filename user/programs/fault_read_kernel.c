/* Reads the first word of the kernel image. Kernel pages are not
 * accessible from user mode, so the kernel must end the program with a
 * report; "survived" means it did not. */
#include <ulib.h>

int main(int argc, char **argv)
{
    const volatile u64 *volatile kernel = (const volatile u64 *)KERNEL_VIRT_BASE;

    printf("fault_read_kernel: reading the kernel address %p\n", (const void *)kernel);
    printf("read 0x%llx\n", (unsigned long long)*kernel);
    printf("survived\n");
    return 0;
}
