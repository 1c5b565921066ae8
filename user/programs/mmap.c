/*
 * Exercises mmap, munmap, mprotect and mincore: a region's pages exist
 * only once touched and come zeroed; two regions do not share pages;
 * munmap of the middle leaves the ends; mprotect to read-only still
 * reads; the kernel refuses what it must (len 0, writable and executable,
 * a fixed address outside the area, a file, a bad mincore buffer).
 * Prints "mmap: ok" and exits 0, or names the first failure and exits 1.
 */
#include <ulib.h>

#define PAGES 16

static int failures;

#define EXPECT(cond)                                        \
    do {                                                    \
        if (!(cond)) {                                      \
            printf("mmap: line %d: %s\n", __LINE__, #cond); \
            failures++;                                     \
        }                                                   \
    } while (0)

static unsigned resident(char *p, size_t pages)
{
    unsigned char vec[PAGES];
    unsigned n = 0;

    if (mincore(p, pages * PAGE_SIZE, vec))
        return ~0u;
    for (size_t i = 0; i < pages; i++)
        n += vec[i];
    return n;
}

int main(int argc, char **argv)
{
    const int rw = PROT_READ | PROT_WRITE, anon = MAP_PRIVATE | MAP_ANONYMOUS;
    char *a = mmap(NULL, PAGES * PAGE_SIZE, rw, anon, -1, 0);

    if (MMAP_FAILED(a)) {
        printf("mmap: mmap returned %ld\n", (long)a);
        return 1;
    }
    EXPECT((uintptr_t)a % PAGE_SIZE == 0);
    EXPECT((uintptr_t)a >= USER_MMAP_BASE && (uintptr_t)a + PAGES * PAGE_SIZE <= USER_MMAP_TOP);
    /* Lazy: nothing in memory until touched, then exactly what was touched. */
    EXPECT(resident(a, PAGES) == 0);
    EXPECT(a[3 * PAGE_SIZE] == 0 && a[3 * PAGE_SIZE + 100] == 0);
    EXPECT(resident(a, PAGES) == 1);
    for (int i = 0; i < PAGES; i++)
        a[i * PAGE_SIZE + i] = (char)(i + 1);
    EXPECT(resident(a, PAGES) == PAGES);

    /* A second region is elsewhere, its own zeroed pages. */
    char *b = mmap(NULL, 2 * PAGE_SIZE, rw, anon, -1, 0);
    EXPECT(!MMAP_FAILED(b) && (b + 2 * PAGE_SIZE <= a || b >= a + PAGES * PAGE_SIZE));
    if (!MMAP_FAILED(b)) {
        EXPECT(b[0] == 0);
        b[0] = 'b';
        EXPECT(a[0] == 1 && b[0] == 'b');
    }

    /* munmap of the middle: the ends stay, with their data. */
    EXPECT(munmap(a + 4 * PAGE_SIZE, 8 * PAGE_SIZE) == 0);
    EXPECT(resident(a, 4) == 4 && resident(a + 12 * PAGE_SIZE, 4) == 4);
    EXPECT(resident(a + 4 * PAGE_SIZE, 8) == 0);
    EXPECT(a[3 * PAGE_SIZE + 3] == 4 && a[12 * PAGE_SIZE + 12] == 13);
    /* Mapping the hole again gives fresh zeroed pages at the hint. */
    char *c = mmap(a + 4 * PAGE_SIZE, 8 * PAGE_SIZE, rw, anon | MAP_FIXED, -1, 0);
    EXPECT(c == a + 4 * PAGE_SIZE);
    EXPECT(c[5 * PAGE_SIZE - 4 * PAGE_SIZE + 5] == 0);
    /* MAP_FIXED over a page in use: the old page goes, the new one is zeros. */
    a[0] = 9;
    EXPECT(mmap(a, PAGE_SIZE, rw, anon | MAP_FIXED, -1, 0) == a);
    EXPECT(a[0] == 0);

    /* Read-only: still reads what was written. */
    EXPECT(mprotect(a, 4 * PAGE_SIZE, PROT_READ) == 0);
    EXPECT(a[2 * PAGE_SIZE + 2] == 3);

    /* Shared: every page in memory at once, so that a child forked later
     * maps the very same pages. */
    char *s = mmap(NULL, 3 * PAGE_SIZE, rw, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    EXPECT(!MMAP_FAILED(s));
    if (!MMAP_FAILED(s)) {
        EXPECT(resident(s, 3) == 3);
        EXPECT(s[PAGE_SIZE] == 0);
        s[2 * PAGE_SIZE + 1] = 's';
        EXPECT(s[2 * PAGE_SIZE + 1] == 's');
        EXPECT(mprotect(s, PAGE_SIZE, PROT_NONE) == -EINVAL);
        EXPECT(munmap(s, 3 * PAGE_SIZE) == 0);
    }

    /* Refusals. */
    EXPECT((long)mmap(NULL, PAGE_SIZE, rw, MAP_SHARED | anon, -1, 0) == -EINVAL);
    EXPECT((long)mmap(NULL, PAGE_SIZE, PROT_NONE, MAP_SHARED | MAP_ANONYMOUS, -1, 0) == -EINVAL);
    EXPECT((long)mmap(NULL, 0, rw, anon, -1, 0) == -EINVAL);
    EXPECT((long)mmap(NULL, PAGE_SIZE, PROT_WRITE | PROT_EXEC, anon, -1, 0) == -EINVAL);
    EXPECT((long)mmap(NULL, PAGE_SIZE, rw, MAP_ANONYMOUS, -1, 0) == -EINVAL);
    EXPECT((long)mmap(NULL, PAGE_SIZE, rw, anon, 3, 0) == -EINVAL);
    EXPECT((long)mmap((void *)USER_BASE, PAGE_SIZE, rw, anon | MAP_FIXED, -1, 0) == -EINVAL);
    EXPECT((long)mmap(NULL, USER_END, rw, anon, -1, 0) == -ENOMEM);
    EXPECT(mprotect(a, PAGE_SIZE, PROT_WRITE | PROT_EXEC) == -EINVAL);
    EXPECT(mprotect(a + 64 * PAGE_SIZE * 1024, PAGE_SIZE, PROT_READ) == -ENOMEM);
    EXPECT(munmap(a + 1, PAGE_SIZE) == -EINVAL);
    EXPECT(mincore(a, PAGE_SIZE, (unsigned char *)USER_END) == -EFAULT);
    EXPECT(mincore(a, PAGE_SIZE, NULL) == -EFAULT);

    EXPECT(munmap(a, PAGES * PAGE_SIZE) == 0);
    if (!MMAP_FAILED(b))
        EXPECT(munmap(b, 2 * PAGE_SIZE) == 0);
    if (failures)
        return 1;
    printf("mmap: ok\n");
    return 0;
}
