#!/usr/bin/env python3
"""Grade many submissions of one lab: a plain job list, or pytest-xdist.

    tools/grade_many.py SUBMISSIONS_DIR LAB [-j N] [--arch A]... [--out DIR]

Every directory in SUBMISSIONS_DIR is one submission (its name: the
student's), graded by tools/grade.py as `make grade LAB=n SUBMISSION=dir`
does. N run at once (default: one per two cores, since each grade builds
and boots both arches at once). Each submission gets its own result
directory, OUT/<name>/ (results.json, junit.xml, logs/, console.txt), and
OUT/summary.csv has one line per submission: its score, the maximum, each
test's points and how long it took. Each of the N workers keeps one tree
(OUT/trees/worker<k>, or --trees) from one submission to the next, so only
the files that differ are rebuilt. Default OUT: build/grade-many/lab<n>.

The same with pytest-xdist (python3-pytest-xdist), one test per submission:

    GRADE_SUBMISSIONS=DIR GRADE_LAB=n [GRADE_ARCH=x86_64] [GRADE_OUT=DIR] \\
        python3 -m pytest -n 4 -p no:cacheprovider tools/grade_many.py
    python3 tools/grade_many.py --summary OUT       # then the CSV

A submission's test passes at full marks and fails below them, with the
score table as its message. docs/instructors.md explains both.
"""
import argparse
import concurrent.futures
import csv
import json
import os
import queue
import subprocess
import sys
import time

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
GRADE = os.path.join(REPO, "tools", "grade.py")


def submissions(root):
    """{name: path} of the submissions in `root`, sorted by name."""
    if not os.path.isdir(root):
        raise SystemExit(f"grade_many: {root} is not a directory of submissions")
    found = {n: os.path.join(root, n) for n in sorted(os.listdir(root))
             if os.path.isdir(os.path.join(root, n)) and not n.startswith(".")}
    if not found:
        raise SystemExit(f"grade_many: no submission directories in {root}")
    return found


def default_out(lab):
    return os.path.join(REPO, "build", "grade-many", f"lab{lab}")


def grade_one(name, path, lab, arches, out, tree, jobs):
    """Grade one submission into OUT/<name>; -> (name, exit status, seconds)."""
    result_dir = os.path.join(out, name)
    os.makedirs(result_dir, exist_ok=True)
    argv = [sys.executable, GRADE, str(lab), "--submission", os.path.abspath(path),
            "--out", result_dir, "--tree", tree, "--jobs", str(jobs)]
    for a in arches:
        argv += ["--arch", a]
    start = time.monotonic()
    with open(os.path.join(result_dir, "console.txt"), "w") as console:
        status = subprocess.call(argv, cwd=REPO, stdout=console, stderr=subprocess.STDOUT)
    return name, status, time.monotonic() - start


def summary(out):
    """Write OUT/summary.csv from every OUT/<name>/results.json; -> its path."""
    rows, tests = [], []
    for name in sorted(os.listdir(out)):
        path = os.path.join(out, name, "results.json")
        if name == "trees" or not os.path.isfile(path):
            continue
        with open(path) as f:
            res = json.load(f)
        scores = {t["name"]: t["score"] for t in res["tests"]}
        tests += [t for t in scores if t not in tests]
        rows.append((name, res["score"], sum(t["max_score"] for t in res["tests"]),
                     res.get("execution_time", ""), scores))
    csv_path = os.path.join(out, "summary.csv")
    with open(csv_path, "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["submission", "score", "max_score", "seconds"] + tests)
        for name, score, top, secs, scores in rows:
            w.writerow([name, score, top, secs] + [scores.get(t, "") for t in tests])
    return csv_path


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("submissions", nargs="?", help="a directory of submission directories")
    ap.add_argument("lab", nargs="?", type=int)
    ap.add_argument("-j", "--jobs", type=int, default=max(1, (os.cpu_count() or 1) // 2),
                    help="submissions graded at once (default: one per two cores)")
    ap.add_argument("--arch", action="append", choices=("x86_64", "aarch64"))
    ap.add_argument("--out", help="default: build/grade-many/lab<n>")
    ap.add_argument("--trees", help="where the workers' trees are kept (default: OUT/trees)")
    ap.add_argument("--summary", metavar="OUT", help="only write OUT/summary.csv")
    args = ap.parse_args(argv)
    if args.summary:
        print(summary(args.summary))
        return 0
    if args.submissions is None or args.lab is None:
        ap.error("give SUBMISSIONS_DIR and LAB (or --summary OUT)")
    if args.jobs < 1:
        ap.error("-j needs at least 1")
    todo = submissions(args.submissions)
    arches = tuple(dict.fromkeys(args.arch or ("x86_64", "aarch64")))
    out = os.path.abspath(args.out or default_out(args.lab))
    os.makedirs(out, exist_ok=True)
    # Each worker's own tree, kept between its submissions; the cores are
    # shared over the workers' builds.
    trees = queue.Queue()
    for k in range(args.jobs):
        trees.put(os.path.join(os.path.abspath(args.trees or os.path.join(out, "trees")),
                               f"worker{k}"))
    make_jobs = max(1, (os.cpu_count() or 1) // (args.jobs * len(arches)))

    def run(item):
        tree = trees.get()
        try:
            return grade_one(*item, args.lab, arches, out, tree, make_jobs)
        finally:
            trees.put(tree)

    print(f"grade_many: lab {args.lab}, {len(todo)} submissions, {args.jobs} at a time, "
          f"results in {os.path.relpath(out)}/")
    start, broken = time.monotonic(), []
    with concurrent.futures.ThreadPoolExecutor(max_workers=args.jobs) as pool:
        for name, status, secs in pool.map(run, todo.items()):
            verdict = {0: "full marks", 1: "graded"}.get(status, f"NOT GRADED (status {status})")
            if status not in (0, 1):
                broken.append(name)
            score = ""
            try:
                with open(os.path.join(out, name, "results.json")) as f:
                    res = json.load(f)
                score = f"{res['score']}/{sum(t['max_score'] for t in res['tests'])} "
            except (OSError, ValueError, KeyError):
                pass
            print(f"  {name}: {score}{verdict} ({secs:.1f} s)", flush=True)
    csv_path = summary(out)
    print(f"grade_many: {len(todo)} graded in {time.monotonic() - start:.1f} s; "
          f"{os.path.relpath(csv_path)}")
    for name in broken:
        print(f"grade_many: {name} was not graded: see {os.path.relpath(out)}/{name}/console.txt",
              file=sys.stderr)
    return 2 if broken else 0


# --- the pytest-xdist way: one test per submission ---------------------------------------


def pytest_generate_tests(metafunc):
    if "submission" in metafunc.fixturenames:
        root = os.environ.get("GRADE_SUBMISSIONS")
        if not root or not os.environ.get("GRADE_LAB"):
            raise SystemExit("grade_many: set GRADE_SUBMISSIONS=dir and GRADE_LAB=n "
                             "(tools/grade_many.py --help)")
        todo = submissions(root)
        metafunc.parametrize("submission", list(todo.values()), ids=list(todo))


def test_submission(submission):
    """Grade one submission; fail below full marks, with the score table."""
    lab = int(os.environ["GRADE_LAB"])
    out = os.path.abspath(os.environ.get("GRADE_OUT") or default_out(lab))
    arches = tuple(os.environ.get("GRADE_ARCH", "x86_64 aarch64").split())
    # One tree per xdist worker (gw0, gw1, ...), reused for its next submission.
    tree = os.path.join(out, "trees", os.environ.get("PYTEST_XDIST_WORKER", "worker0"))
    name = os.path.basename(submission.rstrip("/"))
    _, status, _ = grade_one(name, submission, lab, arches, out, tree, 1)
    with open(os.path.join(out, name, "console.txt")) as f:
        console = f.read()
    assert status == 0, console


if __name__ == "__main__":
    sys.exit(main())
