/* Computes forever in user mode, without a system call: only an interrupt
 * can end it (Ctrl-C on the console, tests/test_user.py). */
#include <ulib.h>

int main(int argc, char **argv)
{
    volatile unsigned long n = 0;

    printf("forever: computing until interrupted\n");
    ulib_flush();
    for (;;)
        n++;
}
