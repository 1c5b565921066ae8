/*
 * Maps memory 16 MiB at a time and touches every page, until the kernel
 * runs out of memory and ends it (with a report, status 137 as for
 * kill -9); the kernel must go on. Prints each 16 MiB it got. If the
 * kernel refuses a mapping instead, it says so and exits 2; it never
 * exits 0.
 */
#include <ulib.h>

#define CHUNK (16UL << 20)

int main(int argc, char **argv)
{
    for (unsigned long mib = 0;; mib += CHUNK >> 20) {
        char *p = mmap(NULL, CHUNK, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

        if (MMAP_FAILED(p)) {
            printf("memhog: mmap refused after %lu MiB: error %ld\n", mib, -(long)p);
            return 2;
        }
        /* Each page comes from the page-fault handler at this touch. */
        for (unsigned long off = 0; off < CHUNK; off += PAGE_SIZE)
            p[off] = 1;
        printf("memhog: %lu MiB\n", mib + (CHUNK >> 20));
    }
}
