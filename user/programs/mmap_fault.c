/*
 * A touch that mmap's rules forbid, chosen by argv[1]; each must kill the
 * program (status 139) at the marked line, so reaching the end is a
 * failure (exit 1):
 *   unmapped   read a page after munmap
 *   readonly   write after mprotect(PROT_READ)
 *   stale      write, mprotect(PROT_READ), write again: the first write
 *              left a writable TLB entry, which mprotect must have dropped
 *   readfirst  read a PROT_READ region, then write it: the read mapped
 *              the page, with the region's permissions only
 *   none       read a PROT_NONE region
 *   exec       run code in a region mapped without PROT_EXEC
 */
#include <ulib.h>

int main(int argc, char **argv)
{
    const int rw = PROT_READ | PROT_WRITE, anon = MAP_PRIVATE | MAP_ANONYMOUS;
    const char *what = argc > 1 ? argv[1] : "";
    volatile char *p = mmap(NULL, PAGE_SIZE, rw, anon, -1, 0);

    if (MMAP_FAILED(p))
        return 2;
    p[0] = 1;
    if (!strcmp(what, "unmapped")) {
        munmap((void *)p, PAGE_SIZE);
        return p[0]; /* faults */
    } else if (!strcmp(what, "readonly") || !strcmp(what, "stale")) {
        if (!strcmp(what, "stale"))
            for (int i = 0; i < 100; i++)
                p[i] = (char)i;
        mprotect((void *)p, PAGE_SIZE, PROT_READ);
        p[0] = 2; /* faults */
    } else if (!strcmp(what, "readfirst")) {
        volatile char *r = mmap(NULL, PAGE_SIZE, PROT_READ, anon, -1, 0);
        if (MMAP_FAILED(r) || r[0] != 0)
            return 2;
        r[0] = 1; /* faults */
    } else if (!strcmp(what, "none")) {
        volatile char *q = mmap(NULL, PAGE_SIZE, PROT_NONE, anon, -1, 0);
        return q[0]; /* faults */
    } else if (!strcmp(what, "exec")) {
        void (*fn)(void) = (void (*)(void))(uintptr_t)p;
        fn(); /* faults */
    }
    printf("mmap_fault: %s did not fault\n", what);
    return 1;
}
