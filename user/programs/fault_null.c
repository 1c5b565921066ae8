/* Reads through a NULL pointer. The first 4 MiB are never mapped (the NULL
 * guard), so the kernel must end the program with a report; "survived"
 * means it did not. */
#include <ulib.h>

int main(int argc, char **argv)
{
    /* volatile: the compiler may not assume the pointer is NULL and turn
     * the load into a trap instruction of its own. */
    int *volatile pointer = NULL;

    printf("fault_null: reading through a NULL pointer\n");
    printf("read %d\n", *pointer);
    printf("survived\n");
    return 0;
}
