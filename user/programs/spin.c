/* Spins in user mode for 200 ms by the kernel's clock, then exits 0: the
 * timer interrupts it all the while (tests/test_user.py counts the ticks),
 * and each interrupt must come back to it unharmed. */
#include <ulib.h>

#define SPIN_NS 200000000L

int main(int argc, char **argv)
{
    long end = uptime() + SPIN_NS;
    volatile unsigned long n = 0;

    while (uptime() < end)
        for (int i = 0; i < 10000; i++)
            n++;
    printf("spin: done\n");
    return 0;
}
