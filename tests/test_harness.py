"""Tests of the test harness itself (tests/harness.py).

Every QEMU test trusts `classify()` to tell ok, hang, crash and
tests-failed apart, and `check()` to show the end of the console; these
host-only tests pin that down on made-up boots. One real boot per arch
proves that a kernel waiting forever is stopped at the timeout and called
a hang.
"""
import os
import sys

import pytest

import harness
from harness import PROMPT, BootResult

sys.path.insert(0, os.path.join(harness.REPO, "tools"))
from qemu import DUET_EXIT_BIAS, RunConfig, decode_exit, qemu_command  # noqa: E402


def fake(log, rc=None, arch="x86_64", timed_out=False, interaction_error=""):
    """A BootResult as if QEMU had printed `log` and exited with code `rc`.
    On x86_64 QEMU's code for kernel status s is ((16 + s) << 1) | 1."""
    return BootResult(arch=arch, cmdline="test", argv=["qemu"], log=log, stderr="",
                      returncode=rc, exit=None if rc is None else decode_exit(arch, rc),
                      timed_out=timed_out, timeout=30.0, duration=1.0, log_path="",
                      interaction_error=interaction_error)


def x86_status(s):
    return (DUET_EXIT_BIAS + s) << 1 | 1


def test_classify_ok():
    assert harness.classify(fake("KTAP version 1\n1..0\n", rc=x86_status(0)))[0] == "ok"


def test_classify_hang():
    kind, why = harness.classify(fake("Duet kernel on x86_64\n", timed_out=True))
    assert kind == "hang" and "30 s" in why


def test_classify_panic_and_fault_are_crashes_whatever_the_status():
    for line in ("*** KERNEL PANIC at mm/buddy.c:12: double free ***",
                 "*** KERNEL FAULT: Page fault (#PF), vector 14 ***"):
        kind, why = harness.classify(fake(f"boot\n{line}\n", rc=x86_status(0)))
        assert kind == "crash" and why.startswith("KERNEL"), (line, kind, why)


def test_classify_expected_faults_are_not_crashes():
    """A fault a test provoked (its report ends with FAULT_EXPECTED) is part
    of a passing run; a later fault that nobody expected is still a crash,
    and so is a report cut off before its end."""
    expected = ("*** KERNEL FAULT: Page fault (#PF), vector 14 ***\n  CR2 0x8\nBacktrace:\n"
                f"  #0 read_word\n{harness.FAULT_EXPECTED}\n    ok 1 reading_null_faults\n")
    assert harness.classify(fake(expected, rc=x86_status(0)))[0] == "ok"
    fatal = "*** KERNEL FAULT: General protection (#GP), vector 13 ***\n*** fault: powering off ***\n"
    kind, why = harness.classify(fake(expected + fatal, rc=x86_status(3)))
    assert kind == "crash" and "General protection" in why
    cut = "*** KERNEL FAULT: Page fault (#PF), vector 14 ***\n  CR2 0x8\n"
    assert harness.classify(fake(cut, rc=x86_status(0)))[0] == "crash"
    panic = "*** KERNEL PANIC at a.c:1: boom ***\n" + harness.FAULT_EXPECTED + "\n"
    assert harness.classify(fake(panic, rc=x86_status(0)))[0] == "crash"


def test_classify_reset_and_qemu_error():
    kind, why = harness.classify(fake("boot\n", rc=0))
    assert kind == "crash" and "reset" in why
    kind, why = harness.classify(fake("", rc=1))
    assert kind == "crash" and "QEMU failed" in why
    kind, why = harness.classify(fake("", rc=-9))
    assert kind == "crash" and "signal 9" in why


def test_classify_tests_failed():
    log = "KTAP version 1\n1..1\n    not ok 1 a_case\nnot ok 1 suite\n"
    kind, why = harness.classify(fake(log, rc=x86_status(1)))
    assert kind == "tests-failed" and "a_case" in why


def test_classify_unexpected_status():
    kind, why = harness.classify(fake("boot\n", rc=x86_status(5)))
    assert kind == "crash" and "status 5" in why
    assert harness.classify(fake("boot\n", rc=x86_status(5)), expect_status=5)[0] == "ok"


def test_classify_aarch64_exit_codes():
    """AArch64 semihosting exits with 16 + status, not the x86 encoding."""
    assert harness.classify(fake("", rc=16, arch="aarch64"))[0] == "ok"
    assert harness.classify(fake("", rc=19, arch="aarch64"), expect_status=3)[0] == "ok"


def test_check_message_names_outcome_and_shows_tail():
    """A failed check says expected vs got and shows the last 40 lines only."""
    log = "".join(f"line {i}\n" for i in range(100)) + "*** KERNEL PANIC at x.c:1: boom ***\n"
    with pytest.raises(pytest.fail.Exception) as e:
        harness.check(fake(log, rc=x86_status(3)), "ok")
    msg = str(e.value)
    assert "expected ok, got crash: KERNEL PANIC at x.c:1: boom" in msg
    assert "line 99" in msg and "line 61\n" in msg and "line 60\n" not in msg


def test_sanitize_log_names():
    assert harness.sanitize("tests/test_boot.py::test_cpu[aarch64-max]") == \
        "test_boot.test_cpu-aarch64-max"
    assert "/" not in harness.sanitize("a/b::c[x/y z]")


def test_hang_is_detected(arch, boot):
    """A kernel that waits forever (the monitor, with nobody typing) is
    killed at the timeout and reported as a hang, not as a pass. The
    prompt came first: what was stopped was a kernel waiting. The timeout
    is short, so that the test spends little time waiting for it; a boot
    whose prompt did not come in time (a loaded host) is tried again with
    a longer one."""
    for timeout in (0.5, 1.0, 4.0):
        r = boot(arch, "", timeout=timeout, send=lambda console: console.expect(PROMPT))
        if PROMPT in r.log:
            break
    kind, why = harness.classify(r)
    assert kind == "hang", r.report(f"classified as {kind}: {why}")
    assert PROMPT in r.log and not r.interaction_error, r.report("the prompt never came")
    assert r.timed_out and r.exit is None
    assert r.timeout - 0.01 <= r.duration < r.timeout + 5, \
        f"QEMU was stopped after {r.duration:.2f} s, its timeout {r.timeout:.2f} s"
    assert os.path.exists(r.log_path)


def test_x86_64_gets_the_address_bits_its_ram_needs():
    """QEMU's PC moves the RAM above 4 GiB to 1 TiB when it would reach the
    HyperTransport hole below it, so 1 TiB of RAM ends near 2 TiB: past
    qemu64's 40 physical address bits. tools/qemu.py adds the bits that
    RAM needs, and leaves a CPU that says its own alone."""
    def cpu_of(**kw):
        argv = qemu_command(RunConfig(arch="x86_64", **kw), "/nonexistent")
        return argv[argv.index("-cpu") + 1]

    assert cpu_of(mem="256M") == "qemu64"
    assert cpu_of(mem="1000G") == "qemu64"
    assert cpu_of(mem="1T") == "qemu64,phys-bits=41"
    assert cpu_of(mem="4T", cpu="max") == "max,phys-bits=43"
    assert cpu_of(mem="1T", cpu="qemu64,phys-bits=44") == "qemu64,phys-bits=44"
