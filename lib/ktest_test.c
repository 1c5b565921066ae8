/*
 * ktest suite `ktest_selftest`: the framework checked by cases whose
 * outcome is known in advance, some of them failures on purpose. A
 * framework that printed "ok" for a failed check would pass every other
 * suite; this one would show it. It runs only when named
 * (ktest=ktest_selftest): tests/test_ktest.py and the grader's every boot
 * (tools/ktap_check.py, SELFTEST) compare each case with what it must be.
 */
#include <duet/errno.h>
#include <duet/ktest.h>

static int cases_ended; /* counted by the exit hook */
static bool ran_past_a_failed_assertion;

static void a_passing_case_is_ok(struct ktest *t)
{
    KEXPECT_EQ(t, 1 + 1, 2);
}

static void a_failed_expectation_is_reported(struct ktest *t)
{
    KEXPECT_EQ(t, 1 + 1, 3); /* must print "not ok" and the expression, 2 and 3 */
}

static void a_failed_assertion_ends_the_case(struct ktest *t)
{
    KASSERT_TRUE(t, 1 + 1 == 3);
    ran_past_a_failed_assertion = true;
    KEXPECT_TRUE(t, false); /* never reached: one diagnostic, not two */
}

static void a_skipped_case_says_why(struct ktest *t)
{
    ktest_skip(t, "the self-test skips on purpose");
}

static void error_codes_are_printed_by_name(struct ktest *t)
{
    KEXPECT_ERRNO(t, -EFAULT, -EINVAL); /* must print -EFAULT (-14) and -EINVAL (-22) */
}

static void the_exit_hook_ran_after_each_case(struct ktest *t)
{
    KEXPECT_EQ(t, cases_ended, 5);
    KEXPECT_FALSE(t, ran_past_a_failed_assertion);
}

static void count_ended_case(void)
{
    cases_ended++;
}

static const struct ktest_case ktest_selftest_cases[] = {
    KTEST_CASE(a_passing_case_is_ok),
    KTEST_CASE(a_failed_expectation_is_reported),
    KTEST_CASE(a_failed_assertion_ends_the_case),
    KTEST_CASE(a_skipped_case_says_why),
    KTEST_CASE(error_codes_are_printed_by_name),
    KTEST_CASE(the_exit_hook_ran_after_each_case),
    { 0 },
};
KTEST_SUITE_NAMED_ONLY(ktest_selftest, ktest_selftest_cases, count_ended_case);
