#!/usr/bin/env python3
"""Grade one lab on both arches (or one): make grade LAB=n [ARCH=..] [SUBMISSION=dir]

    tools/grade.py LAB [--arch A]... [--submission DIR] [--out build/grade]
                       [--tree DIR] [--fresh] [--jobs N]
    tools/grade.py LAB --free-cases     the graded cases the bare handout passes

What it does, in order:
  1. The tree to grade: this one, or with --submission a lab-n handout
     (tools/handout.py) in OUT/tree-lab<n> (or --tree) into which only the
     files labs/catalog.json lets students change are copied from DIR,
     after tools/submission_check.py has read them: a refused file (an
     #include of a host file, a constructor, text of a test framework, ...)
     scores the whole submission 0, with file, line and rule, and nothing
     builds. Tests, the test framework and this grader always come from
     here. The tree is updated in place: its build/ stays and only files
     that differ from the last submission graded there are rebuilt
     (--fresh: start anew).
  2. For each arch, in parallel: build the kernel and the host tests the lab
     uses; boot once with ktest=<the framework's self-test and the lab's
     suites> and a nonce made for that boot. After a crash or a hang the
     suites that had not run yet get a fresh boot, so one crashing test
     does not cost the points of the others. Then the lab's pytest tests,
     run against the tree's kernels. Everything that runs the submission's
     code (QEMU, host tests) runs in tools/sandbox.py's sandbox; what it
     prints is checked by tools/ktap_check.py against the suites and cases
     this tree declares, never believed.
  3. Once every untrusted process has ended: print the score table, a
     score per arch and `Score: X/Y`; write OUT/results.json (Gradescope),
     OUT/junit.xml, OUT/classroom.json (GitHub Classroom's reporter) and
     the console logs in OUT/logs/. Exit status 0 only at full marks, 1
     below, 2 when it could not grade at all.

A test's points are shared over its graded cases: a suite where 7 of 10
cases pass scores 7/10 of its points, rounded down to a tenth of a point,
so only a suite that passes every case earns full points.

A build error or a missing tool fails the tests that need it, with the
message, and scores 0 for them; it never crashes the grader. Every timeout
is multiplied by TIMEOUT_SCALE (a positive number; anything else is
refused). Once one run has hit its timeout, every later run of the same
grade gets AFTER_HANG seconds at most, so a submission that hangs
everywhere costs one timeout, not one per test. Everything a run writes is
under OUT (and the tree), so graders with different OUT directories can run
at once.
"""
import argparse
import concurrent.futures
import math
import os
import re
import secrets
import shutil
import subprocess
import sys
import threading
import time
import traceback
import xml.etree.ElementTree as ET

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(REPO, "tests"))
sys.path.insert(0, os.path.join(REPO, "tools"))
import grade_view  # noqa: E402
import harness  # noqa: E402
import handout  # noqa: E402
import ktap_check  # noqa: E402
import sandbox  # noqa: E402
import submission_check  # noqa: E402
from grade_report import fmt, print_table, sanitize, trim, trim_middle, write_outputs  # noqa: E402

ARCHES = harness.ALL_ARCHES
BOOT_TIMEOUT = 30.0         # seconds per boot, before TIMEOUT_SCALE
HOST_TIMEOUT = 20.0         # a host test binary (they take under a second)
PYTEST_TIMEOUT = 180.0      # one pytest test of the catalogue, all its items
AFTER_HANG = 10.0           # the most any run gets once one run of the grade hung
KINDS = ("ktest", "host", "pytest")
# A host test: ASan's shadow memory is virtual; what counts is resident.
HOST_LIMITS = sandbox.Limits(cpu_seconds=120, memory_bytes=2 << 30, output_bytes=16 << 20,
                             keep_output=1 << 20)
# Exit statuses of a sanitizer's report, apart from the framework's 0 and 1.
SANITIZER_ENV = {"ASAN_OPTIONS": "detect_leaks=1:exitcode=86",
                 "UBSAN_OPTIONS": "exitcode=87:print_stacktrace=1"}

# Run pytest with the console logs in OUT/logs instead of the tree's
# build/test-logs: harness.LOG_DIR is read at each boot.
PYTEST_BOOTSTRAP = (
    "import os, sys; sys.path.insert(0, os.path.join(os.getcwd(), 'tests')); "
    "import harness; harness.LOG_DIR = sys.argv[1]; "
    "import pytest; sys.exit(pytest.main(sys.argv[2:]))")


class GradeError(Exception):
    """Grading cannot start (a bad setting, a missing lab): exit status 2."""


class Outcome:
    """One catalogue test on one arch: the points it earned and why. The
    why holds text the submission's code printed, so it is sanitized (no
    terminal controls, no line that passes for a score)."""

    def __init__(self, test, arch, score, why, passing=(), tampered=False):
        self.test, self.arch, self.score = test, arch, score
        self.why = sanitize(why.strip())
        self.passing = list(passing)    # the graded cases that passed, by name
        self.tampered = tampered        # its output was not the framework's: misconduct

    @property
    def max_score(self):
        return self.test["points"]

    @property
    def passed(self):
        return self.score >= self.max_score

    @property
    def name(self):
        return f"{self.test['name']} [{self.arch}]"


def failed(test, arch, why, tampered=False):
    return Outcome(test, arch, 0, why, tampered=tampered)


def forfeit(outcomes):
    """Tampering anywhere forfeits everything: a submission that forges one
    result is not believed on the others."""
    culprit = next((o for o in outcomes if o.tampered), None)
    if culprit is None:
        return outcomes
    note = (f"{ktap_check.TAMPERED} in {culprit.name}; the whole submission scores 0 "
            "(docs/instructors.md, \"What the grader trusts\")")
    return [o if o is culprit else Outcome(o.test, o.arch, 0, note + "\n" + o.why,
                                           tampered=o.tampered) for o in outcomes]


class Clock:
    """The timeouts of one grade: each run's own until one run hits its
    timeout, then AFTER_HANG at most (a submission that hangs in every test
    costs one timeout, not one per test). Shared by the arches' threads."""

    def __init__(self):
        self._lock = threading.Lock()
        self.hung = False

    def limit(self, seconds):
        """A run's timeout in seconds, before TIMEOUT_SCALE."""
        with self._lock:
            return min(seconds, AFTER_HANG) if self.hung else seconds

    def note(self, timed_out):
        if timed_out:
            with self._lock:
                self.hung = True


def share(points, passed, total):
    """points * passed / total, rounded down to a tenth: a suite earns its
    full points only when every graded case passes."""
    if total <= 0 or passed <= 0:
        return 0
    if passed >= total:
        return points
    tenths = (points * 10 * passed) // total
    return tenths // 10 if tenths % 10 == 0 else tenths / 10


def timeout_scale():
    """TIMEOUT_SCALE, checked: a positive number, or GradeError."""
    raw = os.environ.get("TIMEOUT_SCALE", "1").strip() or "1"
    try:
        scale = float(raw)
    except ValueError:
        scale = math.nan
    if not math.isfinite(scale) or scale <= 0:
        raise GradeError(f"TIMEOUT_SCALE must be a positive number of times to stretch every "
                         f"timeout (e.g. TIMEOUT_SCALE=2 on a slow machine), not {raw!r}")
    return scale


def tests_for(lab, arch):
    return [t for t in lab["tests"] if t.get("arch", arch) == arch]


MISSING_TOOL_RES = [re.compile(r"^make(?:\[\d+\])?: (\S+): (?:No such file or directory|"
                               r"Command not found)", re.M),
                    re.compile(r"^(?:/bin/)?(?:ba|da)?sh: (?:\d+: )?(?:line \d+: )?(\S+): "
                               r"(?:command )?not found", re.M)]


def missing_tool(output):
    """The name of a command the build could not find, or None."""
    for rx in MISSING_TOOL_RES:
        m = rx.search(output)
        if m:
            return m.group(1)
    return None


def make(tree, *args, timeout=600):
    """-> (ok, output) of make in `tree`; never raises."""
    try:
        proc = subprocess.run(["make", "--no-print-directory", *args], cwd=tree,
                              env=harness.make_env(), stdout=subprocess.PIPE,
                              stderr=subprocess.STDOUT, text=True,
                              timeout=harness.scaled(timeout))
        output = proc.stdout
        tool = missing_tool(output) if proc.returncode else None
        if tool:
            output = (f"a tool is missing: {tool} (install what Duet needs with `make deps`, "
                      f"see tools/deps.sh)\n" + output)
        return proc.returncode == 0, output
    except FileNotFoundError:
        return False, ("a tool is missing: make (install what Duet needs with `make deps`, "
                       "or apt-get install make)")
    except subprocess.TimeoutExpired as e:
        return False, f"make {' '.join(args)} timed out after {e.timeout:.0f} s"


def build_jobs(arches):
    """make -j for each arch's build: the cores shared over the arches built at once."""
    return max(1, (os.cpu_count() or 1) // max(1, len(arches)))


# --- scoring KTAP: in-kernel suites and host tests ------------------------------------


def first_failure(diagnostics):
    """The lines of a case's first failed check ("file:line: expected ...",
    then its values), and how many more checks failed: the first failure
    is the one to fix, the later ones often follow from it."""
    starts = [i for i, d in enumerate(diagnostics) if ktap_check.failure_diagnostic([d])]
    if not starts:
        return [d.strip() for d in diagnostics[-3:]]
    end = starts[1] if len(starts) > 1 else len(diagnostics)
    lines = [d.strip() for d in diagnostics[starts[0]:min(end, starts[0] + 3)]]
    if len(starts) > 1:
        lines.append(f"and {len(starts) - 1} more failed check{'s' * (len(starts) > 2)}")
    return lines


class Tally:
    """The graded cases of one or more KTAP suites: how many, which failed."""

    def __init__(self):
        self.total = self.passed = 0
        self.penalties = 0          # unearned cases that failed
        self.failures = []
        self.passing = []
        self.stopped = []           # suites cut short: where they stopped

    def add_suite(self, result, exclude=(), only=None, unearned=()):
        """Count a suite's graded cases: `only` those named (the catalogue's
        "cases"), else all but `exclude` ("exclude_cases": cases that need a
        later lab) and `unearned` ("unearned_cases": cases that pass even
        without this lab's code, such as refusing bad input; passing them
        earns nothing, but each one that fails costs one case's share);
        never skipped ones (SKIP: not for this CPU). Graded cases that never
        ran (the suite was cut short by a crash) count as failed: the plan,
        or `only`, says how many there were. -> how many graded cases it
        reached."""
        for c in result.subtests:
            if c.name in unearned and c.status == "fail":
                self.penalties += 1
                self.failures.append(c.name + " (passes even without the lab's code; "
                                     "failing it costs a case)")
        exclude = set(exclude) | set(unearned)
        graded = [c for c in result.subtests
                  if (c.name in only if only is not None else c.name not in exclude)]
        cases = [c for c in graded if c.status != "skip"]
        skipped = len(graded) - len(cases)
        if only is not None:
            total = len(only) - skipped
        elif result.plan is not None:
            total = max(len(cases), result.plan - len(exclude) - skipped)
        else:
            total = len(cases)
        self.total += total - len(cases)
        for c in cases:
            self.add_case(c)
        if len(cases) < total:
            ran = {c.name for c in graded}
            missing = [n for n in only if n not in ran] if only is not None else []
            self.stopped.append(f"{result.name} stopped after {len(cases)} of {total} graded "
                                "cases" if not result.complete else
                                f"{result.name} did not run " + ", ".join(missing))
        return len(cases)

    def add_case(self, case):
        if case.status == "skip":
            return
        self.total += 1
        if case.status == "fail":
            diag = "; ".join(first_failure(case.diagnostics))
            self.failures.append(case.name + (f": {diag}" if diag else ""))
        else:
            self.passed += 1
            self.passing.append(case.name)

    def score(self, points):
        return share(points, self.passed - self.penalties, self.total)

    def clean(self):
        return not self.failures and self.passed == self.total and not self.penalties

    def summary(self):
        if self.clean():
            return f"{self.total} cases passed"
        lost = f"; {self.penalties} unearned case(s) failed, a case's share each" \
            if self.penalties else ""
        return f"{self.passed} of {self.total} graded cases passed" + lost + \
            "".join(f"; {s}" for s in self.stopped)

    def report(self, limit=None):
        """The why of an outcome: summary(), then each failed case."""
        if self.clean():
            return self.summary()
        return self.summary() + ":\n" + "\n".join(self.failures[:limit])


def tampered(tests, arch, why, log):
    """Every test of a run that is not believed: nothing earned."""
    return {id(t): failed(t, arch, f"{why}\nconsole: {log}", tampered=True) for t in tests}


def boot_method(lab, arch):
    """How the lab's kernels boot on `arch`: the catalogue's `boot` where the
    arch has it (x86_64: "grub" for lab 1, whose Multiboot2 parser must read
    GRUB's own information), else directly (QEMU's -kernel), the fast way."""
    method = lab.get("boot", "direct")
    return method if method in harness.ARCHES[arch]["boots"] else "direct"


def grade_ktests(tree, arch, tests, log_dir, clock, method="direct", log_prefix=None):
    """Run the tests' in-kernel suites on `arch` (already built); -> [Outcome].

    Each boot runs the framework's self-test, then the suites still to run,
    each once (tests of several labs may grade one suite), with a nonce of
    its own; its console is checked against the suites and cases this (the
    instructor's) tree declares. Boot logs: <log_prefix><n>.log."""
    log_prefix = log_prefix or f"{arch}-boot"
    declared = ktap_check.kernel_suites(REPO, arch)
    unknown = [t["suite"] for t in tests if t["suite"] not in declared]
    if unknown:
        raise GradeError(f"labs/catalog.json names suite(s) {', '.join(unknown)}, which no "
                         f"KTEST_SUITE of the {arch} kernel declares")
    results, left, boots = {}, list(tests), 0
    while left:
        boots += 1
        # Each suite once, however many tests (of several labs) grade it.
        suites = list(dict.fromkeys(t["suite"] for t in left))
        plan = [ktap_check.SELFTEST_SUITE] + suites
        nonce = secrets.token_hex(8)
        try:
            r = harness.boot(arch, f"ktest={','.join(plan)} ktest.nonce={nonce}",
                             build=os.path.join(tree, "build", arch),
                             timeout=clock.limit(BOOT_TIMEOUT),
                             log_name=f"{log_prefix}{boots}", boot_method=method)
        except Exception as e:     # QEMU missing, ...
            why = f"could not boot QEMU for {arch}: {e}"
            if isinstance(e, FileNotFoundError):
                why = (f"a tool is missing: {getattr(e, 'filename', None) or 'qemu'} (install "
                       f"what Duet needs with `make deps`, see tools/deps.sh)\n" + why)
            return [results.get(id(t)) or failed(t, arch, why) for t in tests]
        clock.note(r.timed_out)
        log = os.path.basename(r.log_path)
        kind, reason = harness.classify(r, expect_status=r.status)
        ended_cleanly = (r.status in (0, 1) and not r.stopped
                         and harness.unexpected_fault(r.log) is None)
        v = ktap_check.check(r.log, nonce, [(s, declared[s]) for s in plan], ended_cleanly)
        if not v.problem and v.results:
            selftest = v.results[0]
            problem = ktap_check.check_selftest(selftest) if selftest.complete else ""
            v.problem = problem and f"{ktap_check.TAMPERED}: {problem}"
        if v.problem:
            results.update(tampered(left, arch, v.problem, log))
            break
        ran = {res.name: res for res in v.results[1:]}
        done = 0
        for suite in suites:
            res = ran.get(suite)
            if res is None:
                break
            done += 1
            for t in (t for t in left if t["suite"] == suite):
                tally = Tally()
                seen = tally.add_suite(res, t.get("exclude_cases", {}), t.get("cases"),
                                       t.get("unearned_cases", {}))
                score = tally.score(t["points"])
                if not res.complete:
                    results[id(t)] = Outcome(t, arch, score, passing=tally.passing, why=(
                        f"the kernel stopped in this suite after {seen} of {tally.total} graded "
                        f"cases ({kind}: {reason}); {tally.passed} passed; console: {log}\n"
                        + "\n".join(tally.failures) + "\n" + console_tail(r)))
                elif tally.total == 0:
                    results[id(t)] = failed(t, arch, "the suite has no graded case here "
                                            "(every one skipped or excluded)")
                else:
                    results[id(t)] = Outcome(t, arch, score, tally.report(), tally.passing)
            if not res.complete:
                break
        if done == 0:       # nothing started: the kernel never reached the lab's tests
            why = (f"the kernel did not reach the tests ({kind}: {reason}); "
                   f"console: {log}\n" + console_tail(r))
            for t in left:
                results[id(t)] = failed(t, arch, why)
            break
        left = [t for t in left if t["suite"] not in suites[:done]]
    return [results[id(t)] for t in tests]


def console_tail(run, lines=15):
    """The end of a boot's console as a student sees it in the report: the
    framework's self-test folded into one line (its cases fail on purpose)."""
    return "\n".join(ktap_check.fold_selftest(run.log.rstrip("\n")).split("\n")[-lines:])


def run_host_binary(tree, target, clock):
    """Run a host-test binary in the sandbox with a nonce; -> (sandbox.Result, nonce)."""
    scratch = sandbox.scratch_dir("duet-host-")
    try:
        # The binary finds tests/host/data from its own path (host_support.c).
        binary = sandbox.stage({os.path.join(tree, target): target,
                                os.path.join(tree, "tests", "host", "data"): "tests/host/data"},
                               scratch)[os.path.join(tree, target)]
        box = sandbox.Sandbox(writable=[scratch], limits=HOST_LIMITS)
        nonce = secrets.token_hex(8)
        res = box.run([binary], cwd=scratch, timeout=harness.scaled(clock.limit(HOST_TIMEOUT)),
                      env=dict(SANITIZER_ENV, DUET_KTAP_NONCE=nonce))
        clock.note(res.timed_out)
        return res, nonce
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


def grade_host(tree, arch, tests, built, ran, clock, jobs=1):
    """Run the lab's host-test binaries for `arch`; -> [Outcome]. `built`
    and `ran` keep each binary's build and run for the other arch (most
    host tests are the same binary on both)."""
    out = []
    for t in tests:
        binary = t["binary"].format(arch=arch)
        target = f"build/host/test_{binary}"
        if target not in built:
            built[target] = make(tree, f"-j{jobs}", target)
        ok, output = built[target]
        if not ok:
            out.append(failed(t, arch, f"the host test did not build (`make {target}`):\n"
                              + trim_middle(output)))
            continue
        if target not in ran:
            ran[target] = run_host_binary(tree, target, clock)
        res, nonce = ran[target]
        if res.timed_out or res.stopped:
            out.append(failed(t, arch, f"{target} " + (
                res.stopped or f"hung (stopped after {res.seconds:.1f} s)") + "\n"
                + trim(res.output, 1500)))
            continue
        if res.output_bytes > 2 * HOST_LIMITS.keep_output:
            out.append(failed(t, arch, f"{target} printed {res.output_bytes >> 20} MiB; the "
                              f"grader keeps {2 * HOST_LIMITS.keep_output >> 20} MiB to check, "
                              "so its results cannot be read\n" + trim(res.output, 1500)))
            continue
        suite, cases = ktap_check.host_cases(REPO, binary)
        v = ktap_check.check(res.output, nonce, [(suite, cases)],
                             ended_cleanly=res.returncode in (0, 1))
        if v.problem:
            out.append(failed(t, arch, f"{target}: {v.problem}\n" + trim(res.output, 1500),
                              tampered=True))
            continue
        if not v.results or not v.results[0].subtests:
            out.append(failed(t, arch, f"{target} stopped before it reported a case (exit "
                                       f"status {res.returncode}):\n" + trim(res.output, 1500)))
            continue
        tally = Tally()
        tally.add_suite(v.results[0], t.get("exclude_cases", {}), t.get("cases"),
                        t.get("unearned_cases", {}))
        if res.returncode != 0 and tally.passed == tally.total and not tally.stopped:
            # Every case passed, then a sanitizer (a leak) or an exit failed.
            tally.total += 1
            tally.failures.append(f"{target} exited with status {res.returncode} after its "
                                  "cases passed" + (" (a sanitizer's report)"
                                                    if res.returncode in (86, 87) else ""))
        why = tally.report(limit=10)
        if not tally.clean():
            why += "\n" + trim(res.output, 1500)
        out.append(Outcome(t, arch, tally.score(t["points"]), why, tally.passing))
    return out


# --- pytest tests ----------------------------------------------------------------------


def pytest_python():
    """The Python with pytest that the Makefile uses (tools/find-pytest.sh), or None."""
    r = subprocess.run([os.path.join(REPO, "tools", "find-pytest.sh")], capture_output=True,
                       text=True, timeout=60)
    return r.stdout.split()[0] if r.returncode == 0 else None


def junit_cases(path):
    """[(name, passed, message)] of the test cases of a pytest --junitxml file."""
    cases = []
    for case in ET.parse(path).getroot().iter("testcase"):
        bad = case.find("failure")
        if bad is None:
            bad = case.find("error")
        skipped = case.find("skipped") is not None
        message = ""
        if bad is not None:         # pytest.fail()'s text, else the traceback
            message = bad.get("message") or bad.text or ""
        elif skipped:
            message = "skipped: " + (case.find("skipped").get("message") or "")
        cases.append((case.get("name"), bad is None and not skipped, message.strip()))
    return cases


def grade_pytest(tree, arch, tests, out_dir, log_dir, clock):
    """Run the lab's pytest tests (nodes of tests/ in the tree, the
    instructor's) against the tree's kernels on `arch`; -> [Outcome]. The
    test code is trusted; the kernels it boots run in the sandbox
    (DUET_QEMU_SANDBOX=1, tests/harness.py)."""
    results = []
    py = pytest_python() if tests else None
    for n, t in enumerate(tests, 1):
        node = t["node"].format(arch=arch)
        if py is None:
            results.append(failed(t, arch, "a tool is missing: pytest (install what Duet needs "
                                           "with `make deps`, or apt-get install python3-pytest)"))
            continue
        junit = os.path.join(out_dir, "pytest", f"{arch}-{n}.xml")
        os.makedirs(os.path.dirname(junit), exist_ok=True)
        if os.path.exists(junit):
            os.remove(junit)
        argv = [py, "-c", PYTEST_BOOTSTRAP, log_dir, node, "--arch", arch, "-q",
                "-p", "no:cacheprovider", "-p", "no:xdist", f"--junitxml={junit}"]
        env = dict(harness.make_env(), PYTHONDONTWRITEBYTECODE="1", DUET_QEMU_SANDBOX="1")
        limit = harness.scaled(clock.limit(t.get("timeout", PYTEST_TIMEOUT)))
        try:
            proc = subprocess.run(argv, cwd=tree, env=env, stdout=subprocess.PIPE,
                                  stderr=subprocess.STDOUT, text=True, timeout=limit)
        except subprocess.TimeoutExpired:
            clock.note(True)
            results.append(failed(t, arch, f"pytest {node} --arch {arch} did not finish in "
                                           f"{limit:.0f} s"))
            continue
        cases = junit_cases(junit) if os.path.exists(junit) else []
        if not cases:
            results.append(failed(t, arch, f"pytest {node} --arch {arch} ran no test (exit status "
                                           f"{proc.returncode}):\n" + trim(proc.stdout, 2000)))
            continue
        passed = sum(ok for _, ok, _ in cases)
        score = share(t["points"], passed, len(cases))
        if passed == len(cases):
            why = f"{len(cases)} pytest cases passed ({node})"
        else:
            why = f"{passed} of {len(cases)} pytest cases passed ({node}):\n" + "\n".join(
                f"{name}: {trim_middle(msg, 3000)}" for name, ok, msg in cases if not ok)
        results.append(Outcome(t, arch, score, why, [n for n, ok, _ in cases if ok]))
    return results


# --- the tree and the outputs -------------------------------------------------------------


MAX_SUBMITTED_FILE = 4 << 20      # bytes: a source file, not a data dump


def inside(path, root):
    """True when `path` is a regular file whose real location is under root
    (a link to a file elsewhere, e.g. the grader's own, is not the student's)."""
    real, top = os.path.realpath(path), os.path.realpath(root)
    return os.path.isfile(real) and real.startswith(top + os.sep)


def find_in_submission(submission, rel):
    """The submission's copy of `rel`: at that path, else the one file of
    that name anywhere in it (an upload of single files, or of a repository
    inside a folder). -> (path or None, note or None)."""
    exact = os.path.join(submission, rel)
    if os.path.lexists(exact):
        if not inside(exact, submission):
            return None, (f"{rel}: a link to a file outside the submission, not taken; "
                          "the handout's version is graded")
        if os.path.getsize(exact) > MAX_SUBMITTED_FILE:
            return None, (f"{rel}: larger than {MAX_SUBMITTED_FILE >> 20} MiB, not taken; "
                          "the handout's version is graded")
        return exact, None
    name = os.path.basename(rel)
    found = []
    for dirpath, dirnames, filenames in os.walk(submission):
        dirnames[:] = sorted(d for d in dirnames if not d.startswith(".") and d != "build")
        if name in filenames and inside(os.path.join(dirpath, name), submission) and \
                os.path.getsize(os.path.join(dirpath, name)) <= MAX_SUBMITTED_FILE:
            found.append(os.path.join(dirpath, name))
    if len(found) == 1:
        where = os.path.relpath(found[0], submission)
        return found[0], f"{rel}: taken from {where}"
    if found:
        return None, (f"{rel}: not in the submission at that path, and {len(found)} files are "
                      f"called {name}; the handout's version is graded")
    return None, f"{rel}: not in the submission; the handout's version is graded"


def read_submission(lab, submission):
    """The student's allowed files, read and checked before anything builds;
    -> ({rel: bytes}, notes, refusals)."""
    notes, files, refusals = [], {}, []
    for rel in lab["student_files"]:
        path, note = find_in_submission(submission, rel)
        if note:
            notes.append(note)
        if not path:
            continue
        with open(path, "rb") as f:
            data = f.read(MAX_SUBMITTED_FILE + 1)
        given = None
        if os.path.isfile(os.path.join(REPO, rel)):
            with open(os.path.join(REPO, rel), "rb") as f:
                given = f.read()
        found = submission_check.check_file(rel, data, REPO, given)
        refusals += found
        if not found:
            files[rel] = data
    return files, notes, refusals


def prepare_submission(lab_no, lab, files, tree, fresh=False):
    """The lab-n handout in `tree`, with the student's checked files. A new
    tree starts from this tree's kernel builds (handout.seed_from_source), a
    kept one takes the objects its content allows (reuse_source_objects)."""
    if fresh:
        shutil.rmtree(tree, ignore_errors=True)
    handout.make_handout(lab_no, tree, REPO, overrides=files, keep_build=True, seed_build=True)


def grade(lab_no, arches, submission=None, out=None, tree=None, fresh=False, jobs=None,
          collect=None, view=True):
    """Grade; -> the exit status. `collect`, a list, receives the Outcomes.
    view=False leaves out a submission's view.html (tools/mutants.py: no
    student reads a mutant's). lab_no may be a list of labs, graded in this
    tree (no submission) at once: each lab's results in OUT/lab<n>/."""
    start = time.monotonic()
    timeout_scale()
    catalog = handout.load_catalog(REPO)
    lab_nos = [lab_no] if isinstance(lab_no, int) else list(dict.fromkeys(lab_no))
    labs = {}
    for n in lab_nos:
        labs[n] = catalog["labs"].get(str(n))
        if labs[n] is None:
            raise GradeError(f"no lab {n} in labs/catalog.json (labs: "
                             f"{', '.join(sorted(catalog['labs'], key=int))})")
        for t in labs[n]["tests"]:
            if t.get("kind") not in KINDS:
                raise GradeError(f"labs/catalog.json: lab {n}, test {t.get('name')!r}: kind "
                                 f"{t.get('kind')!r} is not one of {', '.join(KINDS)}")
    if len(labs) > 1 and submission:
        raise GradeError("a submission is graded for one lab: "
                         f"{', '.join(map(str, lab_nos))} are several")
    lab_no = lab_nos[0]
    lab = labs[lab_no]
    out = os.path.abspath(out or os.path.join(REPO, "build", "grade"))
    os.makedirs(out, exist_ok=True)
    log_dir = os.path.join(out, "logs")
    shutil.rmtree(log_dir, ignore_errors=True)
    shutil.rmtree(os.path.join(out, "pytest"), ignore_errors=True)
    os.makedirs(log_dir)
    # This run's boots log here, not in the shared build/test-logs.
    harness.LOG_DIR = log_dir
    notes, refusals = [], []
    # Untrusted code runs sandboxed; a submission is not graded without one.
    try:
        notes.append(sandbox.describe())
        harness.SANDBOX = sandbox.mode() != "off"
    except sandbox.SandboxUnavailable as e:
        if submission:
            raise GradeError(str(e)) from None
        notes.append(f"sandbox: none ({e})")
    if submission:
        if not os.path.isdir(submission):
            raise GradeError(f"SUBMISSION {submission} is not a directory")
        tree = os.path.abspath(tree or os.path.join(out, f"tree-lab{lab_no}"))
        files, found_notes, refusals = read_submission(lab, submission)
        notes += found_notes
        if not refusals:
            prepare_submission(lab_no, lab, files, tree, fresh)
    else:
        tree = REPO
    print("grade: " + "; ".join(f"lab {n} ({labs[n]['title']})" for n in labs)
          + f" on {', '.join(arches)}" + (f", submission {submission}" if submission else ""))
    for n in notes:
        print(f"grade: note: {n}")

    clock = Clock()
    if refusals:
        why = ("the submission was refused before anything was built (tools/"
               "submission_check.py, docs/instructors.md):\n" + "\n".join(map(str, refusals)))
        outcomes = [failed(t, a, why) for a in arches for t in tests_for(lab, a)]
    else:
        outcomes = forfeit(run_tests(list(labs.values()), arches, tree, out, log_dir,
                                     jobs or build_jobs(arches), clock))
    if len(labs) > 1:
        return report_labs(labs, arches, outcomes, out, notes, start, collect)
    # A submission's memory beside the reference's (tools/grade_view.py):
    # advice for the student, not part of the score.
    view_path, view_notes = None, []
    if submission and not refusals and view:
        view_path, view_notes = grade_view.write(out, lab_no, tree, arches,
                                                 clock.limit(grade_view.TIMEOUT), clock.hung)
    # Every untrusted process has ended (each sandboxed run is waited for):
    # only now are the results written.
    seconds = time.monotonic() - start
    print()
    print_table(outcomes, arches)
    score, total = write_outputs(out, lab_no, outcomes, notes, seconds)
    if collect is not None:
        collect += outcomes
    print(f"\nScore: {fmt(score)}/{total}   ({seconds:.1f} s; "
          f"{os.path.relpath(out)}/results.json, junit.xml, logs/)")
    for n in view_notes:
        print(f"grade: {n}")
    if view_path:
        print(f"grade: your memory beside the reference solution's: {os.path.relpath(view_path)}")
    return 0 if score == total else 1


def report_labs(labs, arches, outcomes, out, notes, start, collect):
    """The report of several labs graded at once: each lab's table and
    score, its results in OUT/lab<n>/ as a grade of that lab alone writes
    them; -> 0 when every lab scored full marks."""
    seconds = time.monotonic() - start
    lab_of = {id(t): n for n, lab in labs.items() for t in lab["tests"]}
    scores = []
    for n, lab in labs.items():
        mine = [o for o in outcomes if lab_of[id(o.test)] == n]
        lab_out = os.path.join(out, f"lab{n}")
        os.makedirs(lab_out, exist_ok=True)
        print(f"\nlab {n} ({lab['title']}):\n")
        print_table(mine, arches)
        score, most = write_outputs(lab_out, n, mine, notes, seconds)
        print(f"Score, lab {n}: {fmt(score)}/{most}   ({os.path.relpath(lab_out)}/results.json)")
        scores.append(score == most)
    if collect is not None:
        collect += outcomes
    print(f"\n{sum(scores)} of {len(labs)} labs at full marks   ({seconds:.1f} s; logs: "
          f"{os.path.relpath(os.path.join(out, 'logs'))}/)")
    return 0 if all(scores) else 1


def run_tests(labs, arches, tree, out, log_dir, jobs, clock):
    """Build, then run every test of the labs (one or several, each a
    catalogue entry) on each arch; -> [Outcome] in the catalogue's order.
    Several labs share the boots (one per arch and boot method) and the
    host tests' runs."""
    built, ran = {}, {}

    def run_arch(arch):
        mine = [t for lab in labs for t in tests_for(lab, arch)]
        booted = [t for t in mine if t["kind"] in ("ktest", "pytest")]
        if not booted:
            return []
        ok, output = make(tree, f"-j{jobs}", f"ARCH={arch}", "all")
        if not ok:
            why = f"the {arch} kernel did not build (`make ARCH={arch}`):\n" + trim_middle(output)
            return [failed(t, arch, why) for t in booted]
        methods = {}        # boot method -> its labs' ktests
        for lab in labs:
            methods.setdefault(boot_method(lab, arch), []).extend(
                t for t in tests_for(lab, arch) if t["kind"] == "ktest")
        runs = [(ts, lambda ts, m=m: grade_ktests(
                    tree, arch, ts, log_dir, clock, m,
                    f"{arch}-boot" if len(methods) == 1 else f"{arch}-{m}-boot"))
                for m, ts in methods.items()]
        runs.append(([t for t in mine if t["kind"] == "pytest"],
                     lambda ts: grade_pytest(tree, arch, ts, out, log_dir, clock)))
        found = []
        for ts, run in runs:
            try:
                found += run(ts) if ts else []
            except (GradeError, ktap_check.CatalogueError) as e:
                found += [failed(t, arch, f"the catalogue is wrong: {e}") for t in ts]
            except Exception:
                found += [failed(t, arch, "grader error:\n" + traceback.format_exc()) for t in ts]
        return found

    # The arches' kernels build and boot in parallel while the host tests
    # build and run here (one make at a time for build/host).
    with concurrent.futures.ThreadPoolExecutor(max_workers=len(arches)) as pool:
        futures = {a: pool.submit(run_arch, a) for a in arches}
        host = {}
        for a in arches:
            ts = [t for lab in labs for t in tests_for(lab, a) if t["kind"] == "host"]
            try:
                host[a] = grade_host(tree, a, ts, built, ran, clock, jobs)
            except ktap_check.CatalogueError as e:
                host[a] = [failed(t, a, f"the catalogue is wrong: {e}") for t in ts]
            except Exception:
                host[a] = [failed(t, a, "grader error:\n" + traceback.format_exc()) for t in ts]
        found = {a: {id(o.test): o for o in futures[a].result() + host[a]} for a in arches}
    return [found[a][id(t)] for lab in labs for a in arches for t in tests_for(lab, a)]


def free_cases(lab_no, arches, out, jobs=None):
    """Grade the lab's bare handout (no student file) and print the graded
    cases it passes anyway: they test no code of the lab, and with points
    shared over cases they would be free points. Each belongs in its
    test's unearned_cases ("case": "why"): still run, but passing earns
    nothing and failing costs a case."""
    out = os.path.abspath(out or os.path.join(REPO, "build", f"grade-free-lab{lab_no}"))
    empty = os.path.join(out, "empty-submission")
    os.makedirs(empty, exist_ok=True)
    outcomes = []
    grade(lab_no, arches, empty, out, collect=outcomes, jobs=jobs)
    free = {}
    for o in outcomes:
        if o.passing:
            free.setdefault(o.test["name"], {}).update({c: o.arch for c in o.passing})
    print()
    if not free:
        print(f"free cases: none; the lab-{lab_no} handout scores 0")
        return 0
    print(f"free cases: the lab-{lab_no} handout passes these graded cases; add them to each "
          f"test's unearned_cases in labs/catalog.json (with why they need no lab {lab_no} code):")
    for name, cases in free.items():
        print(f"  {name}:")
        for case, arch in cases.items():
            print(f'    "{case}": "passes without lab {lab_no}\'s code",   ({arch})')
    return 1


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("lab", type=int, nargs="+",
                    help="the lab; several, without --submission, are graded at once in "
                         "this tree (each lab's results in OUT/lab<n>/)")
    ap.add_argument("--arch", action="append", choices=ARCHES)
    ap.add_argument("--submission", help="a student's tree or files (only the lab's "
                                         "student_files are taken)")
    ap.add_argument("--out", help="results, logs and the graded tree (default: build/grade)")
    ap.add_argument("--tree", help="where the submission's tree is built "
                                   "(default: OUT/tree-lab<n>)")
    ap.add_argument("--fresh", action="store_true",
                    help="rebuild the submission's tree from nothing")
    ap.add_argument("--jobs", type=int, help="make -j per arch (default: the cores shared "
                                             "over the arches)")
    ap.add_argument("--free-cases", action="store_true",
                    help="grade the bare lab-n handout and list the graded cases it passes")
    args = ap.parse_args(argv)
    arches = tuple(dict.fromkeys(args.arch or ARCHES))
    try:
        if args.free_cases:
            if len(args.lab) > 1:
                raise GradeError("--free-cases takes one lab")
            return free_cases(args.lab[0], arches, args.out, args.jobs)
        return grade(args.lab[0] if len(args.lab) == 1 else args.lab, arches, args.submission,
                     args.out, args.tree, args.fresh, args.jobs)
    except (GradeError, handout.MarkerError) as e:
        print(f"grade: {e}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
