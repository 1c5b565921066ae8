/* Computes in user mode, without a system call, for about 300 ms by the
 * kernel's clock, while the tick interrupts it: the same chain of
 * multiply-adds twice, which must agree, so an interrupt that came back
 * with a register changed shows. Prints `spin: ok` and exits 0, or exits 1. */
#include <ulib.h>

#define SPAN_NS 300000000L
#define STEPS   200000

/* A chain of STEPS steps of a 64-bit linear congruential generator. */
static unsigned long chain(unsigned long x)
{
    for (long i = 0; i < STEPS; i++)
        x = x * 6364136223846793005ul + 1442695040888963407ul;
    return x;
}

int main(int argc, char **argv)
{
    long start = uptime();
    unsigned long x = 1, rounds = 0;

    while (uptime() - start < SPAN_NS) {
        unsigned long a = chain(x), b = chain(x);
        if (a != b) {
            printf("spin: the chain from %lu gave %lu, then %lu\n", x, a, b);
            return 1;
        }
        x = a;
        rounds++;
    }
    printf("spin: ok (%lu rounds)\n", rounds);
    return 0;
}
