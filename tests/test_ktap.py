"""Unit tests of the KTAP parser (tests/ktap.py). They run on the host, no QEMU.

The parser decides what every in-kernel test reports, so it is tested on
the exact shape lib/ktest.c prints, on the other shapes KTAP allows, and
on broken input: a truncated run (the kernel crashed mid-suite), bad
numbering, a missing plan, stray kernel output. Broken input must give
a list of errors, never an exception and never a false pass.
"""
import textwrap

import ktap


def parse(text):
    return ktap.parse(textwrap.dedent(text).lstrip("\n"))


# What lib/ktest.c prints for two suites, one failing case, one skipped case,
# after the boot banner (whose indented lines must not confuse the parser).
DUET_RUN = """
    Duet kernel on x86_64
      cpu:     QEMU Virtual CPU version 2.5+
      layout (virtual):
        user     0x0000000000400000-0x00007fffffffffff  user space
    KTAP version 1
    1..2
        KTAP version 1
        # Subtest: string
        1..3
        ok 1 strlen_counts
        # lib/string_test.c:40: expected strcmp("a", "b") < 0
        #   left:  1 (0x1)
        #   right: 0 (0x0)
        not ok 2 strcmp_orders
        ok 3 memmove_overlaps # SKIP needs the buddy allocator
    not ok 1 string
        KTAP version 1
        # Subtest: printf
        1..1
        ok 1 format_width
    ok 2 printf
    # ktest: 2 passed, 1 failed, 1 skipped, 1 suite failed
"""


def test_duet_run_structure():
    """The runner's real output gives two suites with their cases, in order."""
    doc = parse(DUET_RUN)
    assert doc.errors == []
    assert doc.version == 1 and doc.plan == 2
    assert [r.name for r in doc.results] == ["string", "printf"]
    string, printf = doc.results
    assert string.plan == 3 and printf.plan == 1
    assert [c.name for c in string.subtests] == ["strlen_counts", "strcmp_orders",
                                                 "memmove_overlaps"]
    assert [c.number for c in string.subtests] == [1, 2, 3]
    assert doc.diagnostics == ["ktest: 2 passed, 1 failed, 1 skipped, 1 suite failed"]


def test_duet_run_statuses():
    """ok -> pass, not ok -> fail, '# SKIP reason' -> skip with its reason."""
    doc = parse(DUET_RUN)
    statuses = {"/".join(path): r.status for path, r in doc.leaves()}
    assert statuses == {
        "string/strlen_counts": "pass",
        "string/strcmp_orders": "fail",
        "string/memmove_overlaps": "skip",
        "printf/format_width": "pass",
    }
    skipped = doc.results[0].subtests[2]
    assert skipped.directive == "SKIP"
    assert skipped.reason == "needs the buddy allocator"
    assert skipped.name == "memmove_overlaps"
    assert doc.results[0].status == "fail" and doc.results[1].status == "pass"


def test_diagnostics_attach_to_the_result_they_precede():
    """A failure's '# ' lines belong to that case only, not to its neighbours."""
    doc = parse(DUET_RUN)
    first, failing, skipped = doc.results[0].subtests
    assert failing.diagnostics == [
        'lib/string_test.c:40: expected strcmp("a", "b") < 0',
        "  left:  1 (0x1)",
        "  right: 0 (0x0)",
    ]
    assert first.diagnostics == [] and skipped.diagnostics == []
    assert doc.results[1].subtests[0].diagnostics == []


def test_unknown_suite_report():
    """`ktest=nosuch`: a top-level failure with no subtest, its diagnostic attached."""
    doc = parse("""
        KTAP version 1
        1..1
        # ktest: unknown suite 'nosuch'
        not ok 1 nosuch
        # ktest: 0 passed, 0 failed, 0 skipped, 1 suite failed
    """)
    assert doc.errors == []
    (only,) = doc.results
    assert (only.name, only.status, only.subtests) == ("nosuch", "fail", [])
    assert only.diagnostics == ["ktest: unknown suite 'nosuch'"]
    assert doc.leaves() == [(("nosuch",), only)]


def test_empty_run():
    """No suites at all is a valid run: plan 1..0 and no results."""
    doc = parse("KTAP version 1\n1..0\n# ktest: 0 passed, 0 failed, 0 skipped, 0 suites failed\n")
    assert doc.errors == [] and doc.plan == 0 and doc.results == []


def test_crlf_and_noise_are_tolerated():
    """Serial consoles end lines with CR LF; kernel output between results is ignored."""
    text = ("KTAP version 1\r\n1..1\r\n    KTAP version 1\r\n    # Subtest: s\r\n"
            "    1..2\r\ncrash: some kernel message\r\n    ok 1 a\r\n    ok 2 b\r\nok 1 s\r\n")
    doc = ktap.parse(text)
    assert doc.errors == []
    assert [(p, r.status) for p, r in doc.leaves()] == [(("s", "a"), "pass"),
                                                        (("s", "b"), "pass")]


def test_subtest_name_line_may_come_first_and_dash_is_allowed():
    """Older KUnit prints '# Subtest:' before the version line and 'ok 1 - name'."""
    doc = parse("""
        KTAP version 1
        1..1
            # Subtest: suite
            KTAP version 1
            1..1
            ok 1 - case # skip lower-case directive
        ok 1 - suite
    """)
    assert doc.errors == []
    case = doc.results[0].subtests[0]
    assert (case.name, case.status, case.reason) == ("case", "skip", "lower-case directive")


def test_nested_two_levels():
    """Subtests nest to any depth: a suite of suites keeps each level's cases."""
    doc = parse("""
        KTAP version 1
        1..1
            KTAP version 1
            # Subtest: outer
            1..2
                KTAP version 1
                # Subtest: inner
                1..1
                not ok 1 deep
            not ok 1 inner
            ok 2 shallow
        not ok 1 outer
    """)
    assert doc.errors == []
    assert [("/".join(p), r.status) for p, r in doc.leaves()] == [
        ("outer/inner/deep", "fail"), ("outer/shallow", "pass")]


def test_hash_in_name_without_directive_is_not_a_skip():
    """Only a known directive word after '#' changes the status."""
    doc = parse("KTAP version 1\n1..1\nok 1 name # just a comment\n")
    (r,) = doc.results
    assert r.status == "pass" and r.directive == "" and r.name.startswith("name")


# --- malformed input: errors, never exceptions, never a pass ---------------------


def test_truncated_in_the_middle_of_a_suite():
    """The kernel died inside a suite: finished cases are kept, the suite fails."""
    doc = parse("""
        KTAP version 1
        1..2
            KTAP version 1
            # Subtest: string
            1..3
            ok 1 strlen_counts
            ok 2 strcmp_orders

        *** KERNEL PANIC at lib/string.c:10: boom ***
    """)
    assert doc.errors, "a truncated run must be reported as malformed"
    assert any("string" in e and "no result line" in e for e in doc.errors)
    assert any("planned 3 results but has 2" in e for e in doc.errors)
    assert any("planned 2 results but has 1" in e for e in doc.errors)
    (suite,) = doc.results
    assert suite.complete is False and suite.status == "fail"
    assert [c.name for c in suite.subtests] == ["strlen_counts", "strcmp_orders"]


def test_no_ktap_at_all():
    """A console without a KTAP header (the kernel never reached the runner)."""
    doc = ktap.parse("Duet kernel on x86_64\n*** KERNEL FAULT: Page fault ***\n")
    assert doc.results == [] and doc.version is None
    assert doc.errors and "no 'KTAP version 1'" in doc.errors[0]


def test_empty_input():
    doc = ktap.parse("")
    assert doc.errors and doc.results == []


def test_missing_plan():
    doc = parse("KTAP version 1\nok 1 a\n")
    assert any("no plan line" in e for e in doc.errors)
    assert doc.results[0].status == "pass"


def test_plan_mismatch_too_many_results():
    doc = parse("KTAP version 1\n1..1\nok 1 a\nok 2 b\n")
    assert any("planned 1 results but has 2" in e for e in doc.errors)


def test_bad_numbering():
    """Numbers must count 1, 2, 3 at each level."""
    doc = parse("KTAP version 1\n1..2\nok 1 a\nok 3 b\n")
    assert any("numbered 3, expected 2" in e for e in doc.errors)


def test_missing_number_and_name():
    doc = parse("KTAP version 1\n1..2\nok a\nnot ok 2\n")
    assert any("no test number" in e for e in doc.errors)
    assert any("without a test name" in e for e in doc.errors)
    assert [r.status for r in doc.results] == ["pass", "fail"]


def test_wrong_version():
    doc = parse("KTAP version 2\n1..0\n")
    assert any("expected 'KTAP version 1'" in e for e in doc.errors)


def test_second_plan_and_late_plan():
    doc = parse("KTAP version 1\n1..1\n1..1\nok 1 a\n")
    assert any("second plan" in e for e in doc.errors)
    doc = parse("KTAP version 1\nok 1 a\n1..1\n")
    assert any("plan comes after results" in e for e in doc.errors)


def test_subtest_name_mismatch():
    doc = parse("""
        KTAP version 1
        1..1
            KTAP version 1
            # Subtest: alpha
            1..0
        ok 1 beta
    """)
    assert any("subtest 'alpha' ends with a result named 'beta'" in e for e in doc.errors)


def test_subtest_without_version_line():
    doc = parse("""
        KTAP version 1
        1..1
            # Subtest: alpha
            1..1
            ok 1 a
        ok 1 alpha
    """)
    assert any("has no 'KTAP version 1'" in e for e in doc.errors)
    assert doc.leaves()[0][0] == ("alpha", "a")


def test_two_subtests_without_a_result_between():
    """A suite whose result line is lost is reported, not merged into the next."""
    doc = parse("""
        KTAP version 1
        1..2
            KTAP version 1
            # Subtest: first
            1..1
            ok 1 a
            KTAP version 1
            # Subtest: second
            1..1
            ok 1 b
        ok 2 second
    """)
    # 'first' has no result line at the top level: it is an orphan that fails.
    assert any("subtest 'first' has no result line" in e for e in doc.errors)
    assert [(r.name, r.status) for r in doc.results] == [("first", "fail"), ("second", "pass")]


def test_bad_indentation():
    """A result line indented by a non-subtest amount is an error."""
    doc = parse("KTAP version 1\n1..1\n  ok 1 a\nok 1 a\n")
    assert any("unexpected indentation" in e for e in doc.errors)


def test_bail_out_stops_parsing():
    doc = parse("KTAP version 1\n1..3\nok 1 a\nBail out! out of memory\nok 2 b\n")
    assert doc.bail_out == "out of memory"
    assert [r.name for r in doc.results] == ["a"]
    assert any("bail out" in e for e in doc.errors)


def test_garbage_lines_never_raise():
    """Random bytes and half lines do not crash the parser."""
    junk = "KTAP version 1\n1..x\nnot ok\n    \x00\x1b[0m\n#\nok -1 -\n        ok 9\n" * 3
    doc = ktap.parse(junk)
    assert doc.errors
