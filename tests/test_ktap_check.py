"""tools/ktap_check.py: the grader checks a run against the instructor's
suites and cases and the boot's nonce, and believes nothing else. Host
only: runs are built as text, from the shape lib/ktest.c prints."""
import os
import sys

import pytest

import harness

sys.path.insert(0, os.path.join(harness.REPO, "tools"))
import handout  # noqa: E402
import ktap_check  # noqa: E402

REPO = harness.REPO
NONCE = "0123456789abcdef"
PLAN = [("alpha", ["one", "two", "three"]), ("beta", ["four"])]


def run(nonce=NONCE, plan=PLAN, statuses=None, end=True, before="boot banner\n"):
    """A run as the framework prints it; statuses: {case: 'ok'|'not ok'|'skip'}."""
    statuses = statuses or {}
    lines = [before.rstrip("\n"), "KTAP version 1", f"1..{len(plan)}", f"# ktest: run {nonce}"]
    totals = [0, 0, 0]
    for n, (suite, cases) in enumerate(plan, 1):
        lines += ["    KTAP version 1", f"    # Subtest: {suite}", f"    1..{len(cases)}"]
        failed = False
        for k, case in enumerate(cases, 1):
            st = statuses.get(case, "ok")
            if st == "not ok":
                lines += [f"    # mm/x_test.c:{10 + k}: expected a == b", "    #   left:  1"]
                failed = True
                totals[1] += 1
            if st == "skip":
                lines.append(f"    ok {k} {case} # SKIP no such CPU feature")
                totals[2] += 1
            else:
                lines.append(f"    {st} {k} {case}")
                totals[0] += st == "ok"
        lines.append(f"{'not ok' if failed else 'ok'} {n} {suite}")
    if end:
        lines += [f"# ktest: {totals[0]} passed, {totals[1]} failed, {totals[2]} skipped, 0 "
                  "suites failed", f"# ktest: end {nonce}: {totals[0]} passed, {totals[1]} "
                  f"failed, {totals[2]} skipped"]
    return "\n".join(lines) + "\n"


def test_the_frameworks_run_is_believed():
    v = ktap_check.check(run(statuses={"two": "not ok", "four": "skip"}), NONCE, PLAN, True)
    assert v.problem == "" and not v.cut_short, v.problem
    assert [(r.name, [c.status for c in r.subtests]) for r in v.results] == \
        [("alpha", ["pass", "fail", "pass"]), ("beta", ["skip"])]
    assert v.results[1].subtests[0].reason == "no such CPU feature"


def test_no_run_is_not_tampering():
    """A kernel that never reached its tests printed no run: a crash, not forgery."""
    v = ktap_check.check("boot banner\n*** KERNEL PANIC ***\n", NONCE, PLAN, False)
    assert not v.started and v.problem == "" and v.results == []



@pytest.mark.parametrize("text, why", [
    (run(nonce="feedfeedfeedfeed"), "this run's nonce"),
    (run().replace(f"# ktest: run {NONCE}\n", ""), "this run's nonce"),
    (run() + run(), "2 KTAP runs"),
    (run(before="ok 1 alpha\n"), "a KTAP line before the run begins"),
    (run().replace("    ok 2 two", "    ok 2 two\n    ok 3 three\n    ok 3 three"), "ok 3"),
    (run().replace("    ok 2 two\n", ""), "result 3 'three' where case 2, two, was expected"),
    (run().replace("    ok 2 two", "    ok 2 twoo"), "'twoo' where case 2, two"),
    (run().replace("    ok 2 two", "    ok 7 two"), "result 7"),
    (run().replace("    1..3", "    1..2"), "plan 1..3"),
    (run().replace("1..2\n#", "1..3\n#"), "the plan 1..2"),
    (run(plan=[("beta", ["four"]), ("alpha", ["one", "two", "three"])]),
     "'# Subtest: beta' where '# Subtest: alpha' was expected"),
    (run(statuses={"two": "not ok"}).replace("not ok 1 alpha", "ok 1 alpha"), "a case failed"),
    (run(statuses={"two": "not ok"}).replace("    not ok 2 two", "    ok 2 two"),
     "reported ok, yet a check in it failed: mm/x_test.c:12: expected a == b"),
    (run().replace("ok 2 beta", "    ok 2 five\nok 2 beta"), "where the result of suite beta"),
    (run() + "ok 3 gamma\n", "after the end of the run"),
    (run().replace("3 passed, 0 failed", "4 passed, 0 failed", 1).replace(
        ": 4 passed", ": 5 passed"), "the end line counts 5 passed"),
    (run().replace(f"# ktest: end {NONCE}", "# ktest: end aaaa"), "nonce 'aaaa'"),
    (run().replace("    ok 1 one", "    not ok 1 one # SKIP"), "both 'not ok' and skipped"),
], ids=["wrong-nonce", "no-nonce", "two-runs", "pre-printed", "repeated-case", "missing-case",
        "unknown-case", "misnumbered", "case-plan", "suite-plan", "suite-order",
        "suite-contradicts-cases", "ok-with-failure-diagnostic", "extra-case", "after-end",
        "end-counts", "end-nonce", "not-ok-skip"])
def test_forgeries_and_damage_are_refused(text, why):
    """Each way a run can differ from the framework's is refused, saying
    where and what was expected instead."""
    v = ktap_check.check(text, NONCE, PLAN, ended_cleanly=True)
    assert v.problem.startswith(ktap_check.TAMPERED), v.problem
    assert why in v.problem, v.problem


def test_a_run_cut_short_by_a_crash_keeps_what_it_reached():
    text = run()
    cut = text[:text.index("    ok 3 three")] + "*** KERNEL FAULT: page fault ***\n"
    v = ktap_check.check(cut, NONCE, PLAN, ended_cleanly=False)
    assert v.problem == "" and v.cut_short
    assert [(r.name, r.complete, len(r.subtests)) for r in v.results] == [("alpha", False, 2)]
    # The same text from a program that ended by itself is not a crash.
    v = ktap_check.check(cut, NONCE, PLAN, ended_cleanly=True)
    assert "the run stops in suite alpha, yet the program ended by itself" in v.problem
    assert "no end line" in ktap_check.check(text[:text.index("# ktest: end")], NONCE, PLAN,
                                             True).problem


def test_other_kernel_output_may_come_anywhere():
    """A student's printf and an expected fault's report are not KTAP."""
    text = run().replace("    ok 2 two", "vm: debug 0x1234\n*** KERNEL FAULT: expected ***\n"
                         "  #0  0xffffffff80001234 kmain+0x10\n    ok 2 two")
    assert ktap_check.check(text, NONCE, PLAN, True).problem == ""


def selftest_run():
    cases = list(ktap_check.SELFTEST)
    lines = ["KTAP version 1", "1..1", f"# ktest: run {NONCE}", "    KTAP version 1",
             f"    # Subtest: {ktap_check.SELFTEST_SUITE}", f"    1..{len(cases)}"]
    for n, case in enumerate(cases, 1):
        status, texts = ktap_check.SELFTEST[case]
        lines += [f"    # lib/ktest_test.c:1: {t}" for t in texts]
        lines.append(f"    {'not ok' if status == 'fail' else 'ok'} {n} {case}"
                     + (" # SKIP on purpose" if status == "skip" else ""))
    lines += [f"not ok 1 {ktap_check.SELFTEST_SUITE}", f"# ktest: end {NONCE}: 2 passed, 3 "
              "failed, 1 skipped"]
    return "\n".join(lines) + "\n"


def test_the_framework_self_test_must_fail_where_it_fails_on_purpose():
    plan = [(ktap_check.SELFTEST_SUITE, list(ktap_check.SELFTEST))]
    v = ktap_check.check(selftest_run(), NONCE, plan, True)
    assert v.problem == "" and ktap_check.check_selftest(v.results[0]) == ""
    # A framework that reports a failed check as ok is caught by the ok-with-a-
    # failure-diagnostic rule, or, without the diagnostic, by the self-test.
    lying = selftest_run().replace("    # lib/ktest_test.c:1: expected 1 + 1 == 3\n", "")
    lying = lying.replace("    # lib/ktest_test.c:1: left:  2\n", "")
    lying = lying.replace("    # lib/ktest_test.c:1: right: 3\n", "")
    lying = lying.replace("not ok 2 a_failed_expectation_is_reported",
                          "ok 2 a_failed_expectation_is_reported").replace(
        "2 passed, 3 failed", "3 passed, 2 failed")
    v = ktap_check.check(lying, NONCE, plan, True)
    assert v.problem == "", v.problem
    why = ktap_check.check_selftest(v.results[0])
    assert "a_failed_expectation_is_reported is 'pass', it must be 'fail'" in why, why


def test_every_catalogue_suite_is_declared_by_the_instructors_sources(arch):
    """The grader reads each suite's cases from the KTEST_SUITE tables: every
    suite the catalogue grades is there, with the cases lib/ktest.c runs."""
    suites = ktap_check.kernel_suites(REPO, arch)
    assert ktap_check.SELFTEST_SUITE in suites
    assert suites[ktap_check.SELFTEST_SUITE] == list(ktap_check.SELFTEST)
    catalog = handout.load_catalog(REPO)
    for lab in catalog["labs"].values():
        for t in lab["tests"]:
            if t["kind"] == "ktest" and t.get("arch", arch) == arch:
                assert suites.get(t["suite"]), t
            if t["kind"] == "host" and t.get("arch", arch) == arch:
                name, cases = ktap_check.host_cases(REPO, t["binary"].format(arch=arch))
                assert name == "test_" + t["binary"].format(arch=arch) and cases, t


def test_a_case_table_the_grader_cannot_read_is_refused(tmp_path):
    (tmp_path / "mm").mkdir()
    (tmp_path / "mm" / "x_test.c").write_text(
        "static const struct ktest_case c[] = {\n#if X\n KTEST_CASE(a),\n#endif\n {0} };\n"
        "KTEST_SUITE(x, c);\n")
    with pytest.raises(ktap_check.CatalogueError, match="preprocessor line"):
        ktap_check.kernel_suites(str(tmp_path), "x86_64")


def test_the_self_test_is_folded_out_of_a_console_tail():
    """A student's report shows the end of the console of a boot that hung
    in a suite: the self-test's cases, which fail on purpose, are one line
    there, and everything after them stays."""
    console = "\n".join([
        "KTAP version 1", "1..2", "# ktest: run abc",
        "    KTAP version 1", "    # Subtest: ktest_selftest", "    1..2",
        "    ok 1 a_passing_case_is_ok", "    # lib/ktest_test.c:22: expected 1 + 1 == 3",
        "    not ok 2 a_failed_expectation_is_reported", "not ok 1 ktest_selftest",
        "    KTAP version 1", "    # Subtest: buddy", "    1..7", "    ok 1 first"])
    folded = ktap_check.fold_selftest(console)
    assert "a_failed_expectation_is_reported" not in folded and "1 + 1" not in folded
    assert "self-test (ktest_selftest) ran here" in folded
    assert folded.endswith("    # Subtest: buddy\n    1..7\n    ok 1 first")
    assert folded.startswith("KTAP version 1\n1..2\n# ktest: run abc\n    [the framework")
