/* Sleeps for the milliseconds given as its argument (default 1000), then
 * exits 0: a process that waits without computing, for the shell's tests
 * (`sleep 5000 &`, then `ps` shows it blocked, state S). */
#include <ulib.h>

int main(int argc, char **argv)
{
    long ms = argc > 1 ? strtol(argv[1], NULL, 10) : 1000;
    int err = msleep(ms);

    if (err < 0) {
        printf("sleep: error %d\n", -err);
        return 1;
    }
    return 0;
}
