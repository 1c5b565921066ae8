/*
 * The in-kernel test runner: finds suites in the .ktest_suites section,
 * runs the ones the command line asks for and prints KTAP version 1, the
 * format of Linux's KUnit (Documentation/dev-tools/ktap.rst):
 *
 *   KTAP version 1
 *   1..2                         one line per top-level result: the suites
 *       KTAP version 1
 *       # Subtest: string
 *       1..3
 *       ok 1 strlen_counts
 *       ok 2 ...
 *   ok 1 string
 *
 * Diagnostics are "# " lines printed before the result they explain.
 * With `ktest.nonce=X` on the command line, "# ktest: run X" follows the
 * top-level plan and "# ktest: end X: ..." ends the run: the grader takes
 * only a run that carries its boot's nonce (tools/ktap_check.py).
 */
#include <duet/cmdline.h>
#include <duet/ktest.h>
#include <duet/printk.h>
#include <duet/string.h>

extern const struct ktest_suite __ktest_suites_start[], __ktest_suites_end[];

#define SUBTEST_INDENT "    "

void ktest_fail(struct ktest *t, const char *file, int line, const char *fmt, ...)
{
    va_list ap;

    t->failed = true;
    printf(SUBTEST_INDENT "# %s:%d: ", file, line);
    va_start(ap, fmt);
    vprintf(fmt, ap);
    va_end(ap);
    printf("\n");
}

void ktest_fail_int(struct ktest *t, const char *file, int line, const char *expr, const char *op,
                    long long a, long long b, bool is_unsigned)
{
    ktest_fail(t, file, line, "expected %s", expr);
    if (is_unsigned) {
        printf(SUBTEST_INDENT "#   left:  %llu (0x%llx)\n", (unsigned long long)a,
               (unsigned long long)a);
        printf(SUBTEST_INDENT "#   right: %llu (0x%llx)\n", (unsigned long long)b,
               (unsigned long long)b);
    } else {
        printf(SUBTEST_INDENT "#   left:  %lld (0x%llx)\n", a, (unsigned long long)a);
        printf(SUBTEST_INDENT "#   right: %lld (0x%llx)\n", b, (unsigned long long)b);
    }
}

void ktest_fail_str(struct ktest *t, const char *file, int line, const char *expr, const char *a,
                    const char *b)
{
    ktest_fail(t, file, line, "expected %s", expr);
    printf(SUBTEST_INDENT "#   left:  \"%s\"\n", a);
    printf(SUBTEST_INDENT "#   right: \"%s\"\n", b);
}

/* "VM_ERR_EXISTS (-2)", or the number alone when it has no name. */
static void print_code(const char *side, long v, const char *(*name)(long))
{
    const char *n = name(v);

    if (n)
        printf(SUBTEST_INDENT "#   %s %s (%ld)\n", side, n, v);
    else
        printf(SUBTEST_INDENT "#   %s %ld (not a known code)\n", side, v);
}

void ktest_fail_code(struct ktest *t, const char *file, int line, const char *expr, long a, long b,
                     const char *(*name)(long))
{
    ktest_fail(t, file, line, "expected %s", expr);
    print_code("left: ", a, name);
    print_code("right:", b, name);
}

void ktest_skip(struct ktest *t, const char *reason)
{
    t->skipped = true;
    t->skip_reason = reason;
}

struct totals {
    int passed, failed, skipped;
};

/* Run one suite as a KTAP subtest; true when none of its cases failed. */
static bool run_suite(const struct ktest_suite *suite, int number, struct totals *tot)
{
    int ncases = 0;
    bool suite_failed = false;

    while (suite->cases[ncases].run)
        ncases++;

    printf(SUBTEST_INDENT "KTAP version 1\n");
    printf(SUBTEST_INDENT "# Subtest: %s\n", suite->name);
    printf(SUBTEST_INDENT "1..%d\n", ncases);
    for (int i = 0; i < ncases; i++) {
        const struct ktest_case *c = &suite->cases[i];
        struct ktest t = { .name = c->name };

        c->run(&t);
        if (suite->exit)
            suite->exit();
        if (t.failed) {
            printf(SUBTEST_INDENT "not ok %d %s\n", i + 1, c->name);
            tot->failed++;
            suite_failed = true;
        } else if (t.skipped) {
            printf(SUBTEST_INDENT "ok %d %s # SKIP %s\n", i + 1, c->name,
                   t.skip_reason ? t.skip_reason : "");
            tot->skipped++;
        } else {
            printf(SUBTEST_INDENT "ok %d %s\n", i + 1, c->name);
            tot->passed++;
        }
    }
    printf("%s %d %s\n", suite_failed ? "not ok" : "ok", number, suite->name);
    return !suite_failed;
}

static const struct ktest_suite *find_suite(const char *name, size_t len)
{
    for (const struct ktest_suite *s = __ktest_suites_start; s < __ktest_suites_end; s++)
        if (strlen(s->name) == len && strncmp(s->name, name, len) == 0)
            return s;
    return NULL;
}

/* Count the top-level results: the selected suites plus unknown names. */
static int count_selected(const char *spec, bool all)
{
    int n = 0;

    if (all) {
        for (const struct ktest_suite *s = __ktest_suites_start; s < __ktest_suites_end; s++)
            n += !s->named_only;
        return n;
    }
    for (const char *p = spec; *p;) {
        const char *end = strchr(p, ',');
        size_t len = end ? (size_t)(end - p) : strlen(p);

        if (len)
            n++;
        p += len + (end ? 1 : 0);
    }
    return n;
}

/* Two suites of one name: which one ran would depend on the link order,
 * and a suite could stand in for another. */
static const char *duplicate_suite_name(void)
{
    for (const struct ktest_suite *a = __ktest_suites_start; a < __ktest_suites_end; a++)
        for (const struct ktest_suite *b = a + 1; b < __ktest_suites_end; b++)
            if (strcmp(a->name, b->name) == 0)
                return a->name;
    return NULL;
}

int ktest_run(const char *spec)
{
    bool all = strcmp(spec, "all") == 0;
    struct totals tot = { 0 };
    int number = 0, suites_failed = 0;
    char nonce[40];
    const char *twice = duplicate_suite_name();

    if (!cmdline_get("ktest.nonce", nonce, sizeof(nonce)))
        nonce[0] = '\0';
    printf("KTAP version 1\n");
    if (twice) {
        printf("1..0\nBail out! two test suites are named '%s'\n", twice);
        return 1;
    }
    printf("1..%d\n", count_selected(spec, all));
    if (nonce[0])
        printf("# ktest: run %s\n", nonce);

    if (all) {
        for (const struct ktest_suite *s = __ktest_suites_start; s < __ktest_suites_end; s++)
            if (!s->named_only && !run_suite(s, ++number, &tot))
                suites_failed++;
    } else {
        for (const char *p = spec; *p;) {
            const char *end = strchr(p, ',');
            size_t len = end ? (size_t)(end - p) : strlen(p);
            const struct ktest_suite *s = find_suite(p, len);

            if (len && s) {
                if (!run_suite(s, ++number, &tot))
                    suites_failed++;
            } else if (len) {
                printf("# ktest: unknown suite '%.*s'\n", (int)len, p);
                printf("not ok %d %.*s\n", ++number, (int)len, p);
                suites_failed++;
            }
            p += len + (end ? 1 : 0);
        }
    }
    printf("# ktest: %d passed, %d failed, %d skipped, %d suite%s failed\n", tot.passed, tot.failed,
           tot.skipped, suites_failed, suites_failed == 1 ? "" : "s");
    if (nonce[0])
        printf("# ktest: end %s: %d passed, %d failed, %d skipped\n", nonce, tot.passed, tot.failed,
               tot.skipped);
    return suites_failed;
}
