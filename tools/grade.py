#!/usr/bin/env python3
"""Grade one lab on both arches (or one): make grade LAB=n [ARCH=..] [SUBMISSION=dir]

    tools/grade.py LAB [--arch A]... [--submission DIR] [--out build/grade]

What it does, in order:
  1. The tree to grade: this one, or with --submission a fresh lab-n
     handout (tools/handout.py) in build/grade/tree-lab<n> into which only
     the files labs/catalog.json lets students change are copied from DIR.
     Tests, the test framework and this grader always come from here.
  2. For each arch, in parallel: build the kernel, build the host tests the
     lab uses; boot once with ktest=<the lab's suites>. After a crash or a
     hang the suites that had not run yet get a fresh boot, so one crashing
     test does not cost the points of the others.
  3. Print the score table and `Score: X/Y`; write build/grade/results.json
     (Gradescope) and build/grade/junit.xml. Exit status 0 only at full marks.

A build error or a missing tool fails the tests that need it, with the
message, and scores 0 for them; it never crashes the grader. Every timeout
is multiplied by TIMEOUT_SCALE.
"""
import argparse
import concurrent.futures
import json
import os
import shutil
import subprocess
import sys
import time
import traceback
from xml.sax.saxutils import escape, quoteattr

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(REPO, "tests"))
sys.path.insert(0, os.path.join(REPO, "tools"))
import harness  # noqa: E402
import ktap  # noqa: E402
import handout  # noqa: E402

ARCHES = harness.ALL_ARCHES
BOOT_TIMEOUT = 30.0         # seconds per boot, before TIMEOUT_SCALE
HOST_TIMEOUT = 120.0
MAX_OUTPUT = 4000           # characters of "why" kept per test


class Outcome:
    def __init__(self, test, arch, passed, why):
        self.test, self.arch, self.passed, self.why = test, arch, passed, why.strip()

    @property
    def points(self):
        return self.test["points"] if self.passed else 0

    @property
    def name(self):
        return f"{self.test['name']} [{self.arch}]"


def tests_for(lab, arch):
    return [t for t in lab["tests"] if t.get("arch", arch) == arch]


def make(tree, *args, timeout=600):
    """-> (ok, output) of make in `tree`; never raises."""
    try:
        proc = subprocess.run(["make", "--no-print-directory", *args], cwd=tree,
                              env=harness.make_env(), stdout=subprocess.PIPE,
                              stderr=subprocess.STDOUT, text=True,
                              timeout=harness.scaled(timeout))
        return proc.returncode == 0, proc.stdout
    except FileNotFoundError:
        return False, "make is not installed (run `make deps`, or apt-get install make)"
    except subprocess.TimeoutExpired as e:
        return False, f"make {' '.join(args)} timed out after {e.timeout:.0f} s"


def trim(text, limit=MAX_OUTPUT):
    text = text.strip()
    return text if len(text) <= limit else "...\n" + text[-limit:]


def graded_cases(test, result):
    """The cases of a suite that count: all but the catalogue's exclude_cases
    (cases that need a later lab's code, with the reason)."""
    skip = test.get("exclude_cases", {})
    return [c for c in result.subtests if c.name not in skip]


def failed_cases(test, result):
    """'case: diagnostics' for each failing graded case of a KTAP suite result."""
    out = []
    for case in graded_cases(test, result):
        if case.status == "fail":
            diag = "; ".join(d.strip() for d in case.diagnostics[-3:])
            out.append(f"{case.name}" + (f": {diag}" if diag else ""))
    return out


def grade_ktests(tree, arch, tests, log_dir):
    """Run the lab's in-kernel suites on `arch`; -> [Outcome]."""
    if not tests:
        return []
    ok, output = make(tree, f"ARCH={arch}", "all")
    if not ok:
        why = f"the {arch} kernel did not build (`make ARCH={arch}`):\n" + trim(output)
        return [Outcome(t, arch, False, why) for t in tests]
    results, left, boots = {}, list(tests), 0
    while left:
        boots += 1
        suites = ",".join(t["suite"] for t in left)
        try:
            r = harness.boot(arch, f"ktest={suites}", build=os.path.join(tree, "build", arch),
                             timeout=BOOT_TIMEOUT, log_name=f"grade.{arch}.boot{boots}")
        except Exception as e:     # QEMU missing, ...
            why = f"could not boot QEMU for {arch}: {e}"
            if isinstance(e, FileNotFoundError):
                why += " (is qemu-system-" + ("x86" if arch == "x86_64" else arch) + " installed?)"
            return [Outcome(t, arch, False, why) for t in left] + list(results.values())
        shutil.copy(r.log_path, os.path.join(log_dir, f"{arch}-boot{boots}.log"))
        kind, reason = harness.classify(r, expect_status=r.status)
        doc = ktap.parse(r.log)
        ran = {res.name: res for res in doc.results}
        done = 0
        for t in left:
            res = ran.get(t["suite"])
            if res is None:
                break
            done += 1
            if not res.complete:
                results[id(t)] = Outcome(t, arch, False,
                                         f"the kernel stopped in this suite ({kind}: {reason});"
                                         f" console: {arch}-boot{boots}.log\n" + r.tail(15))
                break
            bad, cases = failed_cases(t, res), graded_cases(t, res)
            if not bad and cases:
                results[id(t)] = Outcome(t, arch, True, f"{len(cases)} cases passed")
            elif not cases:
                results[id(t)] = Outcome(t, arch, False, "the suite ran no cases: "
                                         + "; ".join(res.diagnostics[-3:]))
            else:
                results[id(t)] = Outcome(t, arch, False, f"{len(bad)} of {len(cases)} "
                                         "cases failed:\n" + "\n".join(bad))
        if done == 0:       # nothing started: the kernel never reached the tests
            why = (f"the kernel did not reach the tests ({kind}: {reason}); "
                   f"console: {arch}-boot{boots}.log\n" + r.tail(15))
            for t in left:
                results[id(t)] = Outcome(t, arch, False, why)
            break
        left = left[done:]
    return [results[id(t)] for t in tests]


def grade_host(tree, arch, tests, built):
    """Run the lab's host-test binaries for `arch`; -> [Outcome]."""
    out = []
    for t in tests:
        binary = t["binary"].format(arch=arch)
        target = f"build/host/test_{binary}"
        if target not in built:
            built[target] = make(tree, target)
        ok, output = built[target]
        if not ok:
            out.append(Outcome(t, arch, False, f"the host test did not build (`make {target}`):\n"
                               + trim(output)))
            continue
        try:
            proc = subprocess.run([os.path.join(tree, target)], capture_output=True, text=True,
                                  timeout=harness.scaled(HOST_TIMEOUT), cwd=tree,
                                  env=dict(os.environ, ASAN_OPTIONS="detect_leaks=1"))
        except subprocess.TimeoutExpired:
            out.append(Outcome(t, arch, False, f"{target} hung (killed after "
                               f"{harness.scaled(HOST_TIMEOUT):.0f} s)"))
            continue
        doc = ktap.parse(proc.stdout)
        cases = [res for _, res in doc.leaves()]
        bad = [f"{'/'.join(p[1:])}: " + "; ".join(d.strip() for d in res.diagnostics[-3:])
               for p, res in doc.leaves() if res.status == "fail"]
        if proc.returncode == 0 and not bad and not doc.errors and cases:
            out.append(Outcome(t, arch, True, f"{len(cases)} cases passed"))
        else:
            why = f"{len(bad)} of {len(cases)} cases failed" if bad else \
                f"{target} exited with status {proc.returncode}"
            out.append(Outcome(t, arch, False, why + ":\n" + "\n".join(bad[:10]) + "\n"
                               + trim(proc.stderr, 1500)))
    return out


def prepare_submission(lab_no, lab, submission, out):
    """A fresh lab handout with the student's allowed files copied in; -> (tree, notes)."""
    tree = os.path.join(out, f"tree-lab{lab_no}")
    handout.make_handout(lab_no, tree, REPO)
    notes = []
    for rel in lab["student_files"]:
        src = os.path.join(submission, rel)
        if os.path.isfile(src):
            shutil.copyfile(src, os.path.join(tree, rel))
        else:
            notes.append(f"{rel}: not in the submission; the handout's version is graded")
    return tree, notes


def write_outputs(out, lab_no, outcomes, notes, seconds):
    score = sum(o.points for o in outcomes)
    total = sum(o.test["points"] for o in outcomes)
    results = {
        "score": score,
        "execution_time": round(seconds, 1),
        "output": "\n".join(notes),
        "tests": [{"name": o.name, "score": o.points, "max_score": o.test["points"],
                   "status": "passed" if o.passed else "failed", "output": o.why,
                   "visibility": "visible"} for o in outcomes],
    }
    with open(os.path.join(out, "results.json"), "w") as f:
        json.dump(results, f, indent=2)
    failures = sum(not o.passed for o in outcomes)
    with open(os.path.join(out, "junit.xml"), "w") as f:
        f.write('<?xml version="1.0" encoding="UTF-8"?>\n')
        f.write(f'<testsuite name="lab{lab_no}" tests="{len(outcomes)}" failures="{failures}" '
                f'time="{seconds:.1f}">\n')
        for o in outcomes:
            f.write(f'  <testcase classname="lab{lab_no}.{o.arch}" name={quoteattr(o.test["name"])}>')
            if not o.passed:
                f.write(f'<failure message={quoteattr(o.why.splitlines()[0] if o.why else "failed")}>'
                        f'{escape(o.why)}</failure>')
            f.write('</testcase>\n')
        f.write('</testsuite>\n')
    return score, total


def print_table(outcomes):
    rows = [("test", "arch", "points", "result")] + \
        [(o.test["name"], o.arch, f"{o.points}/{o.test['points']}", "pass" if o.passed else "FAIL")
         for o in outcomes]
    widths = [max(len(r[i]) for r in rows) for i in range(4)]
    for n, r in enumerate(rows):
        print("  ".join(c.ljust(w) for c, w in zip(r, widths)).rstrip())
        if n == 0:
            print("  ".join("-" * w for w in widths))
    for o in outcomes:
        if not o.passed:
            print(f"\n--- {o.name}: why ---\n{o.why}")


def grade(lab_no, arches, submission=None, out=None):
    start = time.monotonic()
    catalog = handout.load_catalog(REPO)
    lab = catalog["labs"].get(str(lab_no))
    if lab is None:
        print(f"grade: no lab {lab_no} in labs/catalog.json", file=sys.stderr)
        return 2
    out = os.path.abspath(out or os.path.join(REPO, "build", "grade"))
    os.makedirs(out, exist_ok=True)
    log_dir = os.path.join(out, "logs")
    shutil.rmtree(log_dir, ignore_errors=True)
    os.makedirs(log_dir)
    notes, tree = [], REPO
    if submission:
        if not os.path.isdir(submission):
            print(f"grade: SUBMISSION {submission} is not a directory", file=sys.stderr)
            return 2
        tree, notes = prepare_submission(lab_no, lab, submission, out)
    print(f"grade: lab {lab_no} ({lab['title']}) on {', '.join(arches)}"
          + (f", submission {submission}" if submission else ""))
    for n in notes:
        print(f"grade: note: {n}")

    built = {}

    def run_arch(arch):
        ktests = [t for t in tests_for(lab, arch) if t["kind"] == "ktest"]
        try:
            return grade_ktests(tree, arch, ktests, log_dir)
        except Exception:
            return [Outcome(t, arch, False, "grader error:\n" + traceback.format_exc())
                    for t in ktests]

    # The arches' kernels build and boot in parallel while the host tests
    # build and run here (one make at a time for build/host).
    with concurrent.futures.ThreadPoolExecutor(max_workers=len(arches)) as pool:
        futures = {a: pool.submit(run_arch, a) for a in arches}
        host = {a: grade_host(tree, a, [t for t in tests_for(lab, a) if t["kind"] == "host"],
                              built) for a in arches}
        outcomes = []
        for a in arches:
            found = {id(o.test): o for o in futures[a].result() + host[a]}
            outcomes += [found.get(id(t)) or Outcome(t, a, False, f"unknown test kind {t['kind']!r}")
                         for t in tests_for(lab, a)]
    seconds = time.monotonic() - start
    print()
    print_table(outcomes)
    score, total = write_outputs(out, lab_no, outcomes, notes, seconds)
    print(f"\nScore: {score}/{total}   ({seconds:.1f} s; "
          f"{os.path.relpath(out)}/results.json, junit.xml, logs/)")
    return 0 if score == total else 1


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("lab", type=int)
    ap.add_argument("--arch", action="append", choices=ARCHES)
    ap.add_argument("--submission")
    ap.add_argument("--out")
    args = ap.parse_args(argv)
    arches = tuple(dict.fromkeys(args.arch or ARCHES))
    try:
        return grade(args.lab, arches, args.submission, args.out)
    except handout.MarkerError as e:
        print(f"grade: {e}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
