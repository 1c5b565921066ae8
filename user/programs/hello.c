/* The first user program: one line on the console, exit status 0. */
#include <ulib.h>

int main(int argc, char **argv)
{
    printf("hello, world\n");
    return 0;
}
