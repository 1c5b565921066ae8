/*
 * write() with buffers the kernel must refuse without touching them: a
 * kernel address, an unmapped user address, NULL, a range that crosses the
 * top of user space, a huge length; and a bad file descriptor. Each must
 * come back as an error (-EFAULT, or -EBADF for the fd), never as a kernel
 * fault or a partial write. One line per case, then "badwrite: ok" and
 * exit 0 if all matched, exit 1 otherwise.
 */
#include <ulib.h>

static const char message[] = "this must not be printed\n";
static int failures;

static void check(const char *what, int fd, const void *buf, size_t len, long want)
{
    long got = write(fd, buf, len);

    printf("badwrite: %s: %ld%s\n", what, got, got == want ? "" : " (wrong)");
    if (got != want) {
        printf("badwrite: expected %ld\n", want);
        failures++;
    }
}

int main(int argc, char **argv)
{
    /* Far above the program and its heap, far below the stack: unmapped. */
    const void *unmapped = (const void *)(USER_BASE + 0x40000000000UL);
    /* The last 8 bytes below USER_END and 8 beyond it. */
    const void *top = (const void *)(USER_END - 8);

    check("kernel address", 1, (const void *)KERNEL_VIRT_BASE, 16, -EFAULT);
    check("PMO address", 1, (const void *)PHYS_OFFSET, 16, -EFAULT);
    check("unmapped user address", 1, unmapped, 16, -EFAULT);
    check("NULL", 1, NULL, 16, -EFAULT);
    check("range crossing USER_END", 1, top, 16, -EFAULT);
    check("huge length", 1, message, ~0UL >> 1, -EFAULT);
    check("length wrapping around", 1, message, ~0UL, -EFAULT);
    check("bad fd", 7, message, sizeof(message) - 1, -EBADF);

    if (failures) {
        printf("badwrite: %d case(s) wrong\n", failures);
        return 1;
    }
    printf("badwrite: ok\n");
    return 0;
}
