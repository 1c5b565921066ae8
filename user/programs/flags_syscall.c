/* A system call made with the flags a hostile program sets first
 * (arch_write_with_odd_flags, ulib.h): the kernel must answer it and
 * return, and the program goes on. */
#include <ulib.h>

int main(int argc, char **argv)
{
    static const char msg[] = "flags_syscall: the kernel answered\n";
    long n = arch_write_with_odd_flags(msg, sizeof(msg) - 1);

    printf("flags_syscall: %s\n", n == (long)sizeof(msg) - 1 ? "ok" : "wrong result");
    return 0;
}
