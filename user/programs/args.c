/* Prints what the kernel passed as argc and argv, one line each, so a test
 * sees that both arrived intact and that argv ends with NULL. */
#include <ulib.h>

int main(int argc, char **argv)
{
    printf("argc=%d\n", argc);
    for (int i = 0; i < argc; i++)
        printf("argv[%d]=%s\n", i, argv[i]);
    if (argv[argc] != NULL) {
        printf("argv[%d] is %p, not NULL\n", argc, (void *)argv[argc]);
        return 1;
    }
    return 0;
}
