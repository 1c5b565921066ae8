"""The in-kernel tests (lib/*_test.c), one pytest result per KTAP test case.

At collection, each selected arch is built and booted once with
`ktest=all`; its KTAP output is parsed and every case becomes an item:

    test_kernel[x86_64-printf-format_width]     passes, fails or skips as
                                                the kernel reported it
    test_kernel[x86_64-run]                     the run as a whole: booted,
                                                finished, checked as the
                                                grader checks a run (every
                                                declared suite and case,
                                                once, in the framework's
                                                shape, with its nonce), exit
                                                status that agrees

The `-run` item always exists, so a kernel that crashes or hangs before
printing a single result still fails loudly instead of yielding no tests.
"""
import os
import re
import traceback
from dataclasses import dataclass

import pytest

import harness
import ktap
import ktap_check

SUMMARY_RE = re.compile(r"^# ktest: (\d+) passed, (\d+) failed, (\d+) skipped, "
                        r"(\d+) suites? failed$", re.MULTILINE)


@dataclass
class KernelCase:
    """What one test_kernel item checks."""
    arch: str
    path: tuple = ()                # (suite, case); () for the whole run
    result: object = None           # the ktap.Result of the case
    run: object = None              # the ktest=all BootResult (None if it never booted)
    problem: str = ""               # why the run could not happen (build failed, ...)


def kernel_cases(arch):
    """Boot `arch` with ktest=all (once per session) and list its items."""
    build = harness.ensure_built(arch)
    if not build.ok:
        return [KernelCase(arch, problem=harness.build_failure_message(build))]
    try:
        run = harness.cached_boot(arch, harness.KTEST_ALL)
    except Exception:                   # e.g. QEMU missing: fail the -run item, not collection
        return [KernelCase(arch, problem="could not boot QEMU:\n" + traceback.format_exc())]
    doc = ktap.parse(run.log)
    cases = [KernelCase(arch, path=path, result=res, run=run) for path, res in doc.leaves()]
    return cases + [KernelCase(arch, run=run)]


def pytest_generate_tests(metafunc):
    if "kcase" not in metafunc.fixturenames:
        return
    params = []
    for arch in harness.selected_arches(metafunc.config):
        for kc in kernel_cases(arch):
            name = "-".join((arch,) + kc.path) if kc.path else f"{arch}-run"
            params.append(pytest.param(kc, id=name, marks=getattr(pytest.mark, arch)))
    metafunc.parametrize("kcase", params)


def test_kernel(kcase):
    """One in-kernel test case: its KTAP result, with its diagnostics on failure.

    For the `-run` item: the ktest=all boot finished without a crash or
    hang, its KTAP is well-formed, the summary line agrees with the
    results, and the exit status is 0 exactly when nothing failed."""
    if kcase.problem:
        pytest.fail(kcase.problem, pytrace=False)
    if kcase.path:
        check_case(kcase)
    else:
        check_run(kcase.run)


def check_case(kc):
    res = kc.result
    bad = ktap_check.failure_diagnostic(res.diagnostics)
    if res.status != "fail" and bad:
        pytest.fail(f"{kc.arch}: {'/'.join(kc.path)} is reported {res.status}, yet a check in "
                    f"it failed: {bad}", pytrace=False)
    if res.status == "skip":
        pytest.skip(res.reason or "skipped by the kernel")
    if res.status == "fail":
        where = "/".join(kc.path)
        if not res.complete:
            why = "the output ends inside this suite (see test_kernel[%s-run])" % kc.arch
        else:
            why = "\n".join("    " + d for d in res.diagnostics) or "    (no diagnostics)"
        log = os.path.relpath(kc.run.log_path, harness.REPO)
        pytest.fail(f"{kc.arch}: in-kernel test {where} failed:\n{why}\n(console: {log})",
                    pytrace=False)


def check_run(run):
    outcome, reason = harness.classify(run)
    if outcome not in ("ok", "tests-failed"):       # failed cases fail their own items
        pytest.fail(run.report(f"the ktest=all run did not finish: {outcome}: {reason}"),
                    pytrace=False)
    doc = ktap.parse(run.log)
    if doc.errors:
        pytest.fail(run.report("malformed KTAP:\n  " + "\n  ".join(doc.errors)), pytrace=False)
    m = SUMMARY_RE.search(run.log)
    if not m:
        pytest.fail(run.report("no '# ktest: P passed, F failed, S skipped, N suites failed' "
                               "line"), pytrace=False)
    cases = [case for suite in doc.results for case in suite.subtests]
    said = tuple(int(x) for x in m.groups())
    found = tuple(sum(c.status == s for c in cases) for s in ("pass", "fail", "skip")) \
        + (sum(s.status == "fail" for s in doc.results),)
    if said != found:
        pytest.fail(run.report(f"the summary line says {said} (passed, failed, skipped, "
                               f"suites failed) but the KTAP results give {found}"),
                    pytrace=False)
    want = 1 if found[3] else 0
    if run.status != want:
        pytest.fail(run.report(f"exit status {run.status}, but {found[3]} suites failed "
                               f"(expected status {want})"), pytrace=False)
    # As the grader reads a run: every suite the sources declare for ktest=all,
    # each once with exactly its cases, and nothing else.
    named_only = set()
    declared = ktap_check.kernel_suites(harness.REPO, run.arch, named_only)
    order = [r.name for r in doc.results]
    expected = sorted(s for s in declared if s not in named_only)
    if sorted(order) != expected:
        pytest.fail(run.report(f"ktest=all ran {order}; the sources declare {expected}"),
                    pytrace=False)
    v = ktap_check.check(run.log, harness.KTEST_ALL_NONCE, [(s, declared[s]) for s in order],
                         ended_cleanly=True)
    if v.problem:
        pytest.fail(run.report(v.problem), pytrace=False)


def test_the_framework_reports_failures(arch, boot):
    """The framework's self-test (lib/ktest_test.c), whose cases fail on
    purpose: each ends exactly as it must (a failed check is "not ok" with
    the expression and both values, a failed assertion ends its case, a
    skip says why, error codes print by name, the exit hook runs after
    every case), and ktest=all leaves it out."""
    r = boot(arch, f"ktest={ktap_check.SELFTEST_SUITE} ktest.nonce=selftest")
    harness.check(r, "tests-failed")
    plan = [(ktap_check.SELFTEST_SUITE, list(ktap_check.SELFTEST))]
    v = ktap_check.check(r.log, "selftest", plan, ended_cleanly=True)
    assert not v.problem, r.report(v.problem)
    why = ktap_check.check_selftest(v.results[0])
    assert not why, r.report(why)
    assert r.status == 1, r.report(f"exit status {r.status}, expected 1: a suite failed")


# --- choosing suites on the command line -----------------------------------------


def test_unknown_suite_fails(arch, boot):
    """`ktest=nosuch` names the unknown suite, reports it as a failed test and
    powers off with status 1: a typo in a suite name cannot look like a pass."""
    r = boot(arch, "ktest=nosuch")
    harness.check(r, "tests-failed")
    harness.require(r, "# ktest: unknown suite 'nosuch'", "the unknown suite is not named")
    doc = ktap.parse(r.log)
    assert not doc.errors, r.report("malformed KTAP: " + "; ".join(doc.errors))
    assert [(t.name, t.status) for t in doc.results] == [("nosuch", "fail")], \
        r.report("expected exactly one result, 'not ok 1 nosuch'")
    assert r.status == 1, r.report(f"exit status {r.status}, expected 1")


def test_select_one_suite(arch, boot):
    """`ktest=printf` runs the printf suite and nothing else, and the exit
    status agrees with its results."""
    r = boot(arch, "ktest=printf")
    outcome, reason = harness.classify(r, expect_status=r.status)
    assert outcome in ("ok", "tests-failed"), r.report(f"{outcome}: {reason}")
    doc = ktap.parse(r.log)
    assert not doc.errors, r.report("malformed KTAP: " + "; ".join(doc.errors))
    assert [t.name for t in doc.results] == ["printf"], \
        r.report(f"ran {[t.name for t in doc.results]}, expected only ['printf']")
    assert doc.results[0].subtests, r.report("the printf suite has no cases")
    want = 0 if doc.results[0].status == "pass" else 1
    assert r.status == want, r.report(f"exit status {r.status}, expected {want}")


def test_select_a_list_in_order(arch, boot):
    """`ktest=string,printf` runs exactly those two suites, in that order."""
    r = boot(arch, "ktest=string,printf")
    outcome, reason = harness.classify(r, expect_status=r.status)
    assert outcome in ("ok", "tests-failed"), r.report(f"{outcome}: {reason}")
    doc = ktap.parse(r.log)
    assert not doc.errors, r.report("malformed KTAP: " + "; ".join(doc.errors))
    assert [t.name for t in doc.results] == ["string", "printf"], \
        r.report(f"ran {[t.name for t in doc.results]}, expected ['string', 'printf']")


@pytest.mark.per_arch("gic", {"aarch64": [2, 3]})
def test_irq_and_timer_on_each_gic(arch, gic, boot):
    """AArch64: the irq and timer suites pass, none skipped, with GICv2
    (QEMU's default) and GICv3 (`-M virt,gic-version=3`), each found in the
    device tree, and the boot log names the controller and the virtual
    timer's PPI (11 on virt: INTID 27)."""
    r = boot(arch, "ktest=irq,timer", gic=gic)
    outcome, reason = harness.classify(r)
    assert outcome == "ok", r.report(f"{outcome}: {reason}")
    doc = ktap.parse(r.log)
    assert not doc.errors, r.report("malformed KTAP: " + "; ".join(doc.errors))
    leaves = list(doc.leaves())
    assert [t.name for t in doc.results] == ["irq", "timer"], r.report("not the two suites")
    assert leaves and all(res.status == "pass" for _, res in leaves), \
        r.report("a case did not pass: " +
                 ", ".join("/".join(p) for p, res in leaves if res.status != "pass"))
    assert f"irq: GICv{gic} at 0x8000000" in r.log, r.report(f"no GICv{gic} in the log")
    assert "timer: virtual timer, PPI 11 (INTID 27)" in r.log, r.report("no virtual timer line")


def kvm_usable():
    """QEMU 7.2's TCG has no x2APIC (it drops the CPUID bit with a warning);
    KVM gives one, where /dev/kvm can be opened. Opt-in (DUET_KVM=1): under
    nested KVM the GRUB boot sometimes never reaches the kernel, and a
    loaded host loses ticks, whatever the kernel does."""
    return os.environ.get("DUET_KVM") == "1" and os.access("/dev/kvm", os.R_OK | os.W_OK)


@pytest.mark.per_arch("mode", {"x86_64": ["xapic-direct", "xapic-grub",
                                          "x2apic-direct", "x2apic-grub", "noacpi-direct"]})
def test_interrupts_in_each_apic_mode(arch, mode, boot):
    """`ktest=irq,timer` passes with the local APIC in xAPIC mode (MMIO,
    x2APIC off in CPUID) and in x2APIC mode (MSRs), through both loaders,
    and the boot log says which mode the kernel chose (arch/x86_64/lapic.c).
    With no ACPI tables (`-M pc,acpi=off`) the kernel says so and runs on
    the PC defaults (arch/x86_64/acpi_map.c)."""
    apic, method = mode.split("-")
    if apic == "noacpi":
        r = boot(arch, "ktest=irq,timer", cpu="qemu64,-x2apic", machine="acpi=off",
                 boot_method=method)
        harness.require(r, "acpi: no RSDP: the PC defaults", "the fallback is not in the log")
        apic = "xapic"
    elif apic == "x2apic":
        if not kvm_usable():
            pytest.skip("x2APIC needs KVM (DUET_KVM=1 and /dev/kvm): QEMU 7.2's TCG lacks it")
        r = boot(arch, "ktest=irq,timer", cpu="qemu64,+x2apic", machine="accel=kvm",
                 boot_method=method)
    else:
        r = boot(arch, "ktest=irq,timer", cpu="qemu64,-x2apic", boot_method=method)
    harness.check(r, "ok", expect_status=0)
    want = "irq: x2APIC" if apic == "x2apic" else "irq: xAPIC"
    harness.require(r, want, f"the boot log does not say {want!r}")
    doc = ktap.parse(r.log)
    assert [(t.name, t.status) for t in doc.results] == [("irq", "pass"), ("timer", "pass")], \
        r.report("expected the irq and timer suites, both passing")
    assert all(c.status == "pass" for t in doc.results for c in t.subtests), \
        r.report("a case was skipped or failed")
