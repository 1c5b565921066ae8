/* Exits with the status given as its first argument (default 0), so a test
 * sees exit statuses come back from user mode: `status 42` exits 42. */
#include <ulib.h>

int main(int argc, char **argv)
{
    return argc > 1 ? atoi(argv[1]) : 0;
}
