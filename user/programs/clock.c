/* Reads the kernel's clock twice through the uptime system call and prints
 * the second reading: `clock: 1.234567 s`. Exits 1 if the clock went back. */
#include <ulib.h>

int main(int argc, char **argv)
{
    long first = uptime(), second = uptime();

    printf("clock: %ld.%06ld s\n", second / 1000000000, second % 1000000000 / 1000);
    return second >= first && first > 0 ? 0 : 1;
}
