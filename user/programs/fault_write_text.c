/* Writes to its own code. The text segment is mapped read-execute, so the
 * kernel must end the program with a report; "survived" means it did not. */
#include <ulib.h>

int main(int argc, char **argv)
{
    /* Through a volatile pointer: the compiler must emit the store as is. */
    volatile unsigned char *volatile code = (volatile unsigned char *)(uintptr_t)main;

    printf("fault_write_text: writing to .text at %p\n", (void *)code);
    *code = 0;
    printf("survived\n");
    return 0;
}
